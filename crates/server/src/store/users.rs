//! User accounts of a client tenant.

use chrono::{DateTime, Utc};
use mspdesk_api::types::{ChangeKind, ChangeOp, NewUser, User};
use mspdesk_domain::QuotaKind;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

type Row = (Uuid, String, String, DateTime<Utc>);

fn user((id, email, name, created_at): Row) -> User {
    User {
        id,
        email,
        name,
        created_at,
    }
}

/// Adds a user after checking `max_users` under the tenant's user lock.
pub async fn create(tx: &mut TenantTx, new: &NewUser) -> AppResult<User> {
    tx.lock("users").await?;
    let (quotas, usage) = super::clients::own_quotas(tx).await?;
    quotas
        .check_create(QuotaKind::MaxUsers, usage.users, 1)
        .map_err(AppError::QuotaExceeded)?;
    let row: Row = sqlx::query_as(
        "INSERT INTO users (tenant_id, id, email, name) VALUES ($1, $2, $3, $4)
         RETURNING id, email, name, created_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(Uuid::now_v7())
    .bind(new.email.as_str())
    .bind(new.name.as_str())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::User, row.0, ChangeOp::Upsert);
    Ok(user(row))
}

pub async fn list(tx: &mut TenantTx) -> AppResult<Vec<User>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, email, name, created_at FROM users WHERE tenant_id = $1 ORDER BY lower(email)",
    )
    .bind(tx.tenant().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(user).collect())
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> AppResult<()> {
    let deleted = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
        .bind(tx.tenant().as_uuid())
        .bind(id)
        .execute(tx.conn())
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::changes::own(tx, ChangeKind::User, id, ChangeOp::Delete);
    Ok(())
}

/// Those of `ids` that are users of the MSP's clients.
pub async fn of_clients_by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<User>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, email, name, created_at FROM users
         WHERE id = ANY($1) AND tenant_id IN (SELECT c.id FROM clients c WHERE c.tenant_id = $2)",
    )
    .bind(ids)
    .bind(tx.tenant().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(user).collect())
}
