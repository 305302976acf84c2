//! Revocation: a token signed out, minted in a session that was, or whose client, user or
//! operator was deleted, is refused on every instance at once.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Claims, INVALID};
use crate::error::AppResult;
use crate::store::revocations;

/// Refuses a token that was signed out (`POST /auth/logout`), or minted in a session that was,
/// or whose client or user was deleted: one indexed query, run only for tokens whose signature
/// holds.
pub async fn check_revoked(pool: &PgPool, claims: &Claims) -> AppResult<()> {
    let tokens: Vec<Uuid> = std::iter::once(claims.jti).chain(claims.sid).collect();
    let revoked =
        revocations::any_revoked(pool, &tokens, &[claims.tid.as_uuid(), claims.sub]).await?;
    if revoked {
        Err(INVALID)
    } else {
        Ok(())
    }
}

/// Ends one token on every instance (`POST /auth/logout`). Now and then, entries of tokens
/// that have expired anyway are purged.
pub async fn revoke_token(pool: &PgPool, claims: &Claims) -> AppResult<()> {
    let expires = DateTime::<Utc>::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    revocations::revoke_token(pool, claims.jti, expires).await?;
    if rand::random::<u8>() < 8 {
        revocations::purge_expired(pool).await?;
    }
    Ok(())
}
