//! User accounts of a client tenant.

use chrono::{DateTime, Utc};
use mspdesk_api::types::{ChangeKind, ChangeOp, NewUser, Page, User, UserState};
use mspdesk_domain::QuotaKind;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: Uuid,
    email: String,
    name: String,
    created_at: DateTime<Utc>,
    /// Has set a portal password.
    active: bool,
    /// The open invitation's expiry, if one is open.
    invitation_expires_at: Option<DateTime<Utc>>,
}

fn user(r: Row) -> User {
    let state = match (r.active, r.invitation_expires_at) {
        (true, _) => UserState::Active,
        (false, Some(_)) => UserState::Invited,
        (false, None) => UserState::None,
    };
    User {
        id: r.id,
        email: r.email,
        name: r.name,
        created_at: r.created_at,
        state,
        invitation_expires_at: r.invitation_expires_at,
    }
}

/// The columns of a [`Row`], for a query over `users u` that binds the MSP as `msp` (such as
/// `"$3"`): the subqueries filter by it explicitly, so that Citus keeps them on its shard.
fn columns(msp: &str) -> String {
    format!(
        "u.id, u.email, u.name, u.created_at,
    EXISTS (SELECT 1 FROM portal_credentials c WHERE c.msp_id = {msp} AND c.user_id = u.id)
        AS active,
    (SELECT max(i.expires_at) FROM portal_invitations i
     WHERE i.msp_id = {msp} AND i.tenant_id = u.tenant_id AND i.user_id = u.id
       AND i.used_at IS NULL AND i.expires_at > now()) AS invitation_expires_at"
    )
}

/// Adds a user after checking `max_users` under the tenant's user lock.
pub async fn create(tx: &mut TenantTx, new: &NewUser) -> AppResult<User> {
    tx.lock("users").await?;
    let (quotas, usage) = super::clients::own_quotas(tx).await?;
    quotas
        .check_create(QuotaKind::MaxUsers, usage.users, 1)
        .map_err(AppError::QuotaExceeded)?;
    let row: Row = sqlx::query_as(
        "INSERT INTO users (tenant_id, id, email, email_key, name, msp_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, email, name, created_at, false AS active,
                   NULL::timestamptz AS invitation_expires_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(Uuid::now_v7())
    .bind(new.email.as_str())
    .bind(new.email.key())
    .bind(new.name.as_str())
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::User, row.id, ChangeOp::Upsert);
    Ok(user(row))
}

/// A page of the tenant's users by e-mail (case-insensitive, then id), after `cursor`.
pub async fn page(tx: &mut TenantTx, limit: u32, cursor: Option<&str>) -> AppResult<Page<User>> {
    let after: Option<(String, Uuid)> = cursor.map(super::decode_cursor).transpose()?;
    #[derive(sqlx::FromRow)]
    struct Keyed {
        #[sqlx(flatten)]
        row: Row,
        sort_key: String,
    }
    let rows: Vec<Keyed> = sqlx::query_as(&format!(
        "SELECT {}, u.email_key AS sort_key FROM users u
         WHERE u.msp_id = $5 AND u.tenant_id = $1
           AND ($2::text IS NULL OR (u.email_key, u.id) > ($2, $3))
         ORDER BY u.email_key, u.id LIMIT $4",
        columns("$5")
    ))
    .bind(tx.tenant().as_uuid())
    .bind(after.as_ref().map(|a| a.0.clone()))
    .bind(after.as_ref().map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let (rows, next_cursor) = super::page_of(rows, limit, |k| (k.sort_key.clone(), k.row.id));
    Ok(Page {
        items: rows.into_iter().map(|k| user(k.row)).collect(),
        next_cursor,
    })
}

/// One user of the transaction's tenant (404 for any other id).
pub async fn get(tx: &mut TenantTx, id: Uuid) -> AppResult<User> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {} FROM users u WHERE u.msp_id = $3 AND u.tenant_id = $1 AND u.id = $2",
        columns("$3")
    ))
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    row.map(user).ok_or(AppError::NotFound)
}

/// Deletes a user; its portal password, invitations and sessions go with it (the schema's
/// cascade), so a signed-in user is signed out at once.
/// The e-mail identity key of one of the tenant's users (404 for anyone else).
pub async fn email_key(tx: &mut TenantTx, id: Uuid) -> AppResult<String> {
    let key: Option<String> = sqlx::query_scalar(
        "SELECT email_key FROM users WHERE msp_id = $3 AND tenant_id = $1 AND id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    key.ok_or(AppError::NotFound)
}

pub async fn delete(tx: &mut TenantTx, id: Uuid) -> AppResult<()> {
    let deleted = sqlx::query("DELETE FROM users WHERE msp_id = $3 AND tenant_id = $1 AND id = $2")
        .bind(tx.tenant().as_uuid())
        .bind(id)
        .bind(tx.msp().as_uuid())
        .execute(tx.conn())
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::revocations::revoke_subjects(tx, &[id]).await?;
    super::changes::own(tx, ChangeKind::User, id, ChangeOp::Delete);
    Ok(())
}

/// Those of `ids` that are users of the MSP's clients.
pub async fn of_clients_by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<User>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {} FROM users u
         WHERE u.msp_id = $2 AND u.id = ANY($1)",
        columns("$2")
    ))
    .bind(ids)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(user).collect())
}
