//! A client's app catalog. A client without a stored catalog has the default one: mode `all`,
//! version 1.

use mspdesk_api::types::{Catalog, ChangeKind, ChangeOp, NewCatalog, TemplateInfo};
use mspdesk_domain::CatalogMode;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

pub async fn templates(tx: &mut TenantTx) -> AppResult<Vec<TemplateInfo>> {
    let rows: Vec<(String, String, String, String, i32)> = sqlx::query_as(
        "SELECT id, name, category, description, size_mb FROM templates ORDER BY category, name",
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, category, description, size_mb)| TemplateInfo {
            id,
            name,
            category,
            description,
            size_mb: u32::try_from(size_mb).unwrap_or(0),
        })
        .collect())
}

type Row = (String, Vec<String>, i64);

/// A client with its stored catalog, if any (a LEFT JOIN).
type ClientRow = (Uuid, Option<String>, Option<Vec<String>>, Option<i64>);

pub async fn get(tx: &mut TenantTx) -> AppResult<Catalog> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT mode, enabled, version FROM catalogs WHERE msp_id = $2 AND tenant_id = $1",
    )
    .bind(tx.tenant().as_uuid())
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(catalog(row))
}

/// The catalogs of those of `clients` that are the MSP's clients, by client.
pub async fn of_clients(tx: &mut TenantTx, clients: &[Uuid]) -> AppResult<Vec<(Uuid, Catalog)>> {
    let rows: Vec<ClientRow> = sqlx::query_as(
        "SELECT c.id, cat.mode, cat.enabled, cat.version
         FROM clients c
         LEFT JOIN catalogs cat ON cat.msp_id = $1 AND cat.tenant_id = c.id
         WHERE c.tenant_id = $1 AND c.id = ANY($2)",
    )
    .bind(tx.msp().as_uuid())
    .bind(clients)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(client, mode, enabled, version)| {
            let row = match (mode, enabled, version) {
                (Some(m), Some(e), Some(v)) => Some((m, e, v)),
                _ => None,
            };
            (client, catalog(row))
        })
        .collect())
}

/// A stored catalog, or the default one.
fn catalog(row: Option<Row>) -> Catalog {
    match row {
        None => Catalog {
            mode: CatalogMode::All,
            enabled: Vec::new(),
            version: 1,
        },
        Some((mode, enabled, version)) => Catalog {
            mode: CatalogMode::parse(&mode).unwrap_or_default(),
            enabled,
            version,
        },
    }
}

/// Replaces the catalog if `version` is current (412 otherwise).
pub async fn put(tx: &mut TenantTx, new: &NewCatalog, version: i64) -> AppResult<Catalog> {
    let tenant = tx.tenant().as_uuid();
    // Serialise writers of this catalog, including the very first one (no row to lock yet).
    tx.lock("catalog").await?;
    let current = get(tx).await?;
    if current.version != version {
        return Err(AppError::VersionConflict(current.version));
    }
    let (mode, enabled, version): (String, Vec<String>, i64) = sqlx::query_as(
        "INSERT INTO catalogs (tenant_id, mode, enabled, version, msp_id, updated_at)
         VALUES ($1, $2, $3, $4 + 1, $5, now())
         ON CONFLICT (msp_id, tenant_id) DO UPDATE SET mode = $2, enabled = $3,
             version = catalogs.version + 1, updated_at = excluded.updated_at
         RETURNING mode, enabled, version",
    )
    .bind(tenant)
    .bind(new.mode.as_str())
    .bind(&new.enabled)
    .bind(version)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::Catalog, tenant, ChangeOp::Upsert);
    Ok(Catalog {
        mode: CatalogMode::parse(&mode).unwrap_or_default(),
        enabled,
        version,
    })
}
