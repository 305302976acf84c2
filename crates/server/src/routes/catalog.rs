//! The app template library and a client's catalog (tenant scope).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{Catalog, List, TemplateInfo, UpdateCatalog};
use mspdesk_api::Problem;

use super::{mutate, read};
use crate::auth::{ClientAdmin, Operator};
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IfMatch};
use crate::store::audit::Action;
use crate::store::catalog;
use crate::AppState;

/// The app template library (the same for every client). Either token may read it, so an
/// MSP without clients sees it too.
#[utoipa::path(get, path = "/catalog/templates", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = List<TemplateInfo>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.scope.tenant))]
pub async fn templates(State(state): State<AppState>, auth: Operator) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: catalog::templates(tx).await?,
        })
    })
    .await
}

/// The client's catalog: `all` templates, or a `custom` allow-list.
#[utoipa::path(get, path = "/catalog", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Catalog, headers(("ETag" = String)))))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn get_catalog(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| catalog::get(tx).await).await
}

/// Replaces the client's catalog. Needs `If-Match`.
#[utoipa::path(put, path = "/catalog", tag = "tenant", security(("bearer" = [])), request_body = UpdateCatalog,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = Catalog), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn put_catalog(
    State(state): State<AppState>,
    auth: ClientAdmin,
    if_match: IfMatch,
    Body(body): Body<UpdateCatalog>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let updated = mutate(&state, auth, Action::CatalogUpdate, async |tx| {
        Ok((
            catalog::put(tx, &new, version).await?,
            auth.tenant.to_string(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}
