//! The MSP's own profile (MSP scope).

use axum::extract::State;
use axum::response::Response;
use mspdesk_api::types::MspProfile;
use mspdesk_api::Problem;

use super::read;
use crate::auth::MspAdmin;
use crate::error::AppResult;
use crate::store::msp;
use crate::AppState;

/// The signed-in operator's MSP: its id and name (the issuer its reports name).
#[utoipa::path(get, path = "/msp", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = MspProfile), (status = 401, body = Problem), (status = 403, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn profile(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| msp::profile(tx).await).await
}
