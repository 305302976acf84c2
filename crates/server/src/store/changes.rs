//! The change feed of an MSP: what every mutation changed, stamped when its transaction
//! commits, and read back in pages (`GET /changes`).
//!
//! Writing: store functions [`record`](crate::db::TenantTx::record) what they changed in the
//! [`TenantTx`]; its commit calls [`stamp`] as its last statements: the MSP's head row
//! (`feed_heads`) is bumped by the number of changes, which locks it until COMMIT, so numbers
//! are handed out in commit order, and each resource's one row in `changes` is upserted with
//! its new number. Reading: one index range scan of `changes` after the cursor, then the
//! bodies, one query per kind, in the same snapshot.

use std::collections::HashMap;

use mspdesk_api::types::{ChangeItem, ChangeKind, ChangeOp, ChangesPage};
use mspdesk_domain::{ClientId, TenantId};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// How long tombstones are kept. A cursor older than the newest purged tombstone gets 410.
pub const TOMBSTONE_DAYS: i32 = 30;

/// One change of one resource, as a store function records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// The resource's id in the feed (see [`ChangeKind`]).
    pub id: String,
    /// The client the resource belongs to; None for the MSP's own.
    pub client: Option<Uuid>,
    pub op: ChangeOp,
}

impl Change {
    pub fn upsert(kind: ChangeKind, id: impl ToString, client: Option<Uuid>) -> Self {
        Self {
            kind,
            id: id.to_string(),
            client,
            op: ChangeOp::Upsert,
        }
    }

    pub fn delete(kind: ChangeKind, id: impl ToString, client: Option<Uuid>) -> Self {
        Self {
            kind,
            id: id.to_string(),
            client,
            op: ChangeOp::Delete,
        }
    }
}

/// Records a change of a resource of the transaction's client tenant. A server, user or app
/// also changes the client's usage and compliance, so the client record is recorded too.
pub(crate) fn own(tx: &mut TenantTx, kind: ChangeKind, id: impl ToString, op: ChangeOp) {
    let client = tx.tenant().as_uuid();
    tx.record(Change {
        kind,
        id: id.to_string(),
        client: Some(client),
        op,
    });
    if matches!(
        kind,
        ChangeKind::Server | ChangeKind::User | ChangeKind::App
    ) {
        tx.record(Change::upsert(ChangeKind::Client, client, Some(client)));
    }
}

/// Records an upsert of one of the MSP's own resources (plan, price, fx).
pub(crate) fn msp_upsert(tx: &mut TenantTx, kind: ChangeKind, id: impl ToString) {
    tx.record(Change::upsert(kind, id, None));
}

const fn op_str(op: ChangeOp) -> &'static str {
    match op {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Delete => "delete",
    }
}

/// Writes `changes` to the feed of `msp` (the transaction's MSP), in one statement: the head row's update numbers the changes
/// (`seq - n + ordinality`) for the insert that follows it in the same statement. Must be the
/// last statement before COMMIT: the head row stays locked until then, so the lock is held for
/// this statement and the COMMIT only (every write of one MSP waits for it).
pub(crate) async fn stamp(
    conn: &mut PgConnection,
    msp: TenantId,
    changes: &[Change],
) -> AppResult<()> {
    let n = i64::try_from(changes.len()).map_err(|e| AppError::Internal(e.to_string()))?;
    let kinds: Vec<&str> = changes.iter().map(|c| c.kind.as_str()).collect();
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    let clients: Vec<Option<Uuid>> = changes.iter().map(|c| c.client).collect();
    let ops: Vec<&str> = changes.iter().map(|c| op_str(c.op)).collect();
    sqlx::query(
        "WITH head AS (
             INSERT INTO feed_heads (tenant_id, seq) VALUES ($6, $1)
             ON CONFLICT (tenant_id) DO UPDATE SET seq = feed_heads.seq + $1
             RETURNING tenant_id, seq
         )
         INSERT INTO changes (msp_id, tenant_id, kind, id, client_id, op, seq)
         SELECT head.tenant_id, coalesce(u.client_id, head.tenant_id), u.kind, u.id,
                u.client_id, u.op, head.seq - $1 + u.ord
         FROM head, unnest($2::text[], $3::text[], $4::uuid[], $5::text[]) WITH ORDINALITY
              AS u(kind, id, client_id, op, ord)
         ON CONFLICT (msp_id, kind, id) DO UPDATE SET
             tenant_id = excluded.tenant_id, client_id = excluded.client_id, op = excluded.op,
             seq = excluded.seq, changed_at = excluded.changed_at",
    )
    .bind(n)
    .bind(&kinds)
    .bind(&ids)
    .bind(&clients)
    .bind(&ops)
    .bind(msp.as_uuid())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the MSP's tombstones older than [`TOMBSTONE_DAYS`] and raises its horizon to the
/// highest purged number. Cheap enough to run before every read: when there is nothing to
/// purge it is one probe of a partial index. When there is, it takes the head row's lock
/// first, like a writer, so the two never wait for each other in opposite orders.
pub async fn purge(tx: &mut TenantTx) -> AppResult<()> {
    let msp = tx.msp().as_uuid();
    let due: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM changes
             WHERE msp_id = $1 AND op = 'delete' AND changed_at < now() - make_interval(days => $2))",
    )
    .bind(msp)
    .bind(TOMBSTONE_DAYS)
    .fetch_one(tx.conn())
    .await?;
    if !due {
        return Ok(());
    }
    sqlx::query("SELECT 1 FROM feed_heads WHERE tenant_id = $1 FOR UPDATE")
        .bind(msp)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "WITH purged AS (
             DELETE FROM changes
             WHERE msp_id = $1 AND op = 'delete' AND changed_at < now() - make_interval(days => $2)
             RETURNING seq)
         UPDATE feed_heads SET horizon = greatest(horizon, (SELECT max(seq) FROM purged))
         WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM purged)",
    )
    .bind(msp)
    .bind(TOMBSTONE_DAYS)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A position in the feed: everything numbered up to `seq` has been delivered. `floor` is set
/// while a snapshot is being paged: it is the head when the snapshot started, and tombstones
/// numbered up to it are of resources the snapshot never delivered, so they are skipped (and
/// their purge does not make the cursor stale).
///
/// As text: `1:<seq>`, or `1:<seq>:<floor>` with `floor > seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    seq: i64,
    floor: i64,
}

impl Cursor {
    /// Parses a cursor from `since`; anything else is a 400.
    pub fn parse(text: &str) -> AppResult<Self> {
        let bad = || AppError::BadRequest("since is not a cursor of this feed".into());
        let mut parts = text.split(':');
        if parts.next() != Some("1") {
            return Err(bad());
        }
        let number = |p: Option<&str>| -> AppResult<i64> {
            p.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<i64>().ok())
                .ok_or_else(bad)
        };
        let seq = number(parts.next())?;
        let floor = match parts.next() {
            None => 0,
            Some(f) => {
                let floor = number(Some(f))?;
                if floor <= seq {
                    return Err(bad());
                }
                floor
            }
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self { seq, floor })
    }

    fn format(self) -> String {
        if self.floor > self.seq {
            format!("1:{}:{}", self.seq, self.floor)
        } else {
            format!("1:{}", self.seq)
        }
    }
}

/// A row of the feed table.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    kind: String,
    id: String,
    client_id: Option<Uuid>,
    op: String,
    seq: i64,
}

/// The page query. Its plan (an index range scan of `changes_msp_seq`) is checked by a test.
pub const PAGE_QUERY: &str = "SELECT kind, id, client_id, op, seq FROM changes
     WHERE msp_id = $1 AND seq > $2 AND (op = 'upsert' OR seq > $3)
     ORDER BY seq LIMIT $4";

/// A page of the MSP's feed after `since` (None: a snapshot from the start, upserts only), at
/// most `limit` items. Must run in a snapshot transaction ([`TenantTx::begin_snapshot`]), so
/// that the feed rows and the bodies agree.
pub async fn page(tx: &mut TenantTx, since: Option<Cursor>, limit: u32) -> AppResult<ChangesPage> {
    let msp = tx.msp().as_uuid();
    let (head, horizon): (i64, i64) =
        sqlx::query_as("SELECT seq, horizon FROM feed_heads WHERE tenant_id = $1")
            .bind(msp)
            .fetch_optional(tx.conn())
            .await?
            .unwrap_or((0, 0));
    let from = match since {
        None => Cursor {
            seq: 0,
            floor: head,
        },
        Some(c) if horizon > c.seq.max(c.floor) => return Err(AppError::ResyncRequired),
        Some(c) => c,
    };
    let mut rows: Vec<Row> = sqlx::query_as(PAGE_QUERY)
        .bind(msp)
        .bind(from.seq)
        .bind(from.floor)
        .bind(i64::from(limit) + 1)
        .fetch_all(tx.conn())
        .await?;
    let complete = rows.len() <= limit as usize;
    rows.truncate(limit as usize);
    let bodies = bodies(tx, &rows).await?;
    let last = rows.last().map_or(from.seq, |r| r.seq);
    let next = Cursor {
        seq: if complete { last.max(from.floor) } else { last },
        floor: from.floor,
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(kind) = ChangeKind::parse(&row.kind) else {
            return Err(AppError::Internal(format!("feed kind {}", row.kind)));
        };
        let body = match row.op.as_str() {
            "delete" => None,
            _ => bodies.get(&(kind, row.id.clone())).cloned(),
        };
        // A resource that is gone reads as a delete (skipped where tombstones are).
        if body.is_none() && row.seq <= from.floor {
            continue;
        }
        items.push(ChangeItem {
            op: if body.is_some() {
                ChangeOp::Upsert
            } else {
                ChangeOp::Delete
            },
            kind,
            id: row.id,
            client_id: row.client_id.and_then(|c| ClientId::try_from(c).ok()),
            body,
        });
    }
    Ok(ChangesPage {
        items,
        next_cursor: next.format(),
        complete,
    })
}

type Bodies = HashMap<(ChangeKind, String), serde_json::Value>;

fn put<T: Serialize>(bodies: &mut Bodies, kind: ChangeKind, id: String, body: &T) -> AppResult<()> {
    let value = serde_json::to_value(body).map_err(|e| AppError::Internal(e.to_string()))?;
    bodies.insert((kind, id), value);
    Ok(())
}

/// The bodies of the upserts among `rows`, as their routes return them: one query per kind,
/// each limited to the MSP's own resources (and RLS).
async fn bodies(tx: &mut TenantTx, rows: &[Row]) -> AppResult<Bodies> {
    let mut wanted: HashMap<ChangeKind, Vec<&str>> = HashMap::new();
    for r in rows.iter().filter(|r| r.op == "upsert") {
        if let Some(kind) = ChangeKind::parse(&r.kind) {
            wanted.entry(kind).or_default().push(r.id.as_str());
        }
    }
    let uuids = |ids: &[&str]| -> Vec<Uuid> {
        ids.iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect()
    };
    let mut bodies = Bodies::new();
    for (kind, ids) in wanted {
        match kind {
            ChangeKind::Client => {
                for c in super::clients::by_ids(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, c.id.to_string(), &c)?;
                }
            }
            ChangeKind::Server => {
                for s in super::servers::of_clients_by_ids(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, s.id.to_string(), &s)?;
                }
            }
            ChangeKind::User => {
                for u in super::users::of_clients_by_ids(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, u.id.to_string(), &u)?;
                }
            }
            ChangeKind::App => {
                for a in super::apps::of_clients_by_ids(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, a.id.to_string(), &a)?;
                }
            }
            ChangeKind::Catalog => {
                for (client, c) in super::catalog::of_clients(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, client.to_string(), &c)?;
                }
            }
            ChangeKind::Branding => {
                for (client, b) in super::branding::of_clients(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, client.to_string(), &b)?;
                }
            }
            ChangeKind::Plan => {
                for p in super::plans::by_ids(tx, &uuids(&ids)).await? {
                    put(&mut bodies, kind, p.id.to_string(), &p)?;
                }
            }
            ChangeKind::Price => {
                for p in super::plans::prices_by_keys(tx, &ids).await? {
                    put(&mut bodies, kind, price_id(&p), &p)?;
                }
            }
            ChangeKind::Fx => {
                let fx = super::billing::fx_body(tx).await?;
                put(&mut bodies, kind, FX_ID.to_owned(), &fx)?;
            }
            // Only for reading a newer server's feed; never stored here.
            ChangeKind::Unknown => {}
        }
    }
    Ok(bodies)
}

/// The feed id of the MSP's exchange-rate table.
pub const FX_ID: &str = "fx";

/// The feed id of a price: `provider/server_type`.
pub fn price_id(p: &mspdesk_api::types::Price) -> String {
    format!("{}/{}", p.provider, p.server_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        for text in ["1:0", "1:42", "1:3:10"] {
            assert_eq!(Cursor::parse(text).unwrap().format(), text);
        }
        for text in [
            "",
            "1",
            "1:",
            "2:5",
            "1:-1",
            "1:+1",
            "1:x",
            "1:5:5",
            "1:5:4",
            "1:1:2:3",
            "abc",
            "1:99999999999999999999",
        ] {
            assert!(Cursor::parse(text).is_err(), "{text}");
        }
    }
}
