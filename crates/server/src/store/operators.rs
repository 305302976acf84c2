//! MSP operators, as sign-in looks them up (before any tenant is known).

use sqlx::PgPool;
use uuid::Uuid;

use crate::db::login_tx;
use crate::error::AppResult;

/// An operator found by e-mail: id, MSP, password hash.
pub type Credentials = (Uuid, Uuid, String);

/// The operator with this e-mail (any case), through the policy that shows a transaction the
/// one row whose e-mail is its `app.login_email`.
pub async fn credentials(pool: &PgPool, email: &str) -> AppResult<Option<Credentials>> {
    let mut tx = login_tx(pool, email).await?;
    let found = sqlx::query_as(
        "SELECT id, tenant_id, password_hash FROM operators WHERE lower(email) = lower($1)",
    )
    .bind(email)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(found)
}
