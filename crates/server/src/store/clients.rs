//! Clients, as their MSP sees them (and as a client sees itself).

use base64::Engine;
use chrono::{DateTime, Utc};
use mspdesk_api::types::{ChangeKind, Client, ClientChanges, ClientSummary, NewClient, Page};
use mspdesk_domain::{ClientId, Compliance, Quotas, Usage};
use uuid::Uuid;

use super::changes::Change;
use super::{count, quota_col, quotas_from};
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: Uuid,
    company_name: String,
    contact_email: String,
    plan_id: Uuid,
    plan_name: String,
    max_servers: Option<i32>,
    max_users: Option<i32>,
    max_apps_per_server: Option<i32>,
    storage_quota_gb: Option<i32>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    servers: i64,
    storage_gb: i64,
    users: i64,
    busiest: i64,
    sort_key: String,
}

/// The client list's sort key: the company name regardless of case, as PostgreSQL computes
/// it. The list orders by it (then the id), selects it as `sort_key`, and the page cursor
/// holds that value and compares with exactly this expression, so no page skips or repeats
/// a client (lowering in Rust instead would differ for names such as "İstanbul").
macro_rules! sort_key {
    () => {
        "lower(c.company_name)"
    };
}

/// The client list's order: the sort key, then the id as tie-breaker.
const ORDER: &str = concat!(sort_key!(), ", c.id");

/// Clients with their live usage. Callers add the WHERE clause, and bind the MSP as `$1`:
/// every table is filtered by it explicitly, so that Citus routes the query to the MSP's
/// shard (a correlation through `c.tenant_id` would not tell it).
const SELECT: &str = concat!(
    "
SELECT ",
    sort_key!(),
    " AS sort_key, c.id, c.company_name, c.contact_email, c.plan_id, p.name AS plan_name,
       c.max_servers, c.max_users, c.max_apps_per_server, c.storage_quota_gb,
       c.version, c.created_at, c.updated_at,
       (SELECT count(*) FROM servers s
         WHERE s.msp_id = $1 AND s.tenant_id = c.id AND s.deleted_at IS NULL) AS servers,
       (SELECT coalesce(sum(s.storage_gb), 0)::bigint FROM servers s
         WHERE s.msp_id = $1 AND s.tenant_id = c.id AND s.deleted_at IS NULL) AS storage_gb,
       (SELECT count(*) FROM users u WHERE u.msp_id = $1 AND u.tenant_id = c.id) AS users,
       (SELECT coalesce(max(n), 0)::bigint FROM (
            SELECT count(*) AS n FROM apps a
            JOIN servers s ON s.msp_id = $1 AND s.id = a.server_id
            WHERE a.msp_id = $1 AND a.tenant_id = c.id AND s.deleted_at IS NULL
            GROUP BY a.server_id) per_server) AS busiest
FROM clients c JOIN plans p ON p.tenant_id = $1 AND p.id = c.plan_id
"
);

impl Row {
    fn quotas(&self) -> Quotas {
        quotas_from([
            self.max_servers,
            self.max_users,
            self.max_apps_per_server,
            self.storage_quota_gb,
        ])
    }

    fn usage(&self) -> Usage {
        Usage {
            servers: count(self.servers),
            users: count(self.users),
            storage_gb: count(self.storage_gb),
            busiest_server_apps: count(self.busiest),
        }
    }

    fn id(&self) -> AppResult<ClientId> {
        ClientId::try_from(self.id)
            .map_err(|e| AppError::Internal(format!("client id {}: {e}", self.id)))
    }

    fn into_client(self) -> AppResult<Client> {
        let (quotas, usage) = (self.quotas(), self.usage());
        Ok(Client {
            id: self.id()?,
            compliance: Compliance::evaluate(&quotas, &usage),
            quotas,
            usage: usage.into(),
            company_name: self.company_name,
            contact_email: self.contact_email,
            plan_id: self.plan_id,
            plan_name: self.plan_name,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    fn into_summary(self) -> AppResult<ClientSummary> {
        let (quotas, usage) = (self.quotas(), self.usage());
        Ok(ClientSummary {
            monthly_total: None,
            id: self.id()?,
            compliance: Compliance::evaluate(&quotas, &usage),
            server_count: usage.servers,
            user_count: usage.users,
            company_name: self.company_name,
            contact_email: self.contact_email,
            plan_id: self.plan_id,
            plan_name: self.plan_name,
            version: self.version,
        })
    }
}

/// Creates a client of the transaction's MSP; quotas default to the plan's.
pub async fn create(tx: &mut TenantTx, new: &NewClient) -> AppResult<Client> {
    let plan = super::plans::get(tx, new.plan_id)
        .await?
        .ok_or_else(|| AppError::validation("plan_id", "is not one of your plans"))?;
    let quotas = new.quotas.unwrap_or(plan.default_quotas);
    let id = ClientId::new();
    sqlx::query(
        "INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id,
                              max_servers, max_users, max_apps_per_server, storage_quota_gb)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tx.tenant().as_uuid())
    .bind(id.as_uuid())
    .bind(new.company_name.as_str())
    .bind(new.contact_email.as_str())
    .bind(plan.id)
    .bind(quota_col(quotas.max_servers))
    .bind(quota_col(quotas.max_users))
    .bind(quota_col(quotas.max_apps_per_server))
    .bind(quota_col(quotas.storage_quota_gb))
    .execute(tx.conn())
    .await?;
    // The directory names the client's MSP to requests that know only the client.
    sqlx::query("INSERT INTO client_directory (client_id, msp_id) VALUES ($1, $2)")
        .bind(id.as_uuid())
        .bind(tx.msp().as_uuid())
        .execute(tx.conn())
        .await?;
    // A new client has the default catalog and branding (served at version 1).
    let client = Some(id.as_uuid());
    for kind in [
        ChangeKind::Client,
        ChangeKind::Catalog,
        ChangeKind::Branding,
    ] {
        tx.record(Change::upsert(kind, id, client));
    }
    get(tx, id).await
}

/// One of the MSP's clients; another MSP's client is "not found".
pub async fn get(tx: &mut TenantTx, id: ClientId) -> AppResult<Client> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE c.tenant_id = $1 AND c.id = $2"))
            .bind(tx.msp().as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(tx.conn())
            .await?;
    row.ok_or(AppError::NotFound)?.into_client()
}

/// Those of `ids` that are the MSP's clients (in no particular order).
pub async fn by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<Client>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.tenant_id = $1 AND c.id = ANY($2)"
    ))
    .bind(tx.msp().as_uuid())
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(Row::into_client).collect()
}

/// All the MSP's clients, in the client list's order.
pub async fn all(tx: &mut TenantTx) -> AppResult<Vec<Client>> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE c.tenant_id = $1 ORDER BY {ORDER}"))
            .bind(tx.msp().as_uuid())
            .fetch_all(tx.conn())
            .await?;
    rows.into_iter().map(Row::into_client).collect()
}

/// The client whose tenant the transaction is in (for `GET /tenant`).
pub async fn own(tx: &mut TenantTx) -> AppResult<Client> {
    let row: Option<Row> =
        sqlx::query_as(&format!("{SELECT} WHERE c.tenant_id = $1 AND c.id = $2"))
            .bind(tx.msp().as_uuid())
            .bind(tx.tenant().as_uuid())
            .fetch_optional(tx.conn())
            .await?;
    row.ok_or(AppError::NotFound)?.into_client()
}

/// The quotas and usage of the transaction's client tenant, for checks at creation.
pub async fn own_quotas(tx: &mut TenantTx) -> AppResult<(Quotas, Usage)> {
    let client = own(tx).await?;
    Ok((client.quotas, client.usage.into()))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Cursor {
    name: String,
    id: Uuid,
}

fn encode_cursor(c: &Cursor) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(s: &str) -> AppResult<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::BadRequest("cursor is not valid".into()))
}

/// Escapes LIKE wildcards so a search for "50%" means the text "50%".
fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The MSP's clients by company name, `limit` at a time, optionally filtered by a search text
/// matched against company name and contact e-mail.
pub async fn list(
    tx: &mut TenantTx,
    q: Option<&str>,
    limit: u32,
    cursor: Option<&str>,
) -> AppResult<Page<ClientSummary>> {
    let after = cursor.map(decode_cursor).transpose()?;
    let pattern = q.map(str::trim).filter(|q| !q.is_empty()).map(like_pattern);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE c.tenant_id = $1
           AND ($2::text IS NULL OR c.company_name ILIKE $2 OR c.contact_email ILIKE $2)
           AND ($3::text IS NULL OR ({sort_key}, c.id) > ($3, $4))
         ORDER BY {ORDER}
         LIMIT $5",
        sort_key = sort_key!()
    ))
    .bind(tx.msp().as_uuid())
    .bind(pattern)
    .bind(after.as_ref().map(|c| c.name.clone()))
    .bind(after.as_ref().map(|c| c.id))
    .bind(i64::from(limit) + 1)
    .fetch_all(tx.conn())
    .await?;
    let more = rows.len() > limit as usize;
    let next_cursor = if more {
        rows.get(limit as usize - 1).map(|last| {
            encode_cursor(&Cursor {
                name: last.sort_key.clone(),
                id: last.id,
            })
        })
    } else {
        None
    };
    let mut items = rows
        .into_iter()
        .take(limit as usize)
        .map(Row::into_summary)
        .collect::<AppResult<Vec<_>>>()?;
    let mut totals = super::billing::month_to_date(tx, &items, Utc::now()).await?;
    for item in &mut items {
        item.monthly_total = totals.remove(&item.id.as_uuid()).flatten();
    }
    Ok(Page { items, next_cursor })
}

/// After a versioned `UPDATE`: no row changed means a stale version (412 with the current
/// one) or no such client (404).
async fn after_update(tx: &mut TenantTx, id: ClientId, rows: u64) -> AppResult<Client> {
    let current = get(tx, id).await?;
    if rows == 0 {
        return Err(AppError::VersionConflict(current.version));
    }
    tx.record(Change::upsert(ChangeKind::Client, id, Some(id.as_uuid())));
    Ok(current)
}

pub async fn update(
    tx: &mut TenantTx,
    id: ClientId,
    changes: &ClientChanges,
    version: i64,
) -> AppResult<Client> {
    if let Some(plan_id) = changes.plan_id {
        if super::plans::get(tx, plan_id).await?.is_none() {
            return Err(AppError::validation("plan_id", "is not one of your plans"));
        }
    }
    let tenant = tx.msp().as_uuid();
    let rows = sqlx::query(
        "UPDATE clients SET company_name = coalesce($4, company_name),
                            contact_email = coalesce($5, contact_email),
                            plan_id = coalesce($6, plan_id),
                            version = version + 1, updated_at = now()
         WHERE id = $1 AND tenant_id = $2 AND version = $3",
    )
    .bind(id.as_uuid())
    .bind(tenant)
    .bind(version)
    .bind(changes.company_name.as_ref().map(|n| n.as_str()))
    .bind(changes.contact_email.as_ref().map(|e| e.as_str()))
    .bind(changes.plan_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    after_update(tx, id, rows).await
}

/// Replaces the quotas. Lowering a limit below usage removes nothing.
pub async fn set_quotas(
    tx: &mut TenantTx,
    id: ClientId,
    quotas: &Quotas,
    version: i64,
) -> AppResult<Client> {
    let tenant = tx.msp().as_uuid();
    let rows = sqlx::query(
        "UPDATE clients SET max_servers = $4, max_users = $5, max_apps_per_server = $6,
                            storage_quota_gb = $7, version = version + 1, updated_at = now()
         WHERE id = $1 AND tenant_id = $2 AND version = $3",
    )
    .bind(id.as_uuid())
    .bind(tenant)
    .bind(version)
    .bind(quota_col(quotas.max_servers))
    .bind(quota_col(quotas.max_users))
    .bind(quota_col(quotas.max_apps_per_server))
    .bind(quota_col(quotas.storage_quota_gb))
    .execute(tx.conn())
    .await?
    .rows_affected();
    after_update(tx, id, rows).await
}

/// Deletes a client that has no servers (its users, catalog and branding go with it; its
/// verified domain is released, its directory entry goes, and every token of the client and
/// of its users is revoked, in this transaction).
pub async fn delete(tx: &mut TenantTx, id: ClientId) -> AppResult<()> {
    let client = get(tx, id).await?;
    let msp = tx.msp().as_uuid();
    let servers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM servers WHERE msp_id = $1 AND tenant_id = $2")
            .bind(msp)
            .bind(client.id.as_uuid())
            .fetch_one(tx.conn())
            .await?;
    if servers > 0 {
        return Err(AppError::Conflict {
            field: "servers",
            detail: format!(
                "the client has {servers} servers (deleted ones are kept for billing history); it cannot be deleted"
            ),
        });
    }
    // Its users go with it (the cascade): tombstones for them, its catalog and branding.
    let users: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE msp_id = $1 AND tenant_id = $2")
            .bind(msp)
            .bind(client.id.as_uuid())
            .fetch_all(tx.conn())
            .await?;
    sqlx::query("DELETE FROM clients WHERE tenant_id = $1 AND id = $2")
        .bind(msp)
        .bind(id.as_uuid())
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM verified_domains WHERE msp_id = $1 AND tenant_id = $2")
        .bind(msp)
        .bind(id.as_uuid())
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM client_directory WHERE client_id = $1 AND msp_id = $2")
        .bind(id.as_uuid())
        .bind(msp)
        .execute(tx.conn())
        .await?;
    let mut gone = users.clone();
    gone.push(id.as_uuid());
    super::revocations::revoke_subjects(tx, &gone).await?;
    let owner = Some(id.as_uuid());
    for user in users {
        tx.record(Change::delete(ChangeKind::User, user, owner));
    }
    for kind in [
        ChangeKind::Catalog,
        ChangeKind::Branding,
        ChangeKind::Client,
    ] {
        tx.record(Change::delete(kind, id, owner));
    }
    Ok(())
}
