//! What this desk made and the server has not accepted yet: drafts (with the version they were
//! based on), the outbox of creates (with their idempotency key), and conflicts.

use chrono::{DateTime, Utc};
use mspdesk_domain::ClientId;
use serde::Serialize;
use uuid::Uuid;

use super::{json, now, parse, parse_id, parse_time, Store, StoreError};
use crate::kinds::{DraftKind, OutboxOp};

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Draft {
    pub kind: DraftKind,
    pub client: ClientId,
    /// The update body the draft will send.
    pub body: serde_json::Value,
    /// The server's version the draft was first based on (sent as `If-Match`).
    pub base_version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A draft the server refused as stale, with the server's current value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    pub kind: DraftKind,
    pub client: ClientId,
    pub draft: serde_json::Value,
    pub server: serde_json::Value,
    pub server_version: i64,
}

/// A create waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub op: OutboxOp,
    pub idempotency_key: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl Store {
    // --- drafts --------------------------------------------------------------------------

    /// Saves (replaces) the draft of `kind` for `client`; durable when this returns.
    pub async fn save_draft(
        &self,
        kind: DraftKind,
        client: ClientId,
        body: &serde_json::Value,
        base_version: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drafts (kind, tenant, body, base_version, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind, tenant) DO UPDATE SET body = excluded.body, base_version = excluded.base_version, updated_at = excluded.updated_at",
        )
        .bind(kind.as_str())
        .bind(client.to_string())
        .bind(json(body)?)
        .bind(base_version)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn draft(
        &self,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<Option<Draft>, StoreError> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT body, base_version, updated_at FROM drafts WHERE kind = ? AND tenant = ?",
        )
        .bind(kind.as_str())
        .bind(client.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(body, base_version, updated_at)| {
            Ok(Draft {
                kind,
                client,
                body: parse("draft", &body)?,
                base_version,
                updated_at: parse_time("draft", &updated_at)?,
            })
        })
        .transpose()
    }

    /// Every draft, oldest change first.
    pub async fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
            "SELECT kind, tenant, body, base_version, updated_at FROM drafts ORDER BY updated_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, tenant, body, base_version, updated_at)| {
                Ok(Draft {
                    kind: kind.parse().map_err(StoreError::Corrupt)?,
                    client: parse_id("draft", &tenant)?,
                    body: parse("draft", &body)?,
                    base_version,
                    updated_at: parse_time("draft", &updated_at)?,
                })
            })
            .collect()
    }

    /// Deletes a draft; false when there was none.
    pub async fn delete_draft(
        &self,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM drafts WHERE kind = ? AND tenant = ?")
            .bind(kind.as_str())
            .bind(client.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // --- conflicts -----------------------------------------------------------------------

    pub async fn record_conflict(&self, c: &Conflict) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO conflicts (kind, tenant, draft, server, server_version, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind, tenant) DO UPDATE SET draft = excluded.draft, server = excluded.server,
                 server_version = excluded.server_version, created_at = excluded.created_at",
        )
        .bind(c.kind.as_str())
        .bind(c.client.to_string())
        .bind(json(&c.draft)?)
        .bind(json(&c.server)?)
        .bind(c.server_version)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn conflicts(&self) -> Result<Vec<Conflict>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT kind, tenant, draft, server, server_version FROM conflicts ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, tenant, draft, server, server_version)| {
                Ok(Conflict {
                    kind: kind.parse().map_err(StoreError::Corrupt)?,
                    client: parse_id("conflict", &tenant)?,
                    draft: parse("conflict", &draft)?,
                    server: parse("conflict", &server)?,
                    server_version,
                })
            })
            .collect()
    }

    pub async fn delete_conflict(
        &self,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM conflicts WHERE kind = ? AND tenant = ?")
            .bind(kind.as_str())
            .bind(client.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // --- outbox --------------------------------------------------------------------------

    /// Queues a create under `tenant` (the tenant that will own it); returns the entry's id.
    pub async fn enqueue(
        &self,
        op: &OutboxOp,
        tenant: mspdesk_domain::TenantId,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        let body = op
            .body()
            .map_err(|e| StoreError::Corrupt(format!("outbox: {e}")))?;
        sqlx::query("INSERT INTO outbox (id, kind, tenant, body, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(op.name())
            .bind(tenant.to_string())
            .bind(json(&body)?)
            .bind(Uuid::now_v7().to_string())
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            kind: String,
            body: String,
            idempotency_key: String,
            attempts: i64,
            last_error: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, kind, body, idempotency_key, attempts, last_error FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let body = parse("outbox", &r.body)?;
                Ok(OutboxEntry {
                    op: OutboxOp::from_stored(&r.kind, body)
                        .ok_or_else(|| StoreError::Corrupt(format!("outbox kind {}", r.kind)))?,
                    id: parse_id("outbox", &r.id)?,
                    idempotency_key: r.idempotency_key,
                    attempts: r.attempts,
                    last_error: r.last_error,
                })
            })
            .collect()
    }

    pub async fn outbox_failed(&self, id: Uuid, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
            .bind(error)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn outbox_done(&self, id: Uuid) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM outbox WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
