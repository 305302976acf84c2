//! Revoked tokens and subjects (migration `0007`), read as the owner role before any tenant
//! is known. Subjects are revoked by the transaction that deletes them (migration `0010`; they
//! were a trigger's, which a distributed table cannot have).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::AppResult;

/// Revokes every token issued for `subjects` (a client's tenant, users, operators), in the
/// transaction that deletes them: both happen, or neither.
pub async fn revoke_subjects(tx: &mut TenantTx, subjects: &[Uuid]) -> AppResult<()> {
    if subjects.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO revoked_subjects (subject) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(subjects)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether any of `tokens` (`jti`s) or `subjects` (tenants, operators, users) is revoked.
pub async fn any_revoked(pool: &PgPool, tokens: &[Uuid], subjects: &[Uuid]) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ANY($1))
             OR EXISTS (SELECT 1 FROM revoked_subjects WHERE subject = ANY($2))",
    )
    .bind(tokens)
    .bind(subjects)
    .fetch_one(pool)
    .await
}

/// Records a revoked token until it would have expired anyway.
pub async fn revoke_token(pool: &PgPool, jti: Uuid, expires: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets entries of tokens that have expired anyway.
pub async fn purge_expired(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 hour'")
        .execute(pool)
        .await?;
    Ok(())
}
