//! Sign-in and client tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{ClientToken, LoginRequest, LoginResponse, Role};
use mspdesk_api::Problem;
use mspdesk_domain::{ClientId, Email, TenantId};
use uuid::Uuid;

use super::{mutate, parse_id};
use crate::auth::{verify_password, MspAdmin, CLIENT_TOKEN_LIFETIME, MSP_TOKEN_LIFETIME};
use crate::db::login_tx;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body};
use crate::store::audit::Action;
use crate::store::clients;
use crate::AppState;

const BAD_LOGIN: AppError = AppError::Unauthorized("wrong e-mail or password");

/// Signs an MSP operator in.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 400, body = Problem)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    Body(body): Body<LoginRequest>,
) -> AppResult<Response> {
    // A malformed e-mail is simply not a known one: same answer, same cost.
    let email = Email::parse(&body.email)
        .map(String::from)
        .unwrap_or_default();
    let mut tx = login_tx(&state.pool, &email).await?;
    let found: Option<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT id, tenant_id, password_hash FROM operators WHERE lower(email) = lower($1)",
    )
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let hash = found
        .as_ref()
        .map_or_else(|| state.dummy_hash.as_ref().clone(), |(_, _, h)| h.clone());
    let password = body.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (operator, tenant) = match (found, matches) {
        (Some((id, tenant, _)), true) => (id, tenant),
        _ => return Err(BAD_LOGIN),
    };
    let tenant = TenantId::try_from(tenant).map_err(|e| AppError::Internal(e.to_string()))?;
    let (token, expires_at) =
        state
            .keys
            .issue(operator, tenant, Role::MspAdmin, MSP_TOKEN_LIFETIME)?;
    respond(
        StatusCode::OK,
        &LoginResponse {
            token,
            expires_at,
            tenant_id: tenant,
            role: Role::MspAdmin,
        },
    )
}

/// A token for acting inside one of the MSP's clients. The operator stays the audited actor.
#[utoipa::path(post, path = "/clients/{id}/token", tag = "auth", params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ClientToken), (status = 404, body = Problem), (status = 403, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn client_token(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: ClientId = parse_id(&id)?;
    mutate(&state, auth, Action::ClientToken, async |tx| {
        clients::get(tx, id).await?;
        Ok(((), id.to_string()))
    })
    .await?;
    let (token, expires_at) = state.keys.issue(
        auth.actor,
        id.into(),
        Role::ClientAdmin,
        CLIENT_TOKEN_LIFETIME,
    )?;
    respond(
        StatusCode::OK,
        &ClientToken {
            token,
            expires_at,
            tenant_id: id.into(),
        },
    )
}
