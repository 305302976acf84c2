//! Applying the Control Panel's change feed: each page in one transaction together with its
//! cursor, so a crash leaves the store at the previous page, never half-way through one. A
//! fresh snapshot writes a new generation of rows; when it completes, rows of older
//! generations (resources the server no longer has) go.

use mspdesk_domain::{ClientId, TenantId};
use serde::Deserialize;

use super::{forget_client_in, now, parse_id, Store, StoreError};
use crate::kinds::MirrorKind;

/// One change to the mirror: an upsert with the body's JSON, or a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorWrite {
    pub kind: MirrorKind,
    pub tenant: TenantId,
    pub id: String,
    /// The body as JSON text; None deletes the row.
    pub body: Option<String>,
    pub version: Option<i64>,
}

/// Where the feed stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedState {
    /// The cursor after the last applied page; None before the first page of a snapshot.
    pub cursor: Option<String>,
    /// A snapshot is being taken (its pages may span several syncs).
    pub snapshot: bool,
}

/// What applying a page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageApplied {
    /// Clients removed (deleted on the server), with their names.
    pub removed: Vec<(ClientId, String)>,
    /// Notices written for their drafts.
    pub notices: usize,
}

#[derive(Deserialize)]
struct Named {
    company_name: String,
}

/// The name of a mirrored client, for notices.
async fn client_name(
    tx: &mut sqlx::SqliteConnection,
    msp: TenantId,
    client: ClientId,
) -> Result<String, StoreError> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT body FROM mirror WHERE kind = 'client' AND tenant = ? AND id = ?",
    )
    .bind(msp.to_string())
    .bind(client.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    Ok(body
        .and_then(|b| serde_json::from_str::<Named>(&b).ok())
        .map_or_else(|| client.to_string(), |n| n.company_name))
}

/// Debug builds only: `MSPDESK_TEST_ABORT_MID_PAGE=1` kills the process in the middle of
/// applying a page, so a test can show that the page's transaction leaves nothing behind.
fn abort_mid_page() -> bool {
    cfg!(debug_assertions) && std::env::var_os("MSPDESK_TEST_ABORT_MID_PAGE").is_some()
}

impl Store {
    pub async fn feed_state(&self) -> Result<FeedState, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT feed_cursor, snapshot_gen FROM account WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let (cursor, snapshot) = row.unwrap_or((None, None));
        Ok(FeedState {
            cursor,
            snapshot: snapshot.is_some(),
        })
    }

    /// Starts a fresh snapshot: no cursor, and a generation newer than any row's (also newer
    /// than an interrupted snapshot's, so its rows do not count as seen by this one).
    pub async fn begin_snapshot(&self) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE account SET feed_cursor = NULL,
                 snapshot_gen = MAX(mirror_gen, COALESCE(snapshot_gen, 0)) + 1 WHERE id = 1",
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Applies one page of the feed and records its cursor, in one transaction. A client's
    /// delete forgets the client (its drafts become notices).
    pub async fn apply_page(
        &self,
        msp: TenantId,
        writes: &[MirrorWrite],
        cursor: &str,
    ) -> Result<PageApplied, StoreError> {
        let mut applied = PageApplied::default();
        let synced_at = now();
        let mut tx = self.pool.begin().await?;
        for (n, w) in writes.iter().enumerate() {
            if n == 1 && abort_mid_page() {
                // The crash test's failpoint: die between two writes of one page.
                std::process::abort();
            }
            match (&w.body, w.kind) {
                (None, MirrorKind::Client) => {
                    let client: ClientId = parse_id("client", &w.id)?;
                    let known: i64 = sqlx::query_scalar(
                        "SELECT (SELECT count(*) FROM mirror WHERE kind = 'client' AND tenant = ? AND id = ?)
                              + (SELECT count(*) FROM drafts WHERE tenant = ?)",
                    )
                    .bind(msp.to_string())
                    .bind(&w.id)
                    .bind(&w.id)
                    .fetch_one(&mut *tx)
                    .await?;
                    let name = client_name(&mut tx, msp, client).await?;
                    applied.notices += forget_client_in(&mut tx, msp, client, &name).await?;
                    // A client this desk deleted itself is gone already: nothing to report.
                    if known > 0 {
                        applied.removed.push((client, name));
                    }
                }
                (None, kind) => {
                    sqlx::query("DELETE FROM mirror WHERE kind = ? AND tenant = ? AND id = ?")
                        .bind(kind.as_str())
                        .bind(w.tenant.to_string())
                        .bind(&w.id)
                        .execute(&mut *tx)
                        .await?;
                }
                (Some(body), kind) => {
                    sqlx::query(&format!(
                        "INSERT INTO mirror (kind, tenant, id, body, version, synced_at, gen)
                         VALUES (?, ?, ?, ?, ?, ?, {})
                         ON CONFLICT (kind, tenant, id) DO UPDATE SET body = excluded.body,
                             version = excluded.version, synced_at = excluded.synced_at, gen = excluded.gen",
                        super::mirror::CURRENT_GEN
                    ))
                    .bind(kind.as_str())
                    .bind(w.tenant.to_string())
                    .bind(&w.id)
                    .bind(body)
                    .bind(w.version)
                    .bind(&synced_at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        sqlx::query("UPDATE account SET feed_cursor = ? WHERE id = 1")
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// Completes a snapshot: every row the snapshot did not write again is gone from the
    /// server, so it goes here too (clients with their drafts turned into notices).
    pub async fn finish_snapshot(&self, msp: TenantId) -> Result<PageApplied, StoreError> {
        let mut applied = PageApplied::default();
        let mut tx = self.pool.begin().await?;
        let gen: Option<i64> = sqlx::query_scalar("SELECT snapshot_gen FROM account WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
        let Some(gen) = gen else {
            return Ok(applied);
        };
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM mirror WHERE kind = 'client' AND tenant = ? AND gen < ?",
        )
        .bind(msp.to_string())
        .bind(gen)
        .fetch_all(&mut *tx)
        .await?;
        for id in stale {
            let client: ClientId = parse_id("client", &id)?;
            let name = client_name(&mut tx, msp, client).await?;
            applied.notices += forget_client_in(&mut tx, msp, client, &name).await?;
            applied.removed.push((client, name));
        }
        // The template library and the MSP's profile are not in the feed: each sync replaces
        // them whole.
        sqlx::query("DELETE FROM mirror WHERE gen < ? AND kind NOT IN ('template', 'msp')")
            .bind(gen)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE account SET mirror_gen = ?, snapshot_gen = NULL WHERE id = 1")
            .bind(gen)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(applied)
    }
}
