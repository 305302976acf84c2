//! Routes without a token.

use axum::extract::State;
use axum::Json;
use mspdesk_api::types::Health;

use crate::AppState;

/// Liveness and version.
#[utoipa::path(get, path = "/health", tag = "public", responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "public", responses((status = 200, description = "The OpenAPI document")))]
pub async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.openapi.as_ref().clone())
}
