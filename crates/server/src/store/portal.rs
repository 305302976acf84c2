//! The client portal's accounts: invitations, passwords and sessions of a client's users, all
//! in the client's own tenant (its transaction), under the same row-level security as the
//! API.
//!
//! Tokens (invitation links, session cookies) are 32 random bytes from the OS, written as
//! base64url; only their SHA-256 is stored, so a copy of the database opens nothing. Expiry is
//! compared with the database's clock (`now()`), the same for every server instance.

use base64::Engine;
use chrono::{DateTime, Utc};
use mspdesk_api::types::{ChangeKind, ChangeOp};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Scope, TenantTx};
use crate::error::{AppError, AppResult};
use mspdesk_domain::TenantId;

/// How long an invitation link works.
pub const INVITATION_HOURS: i32 = 72;
/// A session ends after this long without a request...
pub const SESSION_IDLE_HOURS: i32 = 12;
/// ...and at the latest this long after sign-in.
pub const SESSION_MAX_DAYS: i32 = 7;

/// A fresh random token: 32 bytes from the OS, base64url without padding (43 characters).
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a token.
#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Compares two tokens in time that does not depend on where they differ.
#[must_use]
pub fn tokens_match(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    // Comparing the hashes hides the lengths and the position of the first difference.
    let (a, b) = (token_hash(a), token_hash(b));
    a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Opens an invitation for a user of the transaction's tenant (404 for any other id); the
/// user's earlier invitations stop working. Returns the token and its expiry.
pub async fn invite(tx: &mut TenantTx, user_id: Uuid) -> AppResult<(String, DateTime<Utc>)> {
    super::users::get(tx, user_id).await?;
    sqlx::query(
        "DELETE FROM portal_invitations WHERE msp_id = $3 AND tenant_id = $1 AND user_id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(user_id)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let token = new_token();
    let expires_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO portal_invitations (tenant_id, token_hash, user_id, expires_at, msp_id)
         VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5)
         RETURNING expires_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(INVITATION_HOURS)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::User, user_id, ChangeOp::Upsert);
    Ok((token, expires_at))
}

/// The user an invitation is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub user_id: Uuid,
    pub email: String,
}

/// What an invitation token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invitation {
    /// Open: the user may set a password.
    Open(Invitee),
    /// Used already, or past its expiry.
    Spent,
    /// No invitation of this tenant has this token.
    Unknown,
}

/// Looks an invitation token up in the transaction's tenant.
pub async fn invitation(tx: &mut TenantTx, token: &str) -> AppResult<Invitation> {
    let row: Option<(Uuid, String, bool)> = sqlx::query_as(
        "SELECT i.user_id, u.email, (i.used_at IS NULL AND i.expires_at > now())
         FROM portal_invitations i
         JOIN users u ON u.msp_id = i.msp_id AND u.id = i.user_id AND u.tenant_id = i.tenant_id
         WHERE i.msp_id = $3 AND i.tenant_id = $1 AND i.token_hash = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(token))
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(match row {
        Some((user_id, email, true)) => Invitation::Open(Invitee { user_id, email }),
        Some(_) => Invitation::Spent,
        None => Invitation::Unknown,
    })
}

/// Uses an open invitation to set the user's password (an argon2id hash): marks the link used
/// (exactly once, even when two requests race), stores the password and ends the user's
/// sessions. `None` when the link is no longer open.
pub async fn accept(
    tx: &mut TenantTx,
    token: &str,
    password_hash: &str,
) -> AppResult<Option<Uuid>> {
    let user_id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE portal_invitations SET used_at = now()
         WHERE msp_id = $3 AND tenant_id = $1 AND token_hash = $2
           AND used_at IS NULL AND expires_at > now()
         RETURNING user_id",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(token))
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO portal_credentials (tenant_id, user_id, password_hash, msp_id, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (msp_id, user_id) DO UPDATE SET password_hash = $3,
             updated_at = excluded.updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(user_id)
    .bind(password_hash)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "DELETE FROM portal_sessions WHERE msp_id = $3 AND tenant_id = $1 AND user_id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(user_id)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::User, user_id, ChangeOp::Upsert);
    Ok(Some(user_id))
}

/// The user whose e-mail has this identity key (`mspdesk_domain::email_key`) and its password
/// hash, if it has set one.
pub async fn credentials(tx: &mut TenantTx, key: &str) -> AppResult<Option<(Uuid, String)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, c.password_hash
         FROM users u
         JOIN portal_credentials c
           ON c.msp_id = u.msp_id AND c.user_id = u.id AND c.tenant_id = u.tenant_id
         WHERE u.msp_id = $3 AND u.tenant_id = $1 AND u.email_key = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(key)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?)
}

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// The token every form of the signed-in pages must carry.
    pub csrf_token: String,
}

/// Starts a session for a user of the transaction's tenant; returns the cookie's token and the
/// session. Sessions of this tenant that have ended are purged on the way.
pub async fn start_session(tx: &mut TenantTx, user_id: Uuid) -> AppResult<(String, Session)> {
    sqlx::query(
        "DELETE FROM portal_sessions WHERE msp_id = $3 AND tenant_id = $1
         AND (expires_at <= now() OR last_seen_at <= now() - make_interval(hours => $2))",
    )
    .bind(tx.tenant().as_uuid())
    .bind(SESSION_IDLE_HOURS)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let token = new_token();
    let csrf = new_token();
    sqlx::query(
        "INSERT INTO portal_sessions (tenant_id, token_hash, user_id, csrf_token, expires_at, msp_id)
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5), $6)",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(&csrf)
    .bind(SESSION_MAX_DAYS)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let session: Option<Session> = sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.name, $4 AS csrf_token FROM users u
         WHERE u.msp_id = $3 AND u.tenant_id = $1 AND u.id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(user_id)
    .bind(tx.msp().as_uuid())
    .bind(&csrf)
    .fetch_optional(tx.conn())
    .await?;
    let session = session.ok_or_else(|| AppError::Internal("a new session has no user".into()))?;
    Ok((token, session))
}

/// The live session a cookie's token names in this tenant, if any; using it counts as
/// activity (its idle clock restarts).
pub async fn session(tx: &mut TenantTx, token: &str) -> AppResult<Option<Session>> {
    Ok(sqlx::query_as(
        "UPDATE portal_sessions s SET last_seen_at = now()
         FROM users u
         WHERE s.msp_id = $4 AND s.tenant_id = $1 AND s.token_hash = $2
           AND u.msp_id = s.msp_id AND u.id = s.user_id
           AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(hours => $3)
         RETURNING s.user_id, u.email, u.name, s.csrf_token",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(token))
    .bind(SESSION_IDLE_HOURS)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?)
}

/// Ends the session a cookie's token names (sign-out).
pub async fn end_session(tx: &mut TenantTx, token: &str) -> AppResult<()> {
    sqlx::query(
        "DELETE FROM portal_sessions WHERE msp_id = $3 AND tenant_id = $1 AND token_hash = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(token_hash(token))
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The client whose verified custom domain `host` is, with its MSP, if any (before any tenant
/// is known).
pub async fn domain_owner(pool: &sqlx::PgPool, host: &str) -> AppResult<Option<Scope>> {
    let mut tx = crate::db::host_tx(pool, host).await?;
    let owner: Option<(Uuid, Uuid)> =
        sqlx::query_as("SELECT tenant_id, msp_id FROM verified_domains WHERE domain = $1")
            .bind(host)
            .fetch_optional(&mut *tx)
            .await?;
    tx.commit().await?;
    owner
        .map(|(client, msp)| Ok(Scope::client(stored_id(client)?, stored_id(msp)?)))
        .transpose()
}

/// A tenant id as stored (written only from a typed id).
pub(crate) fn stored_id(id: Uuid) -> AppResult<TenantId> {
    TenantId::try_from(id).map_err(|e| AppError::Internal(format!("stored tenant id {id}: {e}")))
}

/// The transaction's client's verified custom domain, if it has one.
pub async fn own_domain(tx: &mut TenantTx) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT domain FROM verified_domains WHERE msp_id = $2 AND tenant_id = $1
         ORDER BY verified_at LIMIT 1",
    )
    .bind(tx.tenant().as_uuid())
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(token_hash(&a).len(), 32);
    }

    #[test]
    fn token_comparison() {
        let a = new_token();
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&a, &new_token()));
        assert!(!tokens_match(&a, ""));
    }
}
