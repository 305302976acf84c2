//! Revoked tokens and subjects (migration `0007`), read and written as the owner role before
//! any tenant is known.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

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
