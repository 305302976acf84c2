//! The audit trail: one row per mutation.

use chrono::{DateTime, Utc};
use mspdesk_api::types::{AuditEntry, Page};
use mspdesk_domain::TenantId;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// What an audit row says was done: the API's [`AuditAction`], stored by its name.
pub use mspdesk_api::types::AuditAction as Action;

/// Records that `actor` did `action` to `target_id` in the transaction's tenant.
pub async fn record(
    tx: &mut TenantTx,
    actor: Uuid,
    action: Action,
    target_id: &str,
) -> AppResult<()> {
    let tenant = tx.tenant().as_uuid();
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, id, actor_id, action, target_type, target_id, msp_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(actor)
    .bind(action.as_str())
    .bind(action.target().as_str())
    .bind(target_id)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}

type Row = (Uuid, Uuid, Uuid, String, String, String, DateTime<Utc>);

/// The newest entries first: the tenant's own and, for an MSP, its clients'.
pub async fn list(
    tx: &mut TenantTx,
    limit: u32,
    cursor: Option<&str>,
) -> AppResult<Page<AuditEntry>> {
    let before = match cursor {
        None => None,
        Some(c) => Some(
            Uuid::parse_str(c).map_err(|_| AppError::BadRequest("cursor is not valid".into()))?,
        ),
    };
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.tenant_id, a.id, a.actor_id, a.action, a.target_type, a.target_id, a.at
         FROM audit_log a
         WHERE a.msp_id = $4 AND (a.tenant_id = $1 OR $1 = $4)
           AND ($2::uuid IS NULL OR a.id < $2)
         ORDER BY a.id DESC
         LIMIT $3",
    )
    .bind(tenant)
    .bind(before)
    .bind(i64::from(limit) + 1)
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    let more = rows.len() > limit as usize;
    let items: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .filter_map(
            |(tenant_id, id, actor_id, action, _target_type, target_id, at)| {
                let action = Action::from_name(&action);
                if action.is_none() {
                    tracing::warn!(%id, "an audit row with an unknown action is left out");
                }
                let action = action?;
                Some(AuditEntry {
                    id,
                    tenant_id: TenantId::try_from(tenant_id).ok()?,
                    actor_id,
                    target_type: action.target(),
                    action,
                    target_id,
                    at,
                })
            },
        )
        .collect();
    let next_cursor = if more {
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
