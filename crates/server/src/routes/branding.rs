//! A client's white-label branding and its uploaded images (tenant scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{Branding, UpdateBranding};
use mspdesk_api::Problem;
use mspdesk_domain::AssetKind;

use super::{mutate, read};
use crate::auth::ClientAdmin;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IfMatch, RawBody};
use crate::store::audit::Action;
use crate::store::branding;
use crate::AppState;

/// The client's white-label branding.
#[utoipa::path(get, path = "/branding", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Branding, headers(("ETag" = String)))))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn get_branding(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| branding::get(tx).await).await
}

/// Replaces the client's branding. Needs `If-Match`.
#[utoipa::path(put, path = "/branding", tag = "tenant", security(("bearer" = [])), request_body = UpdateBranding,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = Branding), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn put_branding(
    State(state): State<AppState>,
    auth: ClientAdmin,
    if_match: IfMatch,
    Body(body): Body<UpdateBranding>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let updated = mutate(&state, auth, Action::BrandingUpdate, async |tx| {
        Ok((
            branding::put(tx, &new, version).await?,
            auth.tenant.to_string(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}

/// Uploads the logo or favicon (PNG, JPEG, WebP or ICO, at most 512 KiB, checked by content)
/// and points the branding at it. Needs `If-Match` with the branding's version.
#[utoipa::path(put, path = "/branding/assets/{kind}", tag = "tenant", security(("bearer" = [])),
    params(("kind" = AssetKind, Path), ("If-Match" = String, Header)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Branding), (status = 412, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn upload_asset(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(kind): Path<String>,
    if_match: IfMatch,
    RawBody(body): RawBody,
) -> AppResult<Response> {
    let kind = AssetKind::parse(&kind).ok_or(AppError::NotFound)?;
    let version = if_match.required()?;
    let updated = mutate(&state, auth, Action::BrandingAsset, async |tx| {
        Ok((
            branding::upload(tx, kind, &body, version).await?,
            kind.as_str().to_owned(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}
