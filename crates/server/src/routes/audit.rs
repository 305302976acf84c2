//! The audit trail.

use axum::extract::State;
use axum::response::Response;
use mspdesk_api::types::{AuditEntry, Page};

use super::{read, PageQuery, Query};
use crate::auth::MspAdmin;
use crate::error::AppResult;
use crate::store::audit;
use crate::AppState;

/// The audit trail of the MSP and its clients, newest first.
#[utoipa::path(get, path = "/audit", tag = "msp", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<AuditEntry>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn audit(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let limit = query.limit()?;
    read(&state, auth, async |tx| {
        audit::list(tx, limit, query.cursor()).await
    })
    .await
}
