//! Apps installed on a client's servers.

use chrono::{DateTime, Utc};
use mspdesk_api::types::{App, ChangeKind, ChangeOp, Page};
use mspdesk_domain::QuotaKind;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

type Row = (Uuid, Uuid, String, DateTime<Utc>);

fn app((id, server_id, template_id, created_at): Row) -> App {
    App {
        id,
        server_id,
        template_id,
        created_at,
    }
}

/// Installs a template on a server: the template must exist and be in the client's catalog,
/// the server must be active, and `max_apps_per_server` is checked under the server's lock.
pub async fn install(tx: &mut TenantTx, server_id: Uuid, template_id: &str) -> AppResult<App> {
    let server = super::servers::get(tx, server_id).await?;
    let template_id = template_id.trim();
    if mspdesk_domain::template(template_id).is_none() {
        return Err(AppError::validation(
            "template_id",
            "is not a template of the library",
        ));
    }
    if server.deleted_at.is_some() {
        return Err(AppError::Conflict {
            field: "server_id",
            detail: "the server is deleted".to_owned(),
        });
    }
    let catalog = super::catalog::get(tx).await?;
    if !catalog.mode.allows(template_id, &catalog.enabled) {
        return Err(AppError::NotInCatalog(template_id.to_owned()));
    }
    tx.lock(&format!("apps:{server_id}")).await?;
    let (quotas, _) = super::clients::own_quotas(tx).await?;
    let on_server: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apps WHERE msp_id = $3 AND tenant_id = $1 AND server_id = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(server_id)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    quotas
        .check_create(QuotaKind::MaxAppsPerServer, super::count(on_server), 1)
        .map_err(AppError::QuotaExceeded)?;
    let row: Row = sqlx::query_as(
        "INSERT INTO apps (tenant_id, id, server_id, template_id, msp_id) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, server_id, template_id, created_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(Uuid::now_v7())
    .bind(server_id)
    .bind(template_id)
    .bind(tx.msp().as_uuid())
    .fetch_one(tx.conn())
    .await?;
    super::changes::own(tx, ChangeKind::App, row.0, ChangeOp::Upsert);
    Ok(app(row))
}

/// A page of the apps on one of the tenant's servers, in install order, after `cursor`; 404
/// for a server that is not the tenant's.
pub async fn page(
    tx: &mut TenantTx,
    server_id: Uuid,
    limit: u32,
    cursor: Option<&str>,
) -> AppResult<Page<App>> {
    super::servers::get(tx, server_id).await?;
    let after: Option<(DateTime<Utc>, Uuid)> = cursor.map(super::decode_cursor).transpose()?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, server_id, template_id, created_at FROM apps
         WHERE msp_id = $6 AND tenant_id = $1 AND server_id = $2
           AND ($3::timestamptz IS NULL OR (created_at, id) > ($3, $4))
         ORDER BY created_at, id LIMIT $5",
    )
    .bind(tx.tenant().as_uuid())
    .bind(server_id)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(i64::from(limit) + 1)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let (rows, next_cursor) = super::page_of(rows, limit, |r: &Row| (r.3, r.0));
    Ok(Page {
        items: rows.into_iter().map(app).collect(),
        next_cursor,
    })
}

/// Every app on the tenant's servers (for the portal's overview), in install order.
pub async fn all(tx: &mut TenantTx) -> AppResult<Vec<App>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, server_id, template_id, created_at FROM apps
         WHERE msp_id = $2 AND tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(tx.tenant().as_uuid())
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(app).collect())
}

pub async fn uninstall(tx: &mut TenantTx, server_id: Uuid, app_id: Uuid) -> AppResult<()> {
    let deleted = sqlx::query(
        "DELETE FROM apps WHERE msp_id = $4 AND tenant_id = $1 AND server_id = $2 AND id = $3",
    )
    .bind(tx.tenant().as_uuid())
    .bind(server_id)
    .bind(app_id)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    if deleted.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    super::changes::own(tx, ChangeKind::App, app_id, ChangeOp::Delete);
    Ok(())
}

/// Those of `ids` that are apps of the MSP's clients.
pub async fn of_clients_by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<App>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, server_id, template_id, created_at FROM apps
         WHERE msp_id = $2 AND id = ANY($1)",
    )
    .bind(ids)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(app).collect())
}
