//! `Idempotency-Key` on creates: the first request with a key stores its response in the same
//! transaction as the create; a retry with the same key and body gets that response again and
//! creates nothing; the same key with another body is refused. Keys are per tenant.
//!
//! Keys expire after [`KEY_LIFETIME`]: an expired key is forgotten when it is used again (and
//! now and then all of a tenant's expired keys are), so it then starts a new request.
//!
//! Two concurrent requests with one key: the second one's insert of the key waits on the first
//! one's uncommitted row, then finds it committed (and replays it) or rolled back (and proceeds).

use axum::http::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// How long a key is remembered: 24 hours.
pub const KEY_LIFETIME: &str = "24 hours";

/// A key being used by the current request.
#[derive(Debug)]
pub struct Claimed {
    key: String,
}

/// What to do with the request.
#[derive(Debug)]
pub enum Begun {
    /// A fresh request: create, then [`finish`].
    Fresh(Option<Claimed>),
    /// A retry: answer with this status and body, create nothing.
    Replay(StatusCode, serde_json::Value),
}

fn fingerprint(route: &str, body: &impl Serialize) -> String {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(serde_json::to_vec(body).unwrap_or_default());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn begin(
    tx: &mut TenantTx,
    key: Option<&str>,
    route: &str,
    body: &impl Serialize,
) -> AppResult<Begun> {
    let Some(key) = key else {
        return Ok(Begun::Fresh(None));
    };
    let hash = fingerprint(route, body);
    let tenant = tx.tenant().as_uuid();
    // An expired key is no key: forget it (and, now and then, every expired key of the tenant).
    let purge_all = rand::random::<u8>() < 8;
    sqlx::query(&format!(
        "DELETE FROM idempotency_keys WHERE msp_id = $4 AND tenant_id = $1 AND ($2 OR key = $3)
           AND created_at < now() - interval '{KEY_LIFETIME}'"
    ))
    .bind(tenant)
    .bind(purge_all)
    .bind(key)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (tenant_id, key, request_hash, msp_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (msp_id, tenant_id, key) DO NOTHING",
    )
    .bind(tenant)
    .bind(key)
    .bind(&hash)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Begun::Fresh(Some(Claimed {
            key: key.to_owned(),
        })));
    }
    let (stored_hash, status, body): (String, Option<i32>, Option<serde_json::Value>) =
        sqlx::query_as(
            "SELECT request_hash, status, body FROM idempotency_keys
         WHERE msp_id = $3 AND tenant_id = $1 AND key = $2",
        )
        .bind(tenant)
        .bind(key)
        .bind(tx.msp().as_uuid())
        .fetch_one(tx.conn())
        .await?;
    if stored_hash != hash {
        return Err(AppError::validation(
            "Idempotency-Key",
            "was already used with a different request; use a new key for a new request",
        ));
    }
    match (status.and_then(|s| u16::try_from(s).ok()), body) {
        (Some(status), Some(body)) => Ok(Begun::Replay(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            body,
        )),
        _ => Err(AppError::Conflict {
            field: "Idempotency-Key",
            detail: "a request with this key is still being processed".to_owned(),
        }),
    }
}

/// Stores the response of a fresh request under its key (in the create's transaction).
pub async fn finish(
    tx: &mut TenantTx,
    claimed: Option<Claimed>,
    status: StatusCode,
    body: &serde_json::Value,
) -> AppResult<()> {
    let Some(claimed) = claimed else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE idempotency_keys SET status = $3, body = $4
         WHERE msp_id = $5 AND tenant_id = $1 AND key = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(&claimed.key)
    .bind(i32::from(status.as_u16()))
    .bind(body)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    Ok(())
}
