//! MSP operators: their e-mail identity (`email_key`, unique across MSPs through
//! `operator_emails`) and how sign-in finds them before any tenant is known.

use mspdesk_domain::Email;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{login_tx, TenantTx};
use crate::error::AppResult;

/// An operator found by e-mail: id, MSP, password hash.
pub type Credentials = (Uuid, Uuid, String);

/// Adds an operator to the transaction's MSP, claiming its e-mail across every MSP (a taken
/// one is a 409 on `email`).
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    email: &Email,
    password_hash: &str,
) -> AppResult<()> {
    let key = email.key();
    sqlx::query(
        "INSERT INTO operator_emails (email_key, tenant_id, operator_id) VALUES ($1, $2, $3)",
    )
    .bind(&key)
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO operators (tenant_id, id, email, email_key, password_hash) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .bind(email.as_str())
    .bind(&key)
    .bind(password_hash)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The operator whose e-mail has this identity key (`mspdesk_domain::email_key`), through the
/// policies that show a transaction the rows whose key is its `app.login_email`.
pub async fn credentials(pool: &PgPool, key: &str) -> AppResult<Option<Credentials>> {
    let mut tx = login_tx(pool, key).await?;
    // The global index first (a reference table), then the operator on its MSP's shard.
    let entry: Option<(Uuid, Uuid)> =
        sqlx::query_as("SELECT tenant_id, operator_id FROM operator_emails WHERE email_key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
    let found = match entry {
        None => None,
        Some((msp, operator)) => {
            sqlx::query_as(
                "SELECT id, tenant_id, password_hash FROM operators
                 WHERE tenant_id = $1 AND id = $2 AND email_key = $3",
            )
            .bind(msp)
            .bind(operator)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok(found)
}
