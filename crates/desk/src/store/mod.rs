//! The local store: SQLite in WAL mode with full fsync on commit, so a draft whose save has
//! returned survives a crash or a kill.
//!
//! - this file: opening, the signed-in account, the record of keyring entries, notices;
//! - [`mirror`]: the last synced copies of the server's resources;
//! - [`local`]: what this desk made and the server has not accepted yet (drafts, the outbox)
//!   and conflicts.

mod feed;
mod images;
mod local;
mod mirror;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mspdesk_domain::{ClientId, TenantId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use uuid::Uuid;

pub use feed::{FeedState, MirrorWrite, PageApplied};
pub use images::StoredImage;
pub use local::{Conflict, Draft, OutboxEntry};

use crate::kinds::DraftKind;

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

/// The signed-in Control Panel and operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    /// The server's origin, e.g. `https://cp.example.com`.
    pub server: String,
    pub email: String,
    pub msp_tenant: TenantId,
    pub last_sync_at: Option<DateTime<Utc>>,
}

/// Something the user should know that no screen would otherwise show: a draft whose client
/// was deleted on the server (its body is kept here, nothing is lost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Notice {
    pub id: Uuid,
    pub client: ClientId,
    pub company_name: String,
    /// The draft that could not be sent, if the notice is about one.
    pub draft_kind: Option<DraftKind>,
    pub message: String,
    pub body: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// A notice as stored: id, client, company name, draft kind, message, body, created at.
type NoticeRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
);

pub(crate) fn json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn parse<T: DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt(what.to_owned()))
}

pub(crate) fn parse_id<T: std::str::FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse().map_err(|_| StoreError::Corrupt(what.to_owned()))
}

pub(crate) fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(what.to_owned()))
}

/// File modes that keep the store to its user (Unix; elsewhere the user's profile folder
/// already is).
mod private {
    use std::path::Path;

    #[cfg(unix)]
    pub(super) fn folder(dir: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }

    /// Creates `path` with mode 0600 unless it exists.
    #[cfg(unix)]
    pub(super) fn create_file(path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Makes an existing `path` 0600 (a missing one is fine).
    #[cfg(unix)]
    pub(super) fn file(path: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    #[cfg(not(unix))]
    pub(super) fn folder(_: &Path) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn create_file(_: &Path) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn file(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339()
}

impl Store {
    /// Opens (creating if needed) the store at `path` and applies pending migrations. On Unix
    /// its folder is made private to the user (0700) and its files too (0600).
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |e: std::io::Error| StoreError::Open {
            path: path.display().to_string(),
            source: sqlx::Error::Io(e),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
            private::folder(dir).map_err(io)?;
        }
        // Created private before SQLite opens it (its journal files take the same mode).
        private::create_file(path).map_err(io)?;
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
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            private::file(Path::new(&file)).map_err(io)?;
        }
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
        row.map(|(server, email, msp_tenant, last_sync_at)| {
            Ok(Account {
                server,
                email,
                msp_tenant: parse_id("account", &msp_tenant)?,
                last_sync_at: last_sync_at
                    .map(|t| parse_time("account", &t))
                    .transpose()?,
            })
        })
        .transpose()
    }

    /// Records the signed-in account; signing in to another server or tenant forgets the
    /// previous one's data (the caller has made sure none of it is unsent).
    pub async fn set_account(
        &self,
        server: &str,
        email: &str,
        msp_tenant: TenantId,
    ) -> Result<(), StoreError> {
        if let Some(old) = self.account().await? {
            if old.server != server || old.msp_tenant != msp_tenant {
                self.clear().await?;
            }
        }
        sqlx::query(
            "INSERT INTO account (id, server, email, msp_tenant, signed_in) VALUES (1, ?, ?, ?, 1)
             ON CONFLICT (id) DO UPDATE SET server = excluded.server, email = excluded.email,
                 msp_tenant = excluded.msp_tenant, signed_in = 1",
        )
        .bind(server)
        .bind(email)
        .bind(msp_tenant.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the account in the store is signed in (false: none, or signed out with its
    /// unsent work kept).
    pub async fn signed_in(&self) -> Result<bool, StoreError> {
        let row: Option<bool> = sqlx::query_scalar("SELECT signed_in FROM account WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.unwrap_or(false))
    }

    /// Signs the account out but keeps its data (drafts, queued creates, conflicts, notices
    /// and the synced mirror they are based on); the record of keyring entries goes, since
    /// the caller has just deleted them.
    pub async fn keep_signed_out(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE account SET signed_in = 0 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM keyring_entries")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn mark_synced(&self) -> Result<(), StoreError> {
        sqlx::query("UPDATE account SET last_sync_at = ? WHERE id = 1")
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets everything: account, mirror, drafts, outbox, conflicts, notices, branding images
    /// not uploaded yet and the record of keyring entries.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for table in [
            "account",
            "mirror",
            "drafts",
            "outbox",
            "conflicts",
            "notices",
            "keyring_entries",
            "branding_images",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // --- keyring entries -----------------------------------------------------------------

    /// Notes that the keyring holds a token for `tenant` (the name only, never the token), so
    /// sign-out can delete it even when the tenant is gone from the mirror.
    pub async fn remember_keyring_entry(&self, tenant: TenantId) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO keyring_entries (tenant) VALUES (?) ON CONFLICT DO NOTHING")
            .bind(tenant.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn forget_keyring_entry(&self, tenant: TenantId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM keyring_entries WHERE tenant = ?")
            .bind(tenant.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn keyring_entries(&self) -> Result<Vec<TenantId>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT tenant FROM keyring_entries")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|t| parse_id("keyring entry", t)).collect()
    }

    // --- notices -------------------------------------------------------------------------

    pub async fn notices(&self) -> Result<Vec<Notice>, StoreError> {
        let rows: Vec<NoticeRow> = sqlx::query_as(
            "SELECT id, client, company_name, draft_kind, message, body, created_at
                 FROM notices ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, client, company_name, kind, message, body, created_at)| {
                    Ok(Notice {
                        id: parse_id("notice", &id)?,
                        client: parse_id("notice", &client)?,
                        company_name,
                        draft_kind: kind
                            .map(|k| k.parse().map_err(StoreError::Corrupt))
                            .transpose()?,
                        message,
                        body: body.map(|b| parse("notice", &b)).transpose()?,
                        created_at: parse_time("notice", &created_at)?,
                    })
                },
            )
            .collect()
    }

    pub async fn dismiss_notice(&self, id: Uuid) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM notices WHERE id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// A client the server no longer has: its mirror rows go, and its drafts and conflicts
    /// become notices (keeping their bodies), all in one transaction. Returns the number of
    /// notices written.
    pub async fn forget_client(
        &self,
        msp: TenantId,
        client: ClientId,
        company_name: &str,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let notices = forget_client_in(&mut tx, msp, client, company_name).await?;
        tx.commit().await?;
        Ok(notices)
    }
}

/// [`Store::forget_client`] inside a transaction the caller commits.
pub(crate) async fn forget_client_in(
    tx: &mut sqlx::SqliteConnection,
    msp: TenantId,
    client: ClientId,
    company_name: &str,
) -> Result<usize, StoreError> {
    let tenant = client.to_string();
    sqlx::query("DELETE FROM mirror WHERE tenant = ?")
        .bind(&tenant)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM mirror WHERE tenant = ? AND id = ? AND kind = 'client'")
        .bind(msp.to_string())
        .bind(&tenant)
        .execute(&mut *tx)
        .await?;
    let drafts: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, body FROM drafts WHERE tenant = ?")
            .bind(&tenant)
            .fetch_all(&mut *tx)
            .await?;
    for (kind, body) in &drafts {
        sqlx::query(
            "INSERT INTO notices (id, client, company_name, draft_kind, message, body, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(&tenant)
        .bind(company_name)
        .bind(kind)
        .bind(format!(
            "{company_name} was deleted on the server; its {kind} draft could not be sent and is kept here"
        ))
        .bind(body)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    }
    for table in ["drafts", "conflicts", "branding_images"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant = ?"))
            .bind(&tenant)
            .execute(&mut *tx)
            .await?;
    }
    Ok(drafts.len())
}
