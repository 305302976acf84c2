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
use crate::extract::{respond, Body, PeerIp};
use crate::store::audit::Action;
use crate::store::clients;
use crate::store::throttle::{self, OPERATOR_ACCOUNT, OPERATOR_ADDRESS};
use crate::AppState;

const BAD_LOGIN: AppError = AppError::Unauthorized("wrong e-mail or password");

/// Signs an MSP operator in. Failures are throttled per account and per address (5 and 20
/// per 15 minutes): past the limit, 429 with `Retry-After`, without checking the password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 400, body = Problem),
        (status = 429, body = Problem, headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    PeerIp(peer): PeerIp,
    Body(body): Body<LoginRequest>,
) -> AppResult<Response> {
    // A malformed e-mail is simply not a known one: same answer, same cost.
    let email = Email::parse(&body.email)
        .map(String::from)
        .unwrap_or_default();
    let account = if email.is_empty() {
        body.email.trim().to_lowercase()
    } else {
        email.to_lowercase()
    };
    let address = throttle::address_key(peer);
    let keys = [
        (OPERATOR_ACCOUNT, account.as_str()),
        (OPERATOR_ADDRESS, address.as_str()),
    ];
    throttle::check(&state.pool, &keys).await?;
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
        _ => {
            throttle::record_failure(&state.pool, &keys).await?;
            return Err(BAD_LOGIN);
        }
    };
    throttle::clear(&state.pool, OPERATOR_ACCOUNT, &account).await?;
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
