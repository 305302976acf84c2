//! A throttle for failed sign-ins, kept in PostgreSQL so that its limits hold across every
//! server instance.
//!
//! Each [`Rule`] counts failures per key (an account, an address) in a fixed window that
//! starts at the first failure: once a key has `limit` failures in its window, attempts are
//! refused until the window ends, without checking the password. An attempt is counted
//! *before* its password is checked ([`reserve`], under a lock per key), so that a burst of
//! concurrent guesses cannot all slip past the check: exactly `limit` of them are checked. A
//! success clears the account's count and takes its attempt back from the others; an attempt
//! whose password was never checked is taken back ([`Reservation::refund`]). A refused attempt
//! counts nowhere, so a burst against one account does not use up its address's allowance.
//! Keys are stored as their SHA-256.
//!
//! The table is not tenant data: these functions run on the pool as the owner role, before any
//! tenant is known (the app role has no grant on it).

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::error::{AppError, AppResult};

/// A limit: at most `limit` failures per key of `scope` within `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub scope: &'static str,
    pub limit: u32,
    pub window_secs: u32,
}

const FIFTEEN_MINUTES: u32 = 15 * 60;

/// A portal user's account (tenant and e-mail): 5 failures per 15 minutes.
pub const PORTAL_ACCOUNT: Rule = Rule {
    scope: "portal-account",
    limit: 5,
    window_secs: FIFTEEN_MINUTES,
};
/// One address signing in to any portal: 20 failures per 15 minutes.
pub const PORTAL_ADDRESS: Rule = Rule {
    scope: "portal-address",
    limit: 20,
    window_secs: FIFTEEN_MINUTES,
};
/// An operator's account (`POST /auth/login`): the same limits as the portal's.
pub const OPERATOR_ACCOUNT: Rule = Rule {
    scope: "operator-account",
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

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// An attempt counted against its keys (see [`reserve`]); a failure needs nothing more.
#[derive(Debug)]
#[must_use = "a success must clear the account, an attempt never checked must be refunded"]
pub struct Reservation {
    scopes: Vec<&'static str>,
    hashes: Vec<Vec<u8>>,
}

/// Counts an attempt against each of `keys` (in the current window, or a new one from now if
/// the last has ended), or refuses with 429 (`Retry-After`: the longest wait) when any key is
/// at its limit, counting nothing. Concurrent attempts on one key are serialised.
pub async fn reserve(pool: &PgPool, keys: &[(Rule, &str)]) -> AppResult<Reservation> {
    let scopes: Vec<&'static str> = keys.iter().map(|(r, _)| r.scope).collect();
    let hashes: Vec<Vec<u8>> = keys.iter().map(|(_, k)| hash(k)).collect();
    let limits: Vec<i32> = keys
        .iter()
        .map(|(r, _)| i32::try_from(r.limit).unwrap_or(i32::MAX))
        .collect();
    let windows: Vec<f64> = keys.iter().map(|(r, _)| f64::from(r.window_secs)).collect();
    let mut locks: Vec<i64> = scopes
        .iter()
        .zip(&hashes)
        .map(|(scope, h)| lock_id(scope, h))
        .collect();
    // Always in the same order, so two attempts never wait on each other crosswise.
    locks.sort_unstable();
    let mut tx = crate::db::begin(pool).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(l) FROM unnest($1::bigint[]) AS l")
        .bind(&locks)
        .execute(&mut *tx)
        .await?;
    let wait: Option<i64> = sqlx::query_scalar(
        "SELECT max(ceil(extract(epoch FROM t.window_ends - now())))::bigint
         FROM unnest($1::text[], $2::bytea[], $3::int[]) AS k(scope, key_hash, lim)
         JOIN throttle t ON t.scope = k.scope AND t.key_hash = k.key_hash
         WHERE t.failures >= k.lim AND t.window_ends > now()",
    )
    .bind(&scopes)
    .bind(&hashes)
    .bind(&limits)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(seconds) = wait {
        return Err(AppError::TooManyRequests(
            u64::try_from(seconds).unwrap_or(1).max(1),
        ));
    }
    sqlx::query(
        "INSERT INTO throttle (scope, key_hash, failures, window_ends)
         SELECT scope, key_hash, 1, now() + make_interval(secs => secs)
         FROM unnest($1::text[], $2::bytea[], $3::float8[]) AS k(scope, key_hash, secs)
         ON CONFLICT (scope, key_hash) DO UPDATE SET
             failures = CASE WHEN throttle.window_ends <= now() THEN 1 ELSE throttle.failures + 1 END,
             window_ends = CASE WHEN throttle.window_ends <= now() THEN excluded.window_ends ELSE throttle.window_ends END",
    )
    .bind(&scopes)
    .bind(&hashes)
    .bind(&windows)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if rand::random::<u8>() < 4 {
        sqlx::query("DELETE FROM throttle WHERE window_ends < now() - interval '1 hour'")
            .execute(pool)
            .await?;
    }
    Ok(Reservation { scopes, hashes })
}

impl Reservation {
    /// The sign-in succeeded: forgets the failures of `account`'s key and takes this attempt
    /// back from the other keys (an address is not charged for a good sign-in).
    pub async fn succeeded(self, pool: &PgPool, account: Rule) -> AppResult<()> {
        let (mine, others): (Vec<_>, Vec<_>) = self
            .scopes
            .into_iter()
            .zip(self.hashes)
            .partition(|(scope, _)| *scope == account.scope);
        for (scope, key_hash) in mine {
            sqlx::query("DELETE FROM throttle WHERE scope = $1 AND key_hash = $2")
                .bind(scope)
                .bind(key_hash)
                .execute(pool)
                .await?;
        }
        take_back(pool, others).await
    }

    /// The password was never checked (the server was busy): the attempt counts nowhere.
    pub async fn refund(self, pool: &PgPool) -> AppResult<()> {
        take_back(pool, self.scopes.into_iter().zip(self.hashes).collect()).await
    }
}

async fn take_back(pool: &PgPool, keys: Vec<(&'static str, Vec<u8>)>) -> AppResult<()> {
    let (scopes, hashes): (Vec<&str>, Vec<Vec<u8>>) = keys.into_iter().unzip();
    sqlx::query(
        "UPDATE throttle t SET failures = greatest(t.failures - 1, 0)
         FROM unnest($1::text[], $2::bytea[]) AS k(scope, key_hash)
         WHERE t.scope = k.scope AND t.key_hash = k.key_hash",
    )
    .bind(&scopes)
    .bind(&hashes)
    .execute(pool)
    .await?;
    Ok(())
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
    fn waits_in_words() {
        assert_eq!(describe_wait(1), "1 second");
        assert_eq!(describe_wait(42), "42 seconds");
        assert_eq!(describe_wait(60), "1 minute");
        assert_eq!(describe_wait(61), "2 minutes");
        assert_eq!(describe_wait(900), "15 minutes");
    }
}
