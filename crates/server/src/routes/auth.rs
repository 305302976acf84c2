//! Sign-in, sign-out and client tokens.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{ClientToken, LoginRequest, LoginResponse, Role};
use mspdesk_api::Problem;
use mspdesk_domain::{email_key, ClientId, TenantId};

use super::{mutate, parse_id, Actor};
use crate::auth::{
    attempt_sign_in, revoke_token, MspAdmin, Session, SignInAttempt, CLIENT_TOKEN_LIFETIME,
};
use crate::db::Scope;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, PeerIp};
use crate::store::audit::Action;
use crate::store::throttle::{self, OPERATOR_ACCOUNT, OPERATOR_ADDRESS};
use crate::store::{clients, operators};
use crate::AppState;

const BAD_LOGIN: AppError = AppError::Unauthorized("wrong e-mail or password");

/// Signs an MSP operator in. Attempts are throttled per account and per address (5 and 20
/// per 15 minutes): past the limit, 429 with `Retry-After`, without checking the password.
/// Failed sign-ins of a known operator are audited in its MSP (`operator.sign_in_failed`).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 400, body = Problem),
        (status = 429, body = Problem, headers(("Retry-After" = u64, description = "seconds to wait")))))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    PeerIp(peer): PeerIp,
    Body(body): Body<LoginRequest>,
) -> AppResult<Response> {
    // Looked up and throttled by the address's one identity key; a malformed e-mail is simply
    // not a known one: same answer, same cost.
    let account = email_key(&body.email);
    let address = throttle::address_key(peer);
    let attempt = SignInAttempt {
        rules: (OPERATOR_ACCOUNT, OPERATOR_ADDRESS),
        account: &account,
        address: &address,
        password: body.password,
    };
    let signed_in = attempt_sign_in(
        &state,
        attempt,
        async || {
            Ok(operators::credentials(&state.pool, &account)
                .await?
                .map(|(id, tenant, hash)| ((id, tenant), hash)))
        },
        async |&(id, tenant)| {
            let tenant =
                TenantId::try_from(tenant).map_err(|e| AppError::Internal(e.to_string()))?;
            let failed = Actor {
                scope: Scope::msp(tenant),
                actor: id,
            };
            mutate(&state, failed, Action::OperatorSignInFailed, async |_| {
                Ok(((), id.to_string()))
            })
            .await?;
            tracing::warn!(%tenant, operator = %id, "failed sign-in");
            Ok(())
        },
    )
    .await?;
    let Some((operator, tenant)) = signed_in else {
        return Err(BAD_LOGIN);
    };
    let tenant = TenantId::try_from(tenant).map_err(|e| AppError::Internal(e.to_string()))?;
    let (token, expires_at) = state.keys.issue(
        operator,
        Scope::msp(tenant),
        Role::MspAdmin,
        state.settings.msp_token_lifetime,
        None,
    )?;
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

/// Signs out: the token (an MSP's or a client's) stops working at once on every instance; an
/// MSP token takes the client tokens minted with it along.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "The token is revoked")))]
#[tracing::instrument(skip_all, fields(tenant = %session.0.tid))]
pub async fn logout(State(state): State<AppState>, session: Session) -> AppResult<StatusCode> {
    let Session(claims, scope) = session;
    let who = Actor {
        scope,
        actor: claims.sub,
    };
    let jti = claims.jti;
    mutate(&state, who, Action::SessionLogout, async |_| {
        Ok(((), jti.to_string()))
    })
    .await?;
    revoke_token(&state.pool, &claims).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token for acting inside one of the MSP's clients, for an hour at most and never past the MSP
/// token it is minted with (signing that out ends it too). The operator stays the audited actor.
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
        Scope::client(id.into(), auth.tenant),
        Role::ClientAdmin,
        CLIENT_TOKEN_LIFETIME,
        Some(auth.minter),
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
