//! The local store: SQLite in WAL mode with full fsync on commit, so a draft whose save has
//! returned survives a crash or a kill.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/desk");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the local store at {path} could not be opened: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("the local store could not be upgraded: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the local store failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the local store holds unreadable data for {0}")]
    Corrupt(String),
}

/// What a draft changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DraftKind {
    Branding,
    Quotas,
    Catalog,
}

impl DraftKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DraftKind::Branding => "branding",
            DraftKind::Quotas => "quotas",
            DraftKind::Catalog => "catalog",
        }
    }
}

impl FromStr for DraftKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "branding" => Ok(DraftKind::Branding),
            "quotas" => Ok(DraftKind::Quotas),
            "catalog" => Ok(DraftKind::Catalog),
            other => Err(format!(
                "{other} is not a draft kind (branding, quotas, catalog)"
            )),
        }
    }
}

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: DraftKind,
    pub tenant: String,
    pub body: serde_json::Value,
    pub base_version: i64,
}

/// A draft the server refused as stale, with the server's current value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: DraftKind,
    pub tenant: String,
    pub draft: serde_json::Value,
    pub server: serde_json::Value,
    pub server_version: i64,
}

/// A create waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: String,
    pub kind: String,
    pub tenant: String,
    pub body: serde_json::Value,
    pub idempotency_key: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub server: String,
    pub email: String,
    pub msp_tenant: String,
    pub last_sync_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

fn json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(what.to_owned()))
}

impl Store {
    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                source: sqlx::Error::Io(e),
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.display().to_string(),
                source,
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// `PRAGMA integrity_check` says "ok".
    pub async fn integrity_ok(&self) -> Result<bool, StoreError> {
        let result: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?;
        Ok(result == "ok")
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // --- account -------------------------------------------------------------------------

    pub async fn account(&self) -> Result<Option<Account>, StoreError> {
        let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT server, email, msp_tenant, last_sync_at FROM account WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(server, email, msp_tenant, last_sync_at)| Account {
                server,
                email,
                msp_tenant,
                last_sync_at,
            }),
        )
    }

    /// Records the signed-in account; signing in to another server or tenant forgets the
    /// previous one's data.
    pub async fn set_account(
        &self,
        server: &str,
        email: &str,
        msp_tenant: &str,
    ) -> Result<(), StoreError> {
        if let Some(old) = self.account().await? {
            if old.server != server || old.msp_tenant != msp_tenant {
                self.clear().await?;
            }
        }
        sqlx::query(
            "INSERT INTO account (id, server, email, msp_tenant) VALUES (1, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET server = excluded.server, email = excluded.email, msp_tenant = excluded.msp_tenant",
        )
        .bind(server)
        .bind(email)
        .bind(msp_tenant)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mark_synced(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE account SET last_sync_at = ? WHERE id = 1")
            .bind(Utc::now().to_rfc3339())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets everything: account, mirror, drafts, outbox, conflicts.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for table in ["account", "mirror", "drafts", "outbox", "conflicts"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // --- mirror --------------------------------------------------------------------------

    /// Replaces every mirrored item of `kind` in `tenant` by `items` (id, value, version), in
    /// one transaction: a sync never leaves half a list.
    pub async fn replace_mirror<T: Serialize>(
        &self,
        kind: &str,
        tenant: &str,
        items: &[(String, T, Option<i64>)],
    ) -> Result<(), StoreError> {
        let now = Utc::now().to_rfc3339();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM mirror WHERE kind = ? AND tenant = ?")
            .bind(kind)
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        for (id, value, version) in items {
            sqlx::query("INSERT INTO mirror (kind, tenant, id, body, version, synced_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(kind)
                .bind(tenant)
                .bind(id)
                .bind(json(value)?)
                .bind(version)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn put_mirror<T: Serialize>(
        &self,
        kind: &str,
        tenant: &str,
        id: &str,
        value: &T,
        version: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mirror (kind, tenant, id, body, version, synced_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind, tenant, id) DO UPDATE SET body = excluded.body, version = excluded.version, synced_at = excluded.synced_at",
        )
        .bind(kind)
        .bind(tenant)
        .bind(id)
        .bind(json(value)?)
        .bind(version)
        .bind(Utc::now().to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mirror<T: DeserializeOwned>(
        &self,
        kind: &str,
        tenant: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM mirror WHERE kind = ? AND tenant = ? AND id = ?")
                .bind(kind)
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        body.map(|b| parse(kind, &b)).transpose()
    }

    pub async fn mirror_all<T: DeserializeOwned>(
        &self,
        kind: &str,
        tenant: &str,
    ) -> Result<Vec<T>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM mirror WHERE kind = ? AND tenant = ? ORDER BY rowid",
        )
        .bind(kind)
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        bodies.iter().map(|b| parse(kind, b)).collect()
    }

    /// Rows in the mirror (for sync figures).
    pub async fn mirror_rows(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM mirror")
            .fetch_one(&self.pool)
            .await?)
    }

    // --- drafts --------------------------------------------------------------------------

    /// Saves (replaces) the draft of `kind` for `tenant`; durable when this returns.
    pub async fn save_draft(
        &self,
        kind: DraftKind,
        tenant: &str,
        body: &serde_json::Value,
        base_version: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO drafts (kind, tenant, body, base_version, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (kind, tenant) DO UPDATE SET body = excluded.body, base_version = excluded.base_version, updated_at = excluded.updated_at",
        )
        .bind(kind.as_str())
        .bind(tenant)
        .bind(json(body)?)
        .bind(base_version)
        .bind(Utc::now().to_rfc3339())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn draft(&self, kind: DraftKind, tenant: &str) -> Result<Option<Draft>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT body, base_version FROM drafts WHERE kind = ? AND tenant = ?")
                .bind(kind.as_str())
                .bind(tenant)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(body, base_version)| {
            Ok(Draft {
                kind,
                tenant: tenant.to_owned(),
                body: parse("draft", &body)?,
                base_version,
            })
        })
        .transpose()
    }

    pub async fn drafts(&self) -> Result<Vec<Draft>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT kind, tenant, body, base_version FROM drafts ORDER BY updated_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(kind, tenant, body, base_version)| {
                Ok(Draft {
                    kind: kind.parse().map_err(StoreError::Corrupt)?,
                    tenant,
                    body: parse("draft", &body)?,
                    base_version,
                })
            })
            .collect()
    }

    pub async fn delete_draft(&self, kind: DraftKind, tenant: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM drafts WHERE kind = ? AND tenant = ?")
            .bind(kind.as_str())
            .bind(tenant)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // --- conflicts -----------------------------------------------------------------------

    pub async fn record_conflict(&self, c: &Conflict) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO conflicts (kind, tenant, draft, server, server_version, created_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (kind, tenant) DO UPDATE SET draft = excluded.draft, server = excluded.server,
                 server_version = excluded.server_version, created_at = excluded.created_at",
        )
        .bind(c.kind.as_str())
        .bind(&c.tenant)
        .bind(json(&c.draft)?)
        .bind(json(&c.server)?)
        .bind(c.server_version)
        .bind(Utc::now().to_rfc3339())
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
                    tenant,
                    draft: parse("conflict", &draft)?,
                    server: parse("conflict", &server)?,
                    server_version,
                })
            })
            .collect()
    }

    pub async fn delete_conflict(&self, kind: DraftKind, tenant: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM conflicts WHERE kind = ? AND tenant = ?")
            .bind(kind.as_str())
            .bind(tenant)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // --- outbox --------------------------------------------------------------------------

    pub async fn enqueue(
        &self,
        kind: &str,
        tenant: &str,
        body: &serde_json::Value,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query("INSERT INTO outbox (id, kind, tenant, body, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(kind)
            .bind(tenant)
            .bind(json(body)?)
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(Utc::now().to_rfc3339())
            .execute(&self.pool)
            .await?;
        Ok(id)
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            kind: String,
            tenant: String,
            body: String,
            idempotency_key: String,
            attempts: i64,
            last_error: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, kind, tenant, body, idempotency_key, attempts, last_error FROM outbox ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxEntry {
                    body: parse("outbox", &r.body)?,
                    id: r.id,
                    kind: r.kind,
                    tenant: r.tenant,
                    idempotency_key: r.idempotency_key,
                    attempts: r.attempts,
                    last_error: r.last_error,
                })
            })
            .collect()
    }

    pub async fn outbox_failed(&self, id: &str, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
            .bind(error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn outbox_done(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM outbox WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
