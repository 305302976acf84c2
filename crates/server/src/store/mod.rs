//! Data access. Every function takes the request's [`TenantTx`](crate::db::TenantTx) and
//! filters by its tenant in SQL, on top of the row-level security that PostgreSQL enforces for
//! the same tenant: isolation holds twice.

pub mod apps;
pub mod audit;
pub mod billing;
pub mod branding;
pub mod catalog;
pub mod changes;
pub mod clients;
pub mod domains;
pub mod idempotency;
pub mod keys;
pub mod msp;
pub mod operators;
pub mod plans;
pub mod portal;
pub mod revocations;
pub mod servers;
pub mod setup;
pub mod throttle;
pub mod users;

use base64::Engine;
use mspdesk_domain::{Currency, Quotas};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// A page cursor: the sort key of the last row of a page, as opaque text.
pub(crate) fn encode_cursor(key: &impl Serialize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(key).unwrap_or_default())
}

/// The sort key a cursor holds; 400 for one this server did not hand out.
pub(crate) fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> AppResult<T> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::BadRequest("cursor is not valid".into()))
}

/// Splits `limit + 1` fetched rows into a page of `limit` and the cursor of its last row when
/// more follow.
pub(crate) fn page_of<R, K: Serialize>(
    mut rows: Vec<R>,
    limit: u32,
    key: impl Fn(&R) -> K,
) -> (Vec<R>, Option<String>) {
    let limit = limit as usize;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|last| encode_cursor(&key(last)))
    } else {
        None
    };
    (rows, next)
}

/// Quota columns as read from a row (`integer`, NULL = unlimited).
pub(crate) fn quotas_from(cols: [Option<i32>; 4]) -> Quotas {
    let q = |v: Option<i32>| v.and_then(|n| u32::try_from(n).ok());
    Quotas {
        max_servers: q(cols[0]),
        max_users: q(cols[1]),
        max_apps_per_server: q(cols[2]),
        storage_quota_gb: q(cols[3]),
    }
}

/// A quota as a column value.
pub(crate) fn quota_col(v: Option<u32>) -> Option<i32> {
    v.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

/// A count from SQL (`bigint`, never negative) as `u64`.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A currency code as stored (written only from a typed `Currency`): the one place the
/// store turns a column into a `Currency`.
pub(crate) fn currency(code: &str) -> AppResult<Currency> {
    mspdesk_domain::parse_currency(code)
        .map_err(|e| AppError::Internal(format!("stored currency: {e}")))
}
