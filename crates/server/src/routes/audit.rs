//! The audit trail.

use axum::extract::State;
use axum::response::Response;
use mspdesk_api::types::{AuditEntry, Page};
use serde::Deserialize;

use super::{page_size, read, Query};
use crate::auth::MspAdmin;
use crate::error::AppResult;
use crate::store::audit;
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The audit trail of the MSP and its clients, newest first.
#[utoipa::path(get, path = "/audit", tag = "msp", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn audit(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    let limit = page_size(query.limit, 100)?;
    read(&state, auth, async |tx| {
        audit::list(tx, limit, query.cursor.as_deref()).await
    })
    .await
}
