//! A throttle for failed sign-ins, kept in PostgreSQL so that its limits hold across every
//! server instance.
//!
//! Two kinds of [`Rule`]. An *address* rule counts failures per address in a fixed window that
//! starts at the first failure: once it has `limit` in its window, attempts from there are
//! refused until the window ends. An *account* rule counts the failures of one account **from
//! one address** ([`pair`]), with waits that grow: `limit` failures are free, the next wait is
//! `first_secs`, doubling with each further failure up to `max_secs`; failures are forgotten
//! `window_secs` after the last one. So guesses from anywhere never lock the rightful user out
//! on another address, while each guessing address slows to a crawl; an owner can clear an
//! account's waits ([`clear_account`]).
//!
//! An attempt is counted *before* its password is checked ([`reserve`], under a lock per key),
//! so a burst of concurrent guesses gets exactly `limit` checks. A success forgets its account
//! key and takes its attempt back from the address; an attempt whose password was never checked
//! is taken back ([`Reservation::refund`]). A refused attempt counts nowhere. Keys are stored as
//! their SHA-256; times come from one `now()` of the database, bound into the statements.
//!
//! The table is not tenant data: these functions run on the pool as the owner role, before any
//! tenant is known (the app role has no grant on it).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::{AppError, AppResult};

/// Growing waits of an account rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the `limit`-th failure.
    pub first_secs: u32,
    /// The longest wait.
    pub max_secs: u32,
}

/// A limit: at most `limit` failures per key of `scope`; see the module for the two kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub scope: &'static str,
    pub limit: u32,
    /// An address rule's window; an account rule's memory (after its last failure).
    pub window_secs: u32,
    /// Some for an account rule (per account and address, growing waits).
    pub backoff: Option<Backoff>,
}

const FIFTEEN_MINUTES: u32 = 15 * 60;
const A_DAY: u32 = 24 * 60 * 60;

/// A portal user's account from one address: 5 failures, then waits from a minute doubling to
/// an hour; forgotten a day after the last failure.
pub const PORTAL_ACCOUNT: Rule = Rule {
    scope: "portal-account-address",
    limit: 5,
    window_secs: A_DAY,
    backoff: Some(Backoff {
        first_secs: 60,
        max_secs: 60 * 60,
    }),
};
/// One address signing in to any portal: 20 failures per 15 minutes.
pub const PORTAL_ADDRESS: Rule = Rule {
    scope: "portal-address",
    limit: 20,
    window_secs: FIFTEEN_MINUTES,
    backoff: None,
};
/// An operator's account from one address (`POST /auth/login`): as the portal's.
pub const OPERATOR_ACCOUNT: Rule = Rule {
    scope: "operator-account-address",
    ..PORTAL_ACCOUNT
};
/// One address signing operators in.
pub const OPERATOR_ADDRESS: Rule = Rule {
    scope: "operator-address",
    ..PORTAL_ADDRESS
};

/// The key of an address: an IPv4 address as it is, an IPv6 address by its /64 (one host
/// usually holds a whole /64, so counting single addresses would count nothing).
#[must_use]
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// The key of an account rule: the account from one address.
#[must_use]
pub fn pair(account: &str, address: &str) -> String {
    format!("{account}\n{address}")
}

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// The account a key of an account rule belongs to, hashed (to clear its waits).
fn account_hash(rule: Rule, key: &str) -> Option<Vec<u8>> {
    rule.backoff
        .map(|_| hash(key.split_once('\n').map_or(key, |(account, _)| account)))
}

/// One key's row, as read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Count {
    failures: i32,
    window_ends: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

impl Rule {
    /// How long an attempt must wait now (None: it may go ahead).
    fn wait(&self, count: Option<Count>, now: DateTime<Utc>) -> Option<Duration> {
        let count = count?;
        let until = match self.backoff {
            None if count.failures >= i32::try_from(self.limit).unwrap_or(i32::MAX) => {
                count.window_ends
            }
            None => return None,
            Some(_) => count.blocked_until?,
        };
        (until > now).then(|| until - now)
    }

    /// The row after one more attempt.
    fn counted(&self, count: Option<Count>, now: DateTime<Utc>) -> Count {
        let window = Duration::seconds(i64::from(self.window_secs));
        let running = count.filter(|c| c.window_ends > now);
        let failures = running.map_or(1, |c| c.failures.saturating_add(1));
        match self.backoff {
            None => Count {
                failures,
                window_ends: running.map_or(now + window, |c| c.window_ends),
                blocked_until: None,
            },
            Some(backoff) => {
                let limit = i32::try_from(self.limit).unwrap_or(i32::MAX);
                let blocked_until = (failures >= limit).then(|| {
                    let doublings = u32::try_from(failures - limit).unwrap_or(0).min(30);
                    let secs = u64::from(backoff.first_secs)
                        .saturating_mul(1 << doublings)
                        .min(u64::from(backoff.max_secs));
                    now + Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
                });
                Count {
                    failures,
                    window_ends: now + window,
                    blocked_until,
                }
            }
        }
    }
}

/// An attempt counted against its keys (see [`reserve`]); a failure needs nothing more.
#[derive(Debug)]
#[must_use = "a success must clear the account, an attempt never checked must be refunded"]
pub struct Reservation {
    keys: Vec<(Rule, Vec<u8>)>,
}

/// Counts an attempt against each of `keys`, or refuses with 429 (`Retry-After`: the longest
/// wait) when any key must wait, counting nothing. Concurrent attempts on one key are
/// serialised.
pub async fn reserve(pool: &PgPool, keys: &[(Rule, &str)]) -> AppResult<Reservation> {
    let hashed: Vec<(Rule, Vec<u8>, Option<Vec<u8>>)> = keys
        .iter()
        .map(|(rule, key)| (*rule, hash(key), account_hash(*rule, key)))
        .collect();
    let mut tx = locked(
        pool,
        hashed.iter().map(|(rule, h, _)| (rule.scope, h.as_slice())),
    )
    .await?;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *tx)
        .await?;
    let mut counts = Vec::with_capacity(hashed.len());
    let mut wait = Duration::zero();
    for (rule, key_hash, _) in &hashed {
        let count: Option<(i32, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT failures, window_ends, blocked_until FROM throttle
             WHERE scope = $1 AND key_hash = $2",
        )
        .bind(rule.scope)
        .bind(key_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let count = count.map(|(failures, window_ends, blocked_until)| Count {
            failures,
            window_ends,
            blocked_until,
        });
        if let Some(w) = rule.wait(count, now) {
            wait = wait.max(w);
        }
        counts.push(count);
    }
    if wait > Duration::zero() {
        let seconds = u64::try_from(wait.num_milliseconds())
            .unwrap_or(1000)
            .div_ceil(1000);
        return Err(AppError::TooManyRequests(seconds.max(1)));
    }
    for ((rule, key_hash, account), count) in hashed.iter().zip(counts) {
        let next = rule.counted(count, now);
        // Values from the statement, not now(): the same rows are written on every node.
        sqlx::query(
            "INSERT INTO throttle (scope, key_hash, failures, window_ends, blocked_until, account_hash)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (scope, key_hash) DO UPDATE SET failures = excluded.failures,
                 window_ends = excluded.window_ends, blocked_until = excluded.blocked_until,
                 account_hash = excluded.account_hash",
        )
        .bind(rule.scope)
        .bind(key_hash)
        .bind(next.failures)
        .bind(next.window_ends)
        .bind(next.blocked_until)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if rand::random::<u8>() < 4 {
        sqlx::query("DELETE FROM throttle WHERE window_ends < $1")
            .bind(now - Duration::hours(1))
            .execute(pool)
            .await?;
    }
    Ok(Reservation {
        keys: hashed.into_iter().map(|(rule, h, _)| (rule, h)).collect(),
    })
}

impl Reservation {
    /// The sign-in succeeded: forgets the failures of `account`'s key (this account from this
    /// address) and takes this attempt back from the other keys (an address is not charged for
    /// a good sign-in).
    pub async fn succeeded(self, pool: &PgPool, account: Rule) -> AppResult<()> {
        let (mine, others): (Vec<_>, Vec<_>) = self
            .keys
            .into_iter()
            .partition(|(rule, _)| rule.scope == account.scope);
        let mut tx = locked(
            pool,
            mine.iter().map(|(rule, h)| (rule.scope, h.as_slice())),
        )
        .await?;
        for (rule, key_hash) in &mine {
            sqlx::query("DELETE FROM throttle WHERE scope = $1 AND key_hash = $2")
                .bind(rule.scope)
                .bind(key_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        take_back(pool, others).await
    }

    /// The password was never checked (the server was busy): the attempt counts nowhere.
    pub async fn refund(self, pool: &PgPool) -> AppResult<()> {
        take_back(pool, self.keys).await
    }
}

/// A transaction holding the locks of `keys` (taken in one order, so two attempts never wait
/// on each other crosswise): every change of a key's row is made under its lock, since
/// [`reserve`] writes the values it computed from what it read.
async fn locked<'k>(
    pool: &PgPool,
    keys: impl Iterator<Item = (&'static str, &'k [u8])>,
) -> AppResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut locks: Vec<i64> = keys.map(|(scope, h)| lock_id(scope, h)).collect();
    locks.sort_unstable();
    let mut tx = crate::db::begin(pool).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(l) FROM unnest($1::bigint[]) AS l")
        .bind(&locks)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// One attempt less on each key; a wait it started ends with it.
async fn take_back(pool: &PgPool, keys: Vec<(Rule, Vec<u8>)>) -> AppResult<()> {
    let mut tx = locked(
        pool,
        keys.iter().map(|(rule, h)| (rule.scope, h.as_slice())),
    )
    .await?;
    for (rule, key_hash) in keys {
        let limit = i32::try_from(rule.limit).unwrap_or(i32::MAX);
        sqlx::query(
            "UPDATE throttle SET failures = greatest(failures - 1, 0),
                 blocked_until = CASE WHEN failures - 1 >= $3 THEN blocked_until END
             WHERE scope = $1 AND key_hash = $2",
        )
        .bind(rule.scope)
        .bind(key_hash)
        .bind(limit)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets every address's failures and waits of `account` under `rule` (an owner clearing a
/// lock); how many addresses had some.
pub async fn clear_account(pool: &PgPool, rule: Rule, account: &str) -> AppResult<u64> {
    let done = sqlx::query("DELETE FROM throttle WHERE scope = $1 AND account_hash = $2")
        .bind(rule.scope)
        .bind(hash(account))
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// The advisory lock of one key.
fn lock_id(scope: &str, key_hash: &[u8]) -> i64 {
    let digest = Sha256::new()
        .chain_update(scope.as_bytes())
        .chain_update([0])
        .chain_update(key_hash)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// A wait in words: "42 seconds", "1 minute", "14 minutes".
#[must_use]
pub fn describe_wait(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{seconds} second{}", if seconds == 1 { "" } else { "s" }),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_host_or_v6_prefix() {
        assert_eq!(address_key("192.0.2.7".parse().ok()), "192.0.2.7");
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1".parse().ok()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key("2001:db8:1:2:bbbb::9".parse().ok()),
            address_key("2001:db8:1:2:aaaa::1".parse().ok())
        );
        assert_eq!(address_key("::ffff:192.0.2.7".parse().ok()), "192.0.2.7");
        assert_eq!(address_key(None), "unknown");
    }

    #[test]
    fn an_account_from_one_address_waits_longer_after_each_failure() {
        let now = Utc::now();
        let rule = OPERATOR_ACCOUNT;
        let mut count = None;
        // Four failures are free, and so is the attempt that makes the fifth.
        for _ in 0..5 {
            assert_eq!(rule.wait(count, now), None);
            count = Some(rule.counted(count, now));
        }
        let wait = |count| rule.wait(count, now).map(|d: Duration| d.num_seconds());
        assert_eq!(wait(count), Some(60));
        // Once that wait is over, each further failure doubles it, up to an hour.
        let mut later = now;
        let mut waits = Vec::new();
        for _ in 0..8 {
            later += Duration::hours(2);
            assert_eq!(rule.wait(count, later), None);
            count = Some(rule.counted(count, later));
            waits.push(rule.wait(count, later).map(|d| d.num_seconds()));
        }
        assert_eq!(
            waits,
            [120, 240, 480, 960, 1920, 3600, 3600, 3600].map(Some)
        );
        // Forgotten a day after the last failure.
        let quiet = later + Duration::days(1) + Duration::seconds(1);
        assert_eq!(rule.counted(count, quiet).failures, 1);
    }

    #[test]
    fn an_address_counts_in_fixed_windows() {
        let now = Utc::now();
        let rule = OPERATOR_ADDRESS;
        let mut count = None;
        for _ in 0..rule.limit {
            assert_eq!(rule.wait(count, now), None);
            count = Some(rule.counted(count, now));
        }
        assert_eq!(
            rule.wait(count, now).map(|d| d.num_seconds()),
            Some(i64::from(rule.window_secs))
        );
        let after = now + Duration::seconds(i64::from(rule.window_secs) + 1);
        assert_eq!(rule.wait(count, after), None);
        assert_eq!(rule.counted(count, after).failures, 1);
    }

    #[test]
    fn waits_in_words() {
        assert_eq!(describe_wait(1), "1 second");
        assert_eq!(describe_wait(42), "42 seconds");
        assert_eq!(describe_wait(60), "1 minute");
        assert_eq!(describe_wait(61), "2 minutes");
        assert_eq!(describe_wait(900), "15 minutes");
    }
}
