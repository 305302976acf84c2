//! The change feed (MSP scope): what changed across the MSP's resources since a cursor.

use axum::extract::State;
use axum::response::Response;
use mspdesk_api::types::{ChangesPage, CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT};
use mspdesk_api::Problem;
use serde::Deserialize;

use super::{housekeep, page_size_within, read_snapshot, Actor, Query};
use crate::auth::MspAdmin;
use crate::error::AppResult;
use crate::store::changes::{self, Cursor};
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// `next_cursor` of the previous page; absent: a snapshot of the current state (upserts
    /// only), in pages.
    since: Option<String>,
    /// Page size, 1 to 5000 (default 1000); out of range is 422, never clamped.
    limit: Option<i64>,
}

/// What was created, updated or deleted across the MSP's clients, servers, users, catalogs,
/// branding, apps, plans, prices and exchange rates since `since`, in commit order, one entry
/// per resource (its latest change). Bodies are those of the resources' own routes; deletes
/// are tombstones, kept 30 days: an older cursor gets 410 `resync_required`.
#[utoipa::path(get, path = "/changes", tag = "msp", security(("bearer" = [])), params(ChangesQuery),
    responses((status = 200, body = ChangesPage), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 410, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn changes(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<ChangesQuery>,
) -> AppResult<Response> {
    let limit = page_size_within(query.limit, CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT)?;
    let since = query.since.as_deref().map(Cursor::parse).transpose()?;
    let who = Actor::from(auth);
    housekeep(&state, who, async |tx| changes::purge(tx).await).await?;
    read_snapshot(&state, who, async |tx| {
        changes::page(tx, since, limit).await
    })
    .await
}
