//! Routes without a token.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mspdesk_api::types::Health;
use mspdesk_api::Problem;
use mspdesk_domain::{AssetKind, TenantId};

use super::parse_id;
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::store::branding;
use crate::AppState;

/// Liveness and version.
#[utoipa::path(get, path = "/health", tag = "public", responses((status = 200, body = Health)))]
#[tracing::instrument]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: 200 when this instance can reach its database, otherwise 503 `unavailable` (a
/// load balancer takes the instance out until it answers 200 again). `GET /health` is the
/// liveness check and does not touch the database.
#[utoipa::path(get, path = "/ready", tag = "public", responses((status = 200, body = Health), (status = 503, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn ready(State(state): State<AppState>) -> AppResult<Json<Health>> {
    crate::db::ready(&state.pool).await?;
    Ok(Json(Health {
        status: "ready".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "public", responses((status = 200, description = "The OpenAPI document")))]
#[tracing::instrument(skip_all)]
pub async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.openapi.as_ref().clone())
}

/// A client's uploaded logo or favicon. Public: the branded sign-in page shows it before
/// anyone signs in. Served with `nosniff` and a sandboxing CSP.
#[utoipa::path(get, path = "/public/assets/{tenant}/{kind}", tag = "public",
    params(("tenant" = uuid::Uuid, Path), ("kind" = AssetKind, Path)),
    responses((status = 200, description = "The image", content_type = "image/*"), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %tenant, kind = %kind))]
pub async fn asset(
    State(state): State<AppState>,
    Path((tenant, kind)): Path<(String, String)>,
) -> AppResult<Response> {
    let tenant: TenantId = parse_id(&tenant)?;
    let kind = AssetKind::parse(&kind).ok_or(AppError::NotFound)?;
    let client = state
        .directory
        .client(&state.pool, tenant)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = TenantTx::begin(&state.pool, client).await?;
    let (content_type, bytes) = branding::asset(&mut tx, kind).await?;
    tx.commit().await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Unknown routes: a problem+json 404 like every other error.
pub async fn no_route() -> AppError {
    AppError::NoRoute
}
