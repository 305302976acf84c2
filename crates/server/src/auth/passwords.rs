//! Passwords: argon2id hashes, checked on a bounded pool of blocking threads, and one sign-in
//! attempt (throttle, lookup, check, audit) for operators and portal users alike.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, AppResult};
use crate::store::throttle::{self, Rule};
use crate::AppState;

/// Runs a password check (or hash) on the blocking pool, at most
/// [`Settings::password_checks`](crate::Settings::password_checks) at once: a request that
/// finds no free slot within [`Settings::password_wait`](crate::Settings::password_wait) is
/// answered 503 with `Retry-After`, so a burst of sign-ins cannot take every core and the
/// memory argon2 needs.
pub async fn password_work<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let permit = tokio::time::timeout(
        state.settings.password_wait,
        Arc::clone(&state.password_checks).acquire_owned(),
    )
    .await
    .map_err(|_| {
        tracing::warn!("every password-check slot is busy: a sign-in was turned away");
        AppError::Unavailable(1)
    })?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _slot = permit;
        work()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &SecretString) -> AppResult<String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Checks a password against a stored hash; false for a malformed hash.
pub fn verify_password(password: &SecretString, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, checked against when the e-mail is unknown, so that a login
/// with an unknown e-mail costs the same as one with a wrong password.
pub fn dummy_hash() -> String {
    let random: String = (0..32)
        .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
        .collect();
    hash_password(&random.into()).unwrap_or_default()
}

/// What [`attempt_sign_in`] needs to know of one sign-in.
#[derive(Debug)]
pub struct SignInAttempt<'a> {
    /// The throttle's rules: the account from this address, and the address.
    pub rules: (Rule, Rule),
    /// The account's key (e.g. its e-mail's identity key).
    pub account: &'a str,
    /// The caller's address key (`throttle::address_key`).
    pub address: &'a str,
    pub password: SecretString,
}

/// One sign-in, the same for operators and portal users: an attempt is reserved under the
/// throttle (past its limit: 429, nothing checked); the account is looked up; its password, or
/// a dummy hash for an unknown account (same answer, same cost), is checked on the bounded
/// password pool (turned away: the attempt is taken back, 503); a wrong password for a known
/// account goes to `on_wrong_password` (the audit); a success clears the account's count.
/// `Ok(None)` is a refusal (wrong e-mail or password), for the caller to word.
pub async fn attempt_sign_in<A>(
    state: &AppState,
    attempt: SignInAttempt<'_>,
    lookup: impl AsyncFnOnce() -> AppResult<Option<(A, String)>>,
    on_wrong_password: impl AsyncFnOnce(&A) -> AppResult<()>,
) -> AppResult<Option<A>> {
    let (account_rule, address_rule) = attempt.rules;
    let pair = throttle::pair(attempt.account, attempt.address);
    let reservation = throttle::reserve(
        &state.pool,
        &[(account_rule, &pair), (address_rule, attempt.address)],
    )
    .await?;
    let found = lookup().await?;
    let hash = found
        .as_ref()
        .map_or_else(|| state.dummy_hash.as_ref().clone(), |(_, h)| h.clone());
    let password = attempt.password;
    let matches = match password_work(state, move || verify_password(&password, &hash)).await {
        Ok(matches) => matches,
        Err(busy) => {
            reservation.refund(&state.pool).await?;
            return Err(busy);
        }
    };
    match found {
        Some((account, _)) if matches => {
            reservation.succeeded(&state.pool, account_rule).await?;
            Ok(Some(account))
        }
        Some((account, _)) => {
            on_wrong_password(&account).await?;
            Ok(None)
        }
        None => Ok(None),
    }
}
