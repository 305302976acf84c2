//! The extractors that turn a verified, unrevoked bearer token into who acts in which tenant.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use mspdesk_api::types::Role;
use mspdesk_domain::TenantId;
use uuid::Uuid;

use super::{check_revoked, Claims, Minter};
use crate::db::Scope;
use crate::error::{AppError, AppResult};
use crate::AppState;

fn bearer(parts: &Parts) -> AppResult<&str> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AppError::Unauthorized("sign in first: no bearer token"))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthorized("the token is invalid or expired"))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthorized("sign in first: no bearer token"))
}

/// An MSP operator, acting in its provider tenant.
#[derive(Debug, Clone, Copy)]
pub struct MspAdmin {
    /// The MSP (its own tenant).
    pub tenant: TenantId,
    pub actor: Uuid,
    /// The token's session, for the client tokens minted in it.
    pub minter: Minter,
}

/// Someone acting inside one client's tenant.
#[derive(Debug, Clone, Copy)]
pub struct ClientAdmin {
    pub tenant: TenantId,
    /// The client's MSP.
    pub msp: TenantId,
    pub actor: Uuid,
}

/// Any signed-in operator, with an MSP's token or a client's, acting in that token's tenant:
/// for what both may read, such as the template library (an MSP without clients needs it too).
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    pub scope: Scope,
    pub actor: Uuid,
}

/// The scope a verified token acts in: an MSP token's own tenant; a client token's tenant and
/// the MSP it names, or for a token minted before tokens named their MSP, the client's MSP in
/// the directory (a client that is gone is 401, like its revoked tokens).
async fn scope_of(claims: &Claims, state: &AppState) -> AppResult<Scope> {
    match (&claims.role, claims.msp) {
        (Role::MspAdmin, Some(msp)) if msp != claims.tid => Err(INVALID),
        (Role::MspAdmin, _) => Ok(Scope::msp(claims.tid)),
        (_, Some(msp)) if msp == claims.tid => Err(INVALID),
        (_, Some(msp)) => Ok(Scope::client(claims.tid, msp)),
        (_, None) => state
            .directory
            .client(&state.pool, claims.tid)
            .await?
            .ok_or(INVALID),
    }
}

const INVALID: AppError = AppError::Unauthorized("the token is invalid or expired");

/// The bearer token's claims, verified and not revoked.
async fn verified(parts: &Parts, state: &AppState) -> AppResult<Claims> {
    let claims = state.keys.verify(bearer(parts)?)?;
    check_revoked(&state.pool, &claims).await?;
    Ok(claims)
}

/// The verified token's claims, if its role is `role`; otherwise 403 with `refusal`.
async fn scoped(
    parts: &Parts,
    state: &AppState,
    role: Role,
    refusal: &'static str,
) -> AppResult<Claims> {
    let claims = verified(parts, state).await?;
    if claims.role == role {
        Ok(claims)
    } else {
        Err(AppError::Forbidden(refusal))
    }
}

impl FromRequestParts<AppState> for MspAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = scoped(
            parts,
            state,
            Role::MspAdmin,
            "this needs an MSP operator's token",
        )
        .await?;
        Ok(Self {
            tenant: claims.tid,
            actor: claims.sub,
            minter: Minter {
                session: claims.jti,
                expires: claims.exp,
            },
        })
    }
}

impl FromRequestParts<AppState> for ClientAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = scoped(
            parts,
            state,
            Role::ClientAdmin,
            "this needs a client token: get one with POST /clients/{id}/token",
        )
        .await?;
        let scope = scope_of(&claims, state).await?;
        Ok(Self {
            tenant: scope.tenant,
            msp: scope.msp,
            actor: claims.sub,
        })
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = verified(parts, state).await?;
        Ok(Self {
            scope: scope_of(&claims, state).await?,
            actor: claims.sub,
        })
    }
}

/// The whole verified token, whatever its role, with the scope it acts in (for signing out).
#[derive(Debug, Clone)]
pub struct Session(pub Claims, pub Scope);

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = verified(parts, state).await?;
        let scope = scope_of(&claims, state).await?;
        Ok(Self(claims, scope))
    }
}
