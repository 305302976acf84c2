//! Cloud OS instances of a client tenant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mspdesk_api::types::{ChangeKind, ChangeOp, NewServer, Page, PriceSnapshot, Server};
use mspdesk_domain::{Period, Provider, QuotaKind};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    provider: String,
    server_type: String,
    storage_gb: i32,
    region: Option<String>,
    hourly: Decimal,
    monthly: Decimal,
    currency: String,
    created_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, name, provider, server_type, storage_gb, region, hourly, monthly, currency, created_at, deleted_at";

impl Row {
    fn into_server(self) -> AppResult<Server> {
        Ok(Server {
            id: self.id,
            provider: Provider::parse(&self.provider).ok_or_else(|| {
                AppError::Internal(format!("server {} has provider {}", self.id, self.provider))
            })?,
            name: self.name,
            server_type: self.server_type,
            storage_gb: u32::try_from(self.storage_gb).unwrap_or(0),
            region: self.region,
            price: PriceSnapshot {
                hourly: self.hourly,
                monthly: self.monthly,
                currency: super::currency(&self.currency)?,
            },
            created_at: self.created_at,
            deleted_at: self.deleted_at,
        })
    }
}

/// Registers a server after checking `max_servers` and `storage_quota_gb` under the tenant's
/// server lock, so concurrent creates cannot overshoot. The price is snapshotted from the MSP's
/// price table (or taken from the request for `other`).
pub async fn create(tx: &mut TenantTx, new: &NewServer) -> AppResult<Server> {
    tx.lock("servers").await?;
    let price = match (&new.price, new.provider) {
        (Some(p), _) => p.clone(),
        (None, provider) => super::plans::price_for_client(tx, provider, new.server_type.as_str())
            .await?
            .ok_or_else(|| {
                AppError::validation(
                    "server_type",
                    format!("is not in the price table for {provider}"),
                )
            })?,
    };
    // A historical instance (deleted_at set) takes no quota now.
    if new.deleted_at.is_none() {
        let (quotas, usage) = super::clients::own_quotas(tx).await?;
        quotas
            .check_create(QuotaKind::MaxServers, usage.servers, 1)
            .map_err(AppError::QuotaExceeded)?;
        quotas
            .check_create(
                QuotaKind::StorageQuotaGb,
                usage.storage_gb,
                u64::from(new.storage_gb),
            )
            .map_err(AppError::QuotaExceeded)?;
    }
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO servers (tenant_id, id, name, provider, server_type, storage_gb, region,
                              hourly, monthly, currency, created_at, deleted_at, msp_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING {COLUMNS}"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(Uuid::now_v7())
    .bind(new.name.as_str())
    .bind(new.provider.as_str())
    .bind(new.server_type.as_str())
    .bind(i32::try_from(new.storage_gb).unwrap_or(i32::MAX))
    .bind(new.region.as_ref().map(|r| r.as_str()))
    .bind(price.hourly)
    .bind(price.monthly)
    .bind(price.currency.code())
    .bind(new.created_at)
    .bind(new.deleted_at)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::Server, row.id, ChangeOp::Upsert);
    row.into_server()
}

pub async fn list(tx: &mut TenantTx) -> AppResult<Vec<Server>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM servers WHERE msp_id = $2 AND tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(Row::into_server).collect()
}

/// A page of the tenant's servers in registration order (`created_at`, then id), after
/// `cursor`.
pub async fn page(tx: &mut TenantTx, limit: u32, cursor: Option<&str>) -> AppResult<Page<Server>> {
    let after: Option<(DateTime<Utc>, Uuid)> = cursor.map(super::decode_cursor).transpose()?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM servers WHERE msp_id = $5 AND tenant_id = $1
           AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3))
         ORDER BY created_at, id LIMIT $4"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let (rows, next_cursor) = super::page_of(rows, limit, |r| (r.created_at, r.id));
    Ok(Page {
        items: rows
            .into_iter()
            .map(Row::into_server)
            .collect::<AppResult<_>>()?,
        next_cursor,
    })
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> AppResult<Server> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM servers WHERE msp_id = $3 AND tenant_id = $1 AND id = $2"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    row.ok_or(AppError::NotFound)?.into_server()
}

/// Marks a server deleted now (kept for billing), which frees its quota. Deleting a deleted
/// server changes nothing. (Two statements: Citus evaluates `now()` only outside
/// `coalesce`/`CASE`.)
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> AppResult<Server> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE servers SET deleted_at = greatest(now(), created_at)
         WHERE msp_id = $3 AND tenant_id = $1 AND id = $2 AND deleted_at IS NULL
         RETURNING {COLUMNS}"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(id)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        // Deleted before, or not the tenant's (404).
        return get(tx, id).await;
    };
    super::changes::own(tx, ChangeKind::Server, row.id, ChangeOp::Upsert);
    row.into_server()
}

/// Those of `ids` that are servers of the MSP's clients.
pub async fn of_clients_by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<Server>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM servers
         WHERE msp_id = $2 AND id = ANY($1)"
    ))
    .bind(ids)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(Row::into_server).collect()
}

/// The instances active at any moment of `period`.
pub async fn active_in(tx: &mut TenantTx, period: Period) -> AppResult<Vec<Server>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM servers
         WHERE msp_id = $4 AND tenant_id = $1 AND created_at < $3
           AND (deleted_at IS NULL OR deleted_at > $2)
         ORDER BY created_at, id"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(period.start())
    .bind(period.end())
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(Row::into_server).collect()
}

#[derive(Debug, sqlx::FromRow)]
struct ClientRow {
    tenant_id: Uuid,
    #[sqlx(flatten)]
    row: Row,
}

/// The instances of each of `clients` (of the transaction's MSP) active at any moment of
/// `period`, by client.
pub async fn active_for_clients(
    tx: &mut TenantTx,
    clients: &[Uuid],
    period: Period,
) -> AppResult<HashMap<Uuid, Vec<Server>>> {
    let rows: Vec<ClientRow> = sqlx::query_as(&format!(
        "SELECT tenant_id, {COLUMNS} FROM servers
         WHERE msp_id = $4 AND tenant_id = ANY($1) AND created_at < $3
           AND (deleted_at IS NULL OR deleted_at > $2)
         ORDER BY created_at, id"
    ))
    .bind(clients)
    .bind(period.start())
    .bind(period.end())
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let mut by_client: HashMap<Uuid, Vec<Server>> = HashMap::new();
    for r in rows {
        by_client
            .entry(r.tenant_id)
            .or_default()
            .push(r.row.into_server()?);
    }
    Ok(by_client)
}
