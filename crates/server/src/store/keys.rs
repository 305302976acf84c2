//! The signing keys' table, read and written as the owner role (the app role has no grant):
//! every instance loads the keys in force from here.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Serialises key creation and revocation across instances and the command line.
const KEY_LOCK: i64 = 7_243_001;

/// A key as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredKey {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public_raw: Vec<u8>,
    /// How long it has been in force, by the database's clock.
    pub age_ms: i64,
}

/// Takes the key lock for the rest of the transaction.
pub async fn lock(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(KEY_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut PgConnection,
    kid: &str,
    private_der: &[u8],
    public_raw: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO signing_keys (kid, private_der, public_raw) VALUES ($1, $2, $3)")
        .bind(kid)
        .bind(private_der)
        .bind(public_raw)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether any key is in force (not revoked).
pub async fn any_in_force(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_keys WHERE revoked_at IS NULL)")
        .fetch_one(conn)
        .await
}

/// Revokes `kid`; false when no key in force has that id.
pub async fn revoke(conn: &mut PgConnection, kid: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE signing_keys SET revoked_at = now() WHERE kid = $1 AND revoked_at IS NULL",
    )
    .bind(kid)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The keys in force, newest first, with their ages.
pub async fn in_force(pool: &PgPool) -> sqlx::Result<Vec<StoredKey>> {
    sqlx::query_as(
        "SELECT kid, private_der, public_raw,
                greatest(0, (extract(epoch FROM now() - created_at) * 1000)::bigint) AS age_ms
         FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, kid DESC",
    )
    .fetch_all(pool)
    .await
}

/// Every key's id and stored private key (sealed), for sealing them again.
pub async fn sealed(conn: &mut PgConnection) -> sqlx::Result<Vec<(String, Vec<u8>)>> {
    sqlx::query_as("SELECT kid, private_der FROM signing_keys ORDER BY created_at, kid")
        .fetch_all(conn)
        .await
}

/// Replaces a key's stored private key (sealed again).
pub async fn reseal(conn: &mut PgConnection, kid: &str, sealed: &[u8]) -> sqlx::Result<()> {
    sqlx::query("UPDATE signing_keys SET private_der = $2 WHERE kid = $1")
        .bind(kid)
        .bind(sealed)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every key, newest first: id, made, revoked.
pub async fn all(
    pool: &PgPool,
) -> sqlx::Result<Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)>> {
    sqlx::query_as(
        "SELECT kid, created_at, revoked_at FROM signing_keys ORDER BY created_at DESC, kid DESC",
    )
    .fetch_all(pool)
    .await
}
