//! Authentication: signing keys shared through the database, JWTs (EdDSA only), argon2id
//! passwords, and the extractors that turn a verified token into a tenant.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mspdesk_api::types::Role;
use mspdesk_domain::TenantId;
use ring::signature::KeyPair;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::AppState;

pub const ISSUER: &str = "mspdesk-control-panel";
pub const AUDIENCE: &str = "mspdesk";
pub const MSP_TOKEN_LIFETIME: Duration = Duration::hours(8);
pub const CLIENT_TOKEN_LIFETIME: Duration = Duration::hours(1);

/// The claims of every token. `tid` is required: a token without one does not deserialize and
/// is rejected, never read as "all tenants".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub tid: TenantId,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// On a client token: the `jti` of the MSP token it was minted with. Signing that token out
    /// ends this one too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// The MSP session a client token is minted in (see [`Keys::issue`]).
#[derive(Debug, Clone, Copy)]
pub struct Minter {
    /// The MSP token's `jti`.
    pub session: Uuid,
    /// The MSP token's `exp`.
    pub expires: i64,
}

struct SigningKey {
    kid: String,
    key: EncodingKey,
    /// How long the key had been in force when the set was loaded, by the database's clock
    /// (instances' clocks may differ from it and from each other).
    age_at_load: std::time::Duration,
}

/// The keys in force, newest first: every one verifies; which one signs is [`signer`]'s.
struct KeySet {
    signing: Vec<SigningKey>,
    verifying: HashMap<String, DecodingKey>,
    loaded_at: std::time::Instant,
}

/// Which of the keys in force (their `ages`, newest first, never empty) signs: the newest that
/// has been in force for `activation`, so every instance has loaded it (and verifies its
/// tokens) before any instance signs with it; the oldest while none has (a first key, or the
/// one made when every key was revoked, signs at once).
fn signer(ages: &[std::time::Duration], activation: std::time::Duration) -> usize {
    ages.iter()
        .position(|&age| age >= activation)
        .unwrap_or(ages.len().saturating_sub(1))
}

/// The key set, shared by all server instances through PostgreSQL and reloaded on a timer
/// ([`Keys::reload_every`]), never per request: a token naming an unknown `kid` is refused
/// without touching the database. A new key verifies as soon as an instance has loaded it, and
/// signs only once every instance has (three reload intervals after it was made), so a
/// rotation gives no instance a token it cannot verify yet.
pub struct Keys {
    pool: PgPool,
    set: RwLock<Arc<KeySet>>,
    /// How long a key is in force before it signs, in milliseconds (0 until reloads run).
    activation_ms: AtomicU64,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kid", &self.signing_kid())
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("could not generate a signing key")]
    Generate,
    #[error("stored signing key {0} is unusable")]
    Corrupt(String),
    #[error("no signing key {0} in force (unknown, or revoked already)")]
    Unknown(String),
}

/// A stored signing key, as `control-panel keys` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Serialises key creation across instances and the command line.
const KEY_LOCK: i64 = 7_243_001;

/// Inserts a new Ed25519 key and returns its id.
async fn insert_key(conn: &mut sqlx::PgConnection) -> Result<String, KeyError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Generate)?;
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| KeyError::Generate)?;
    let kid = Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO signing_keys (kid, private_der, public_raw) VALUES ($1, $2, $3)")
        .bind(&kid)
        .bind(pkcs8.as_ref())
        .bind(pair.public_key().as_ref())
        .execute(&mut *conn)
        .await?;
    tracing::info!(%kid, "created a new token signing key");
    Ok(kid)
}

/// Creates a key unless one is in force. Runs as the owner role (the app role has no access).
async fn ensure_a_key(pool: &PgPool) -> Result<(), KeyError> {
    let mut tx = pool.begin().await?;
    // Two instances starting at once must not both create a "first" key.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(KEY_LOCK)
        .execute(&mut *tx)
        .await?;
    let any: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_keys WHERE revoked_at IS NULL)")
            .fetch_one(&mut *tx)
            .await?;
    if !any {
        insert_key(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `control-panel rotate-keys`: adds a new signing key. Every instance verifies with it after its
/// next reload and signs with it three reload intervals after it was made (see [`Keys`]); the
/// older keys keep verifying the tokens they signed until those expire.
pub async fn rotate_keys(pool: &PgPool) -> Result<String, KeyError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(KEY_LOCK)
        .execute(&mut *tx)
        .await?;
    let kid = insert_key(&mut tx).await?;
    tx.commit().await?;
    Ok(kid)
}

/// `control-panel revoke-key KID`: every token signed by the key fails on every instance
/// after its next reload. When no key is left in force, a new one is created (returned).
pub async fn revoke_key(pool: &PgPool, kid: &str) -> Result<Option<String>, KeyError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(KEY_LOCK)
        .execute(&mut *tx)
        .await?;
    let revoked = sqlx::query(
        "UPDATE signing_keys SET revoked_at = now() WHERE kid = $1 AND revoked_at IS NULL",
    )
    .bind(kid)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Err(KeyError::Unknown(kid.to_owned()));
    }
    let any: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_keys WHERE revoked_at IS NULL)")
            .fetch_one(&mut *tx)
            .await?;
    let created = if any {
        None
    } else {
        Some(insert_key(&mut tx).await?)
    };
    tx.commit().await?;
    tracing::info!(%kid, "revoked a token signing key");
    Ok(created)
}

/// Every stored key, newest first.
pub async fn list_keys(pool: &PgPool) -> Result<Vec<KeyInfo>, KeyError> {
    let rows: Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT kid, created_at, revoked_at FROM signing_keys ORDER BY created_at DESC, kid DESC",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kid, created_at, revoked_at)| KeyInfo {
            kid,
            created_at,
            revoked_at,
        })
        .collect())
}

impl Keys {
    /// Loads the key set, creating the first key if there is none in force. Runs as the owner
    /// role: the app role has no access to keys.
    pub async fn load_or_create(pool: &PgPool) -> Result<Arc<Self>, KeyError> {
        ensure_a_key(pool).await?;
        let set = Self::load(pool).await?;
        Ok(Arc::new(Self {
            pool: pool.clone(),
            set: RwLock::new(Arc::new(set)),
            activation_ms: AtomicU64::new(0),
        }))
    }

    async fn load(pool: &PgPool) -> Result<KeySet, KeyError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            kid: String,
            private_der: Vec<u8>,
            public_raw: Vec<u8>,
            age_ms: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT kid, private_der, public_raw,
                    greatest(0, (extract(epoch FROM now() - created_at) * 1000)::bigint) AS age_ms
             FROM signing_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, kid DESC",
        )
        .fetch_all(pool)
        .await?;
        let loaded_at = std::time::Instant::now();
        if rows.is_empty() {
            return Err(KeyError::Unknown("(none in force)".to_owned()));
        }
        let verifying: HashMap<String, DecodingKey> = rows
            .iter()
            .map(|r| (r.kid.clone(), DecodingKey::from_ed_der(&r.public_raw)))
            .collect();
        let signing: Vec<SigningKey> = rows
            .into_iter()
            .map(|r| SigningKey {
                key: EncodingKey::from_ed_der(&r.private_der),
                kid: r.kid,
                age_at_load: std::time::Duration::from_millis(u64::try_from(r.age_ms).unwrap_or(0)),
            })
            .collect();
        if let Some(k) = signing.iter().find(|k| !verifying.contains_key(&k.kid)) {
            return Err(KeyError::Corrupt(k.kid.clone()));
        }
        Ok(KeySet {
            signing,
            verifying,
            loaded_at,
        })
    }

    /// The key that signs now, of `set`.
    fn signing_key<'s>(&self, set: &'s KeySet) -> Option<&'s SigningKey> {
        let since_load = set.loaded_at.elapsed();
        let ages: Vec<std::time::Duration> = set
            .signing
            .iter()
            .map(|k| k.age_at_load + since_load)
            .collect();
        let activation =
            std::time::Duration::from_millis(self.activation_ms.load(Ordering::Relaxed));
        set.signing.get(signer(&ages, activation))
    }

    /// How long a new key is in force before it signs: three of `reload_interval` (every
    /// instance reloads within one; two more absorb late ticks and slow reloads). Zero (the
    /// newest key signs at once) until this is called; `serve` calls it.
    pub fn activate_after_reloads(&self, reload_interval: std::time::Duration) {
        let ms = u64::try_from(reload_interval.saturating_mul(3).as_millis()).unwrap_or(u64::MAX);
        self.activation_ms.store(ms, Ordering::Relaxed);
    }

    fn current(&self) -> Arc<KeySet> {
        // A poisoned lock still holds a whole key set (it is only ever replaced).
        Arc::clone(
            &self
                .set
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Reloads the keys in force from the database (creating one if every key was revoked).
    pub async fn reload(&self) -> Result<(), KeyError> {
        ensure_a_key(&self.pool).await?;
        let set = Arc::new(Self::load(&self.pool).await?);
        *self
            .set
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = set;
        Ok(())
    }

    /// Reloads the keys every `interval` for as long as they are in use (a failed reload keeps
    /// the keys it had and is retried at the next tick).
    pub async fn reload_every(keys: std::sync::Weak<Self>, interval: std::time::Duration) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(keys) = keys.upgrade() else { return };
            if let Err(e) = keys.reload().await {
                tracing::warn!(error = %e, "reloading the signing keys failed; keeping the ones loaded");
            }
        }
    }

    /// The id of the key that signs now.
    #[must_use]
    pub fn signing_kid(&self) -> String {
        let set = self.current();
        self.signing_key(&set)
            .map(|k| k.kid.clone())
            .unwrap_or_default()
    }

    /// Issues a token for `sub` acting in `tenant` with `role`.
    pub fn issue(
        &self,
        sub: Uuid,
        tenant: TenantId,
        role: Role,
        lifetime: Duration,
        within: Option<Minter>,
    ) -> AppResult<(SecretString, DateTime<Utc>)> {
        let now = Utc::now();
        let mut expires = now + lifetime;
        // A token minted in a session never outlives it, so the session's revocation entry
        // (kept until it expires) covers it.
        if let Some(end) = within.and_then(|m| DateTime::from_timestamp(m.expires, 0)) {
            expires = expires.min(end);
        }
        let claims = Claims {
            sub,
            tid: tenant,
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            jti: Uuid::now_v7(),
            sid: within.map(|m| m.session),
        };
        let set = self.current();
        let mut header = Header::new(Algorithm::EdDSA);
        let signing = self
            .signing_key(&set)
            .ok_or_else(|| AppError::Internal("no signing key in force".into()))?;
        header.kid = Some(signing.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signing.key)
            .map_err(|e| AppError::Internal(format!("signing a token: {e}")))?;
        Ok((token.into(), expires))
    }

    /// Verifies a token's form: EdDSA only, a `kid` in force, valid signature, `exp`, `iss`
    /// and `aud`, and the claims `sub`, `tid`, `role` and `jti` present. Every failure is the
    /// same 401. No database query: whether the token was revoked is [`check_revoked`]'s.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| INVALID)?;
        if header.alg != Algorithm::EdDSA {
            return Err(INVALID);
        }
        let kid = header.kid.ok_or(INVALID)?;
        let set = self.current();
        let key = set.verifying.get(&kid).ok_or(INVALID)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|_| INVALID)?;
        Ok(data.claims)
    }
}

const INVALID: AppError = AppError::Unauthorized("the token is invalid or expired");

/// Refuses a token that was signed out (`POST /auth/logout`), or minted in a session that was,
/// or whose client or user was deleted: one indexed query, run only for tokens whose signature
/// holds.
pub async fn check_revoked(pool: &PgPool, claims: &Claims) -> AppResult<()> {
    let tokens: Vec<Uuid> = std::iter::once(claims.jti).chain(claims.sid).collect();
    let revoked: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ANY($1))
             OR EXISTS (SELECT 1 FROM revoked_subjects WHERE subject = ANY($2))",
    )
    .bind(tokens)
    .bind([claims.tid.as_uuid(), claims.sub])
    .fetch_one(pool)
    .await?;
    if revoked {
        Err(INVALID)
    } else {
        Ok(())
    }
}

/// Ends one token on every instance (`POST /auth/logout`). Now and then, entries of tokens
/// that have expired anyway are purged.
pub async fn revoke_token(pool: &PgPool, claims: &Claims) -> AppResult<()> {
    let expires = DateTime::<Utc>::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(claims.jti)
    .bind(expires)
    .execute(pool)
    .await?;
    if rand::random::<u8>() < 8 {
        sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 hour'")
            .execute(pool)
            .await?;
    }
    Ok(())
}

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

// ---------------------------------------------------------------------------------------------
// Passwords

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

// ---------------------------------------------------------------------------------------------
// Extractors

fn bearer(parts: &Parts) -> AppResult<&str> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(AppError::Unauthorized("sign in first: no bearer token"))?;
    let value = value
        .to_str()
        .map_err(|_| AppError::Unauthorized("the token is invalid or expired"))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthorized("sign in first: no bearer token"))
}

/// An MSP operator, acting in its provider tenant.
#[derive(Debug, Clone, Copy)]
pub struct MspAdmin {
    pub tenant: TenantId,
    pub actor: Uuid,
    /// The token's session, for the client tokens minted in it.
    pub minter: Minter,
}

/// Someone acting inside one client's tenant.
#[derive(Debug, Clone, Copy)]
pub struct ClientAdmin {
    pub tenant: TenantId,
    pub actor: Uuid,
}

/// Any signed-in operator, with an MSP's token or a client's, acting in that token's tenant:
/// for what both may read, such as the template library (an MSP without clients needs it too).
#[derive(Debug, Clone, Copy)]
pub struct Operator {
    pub tenant: TenantId,
    pub actor: Uuid,
}

/// The bearer token's claims, verified and not revoked.
async fn verified(parts: &Parts, state: &AppState) -> AppResult<Claims> {
    let claims = state.keys.verify(bearer(parts)?)?;
    check_revoked(&state.pool, &claims).await?;
    Ok(claims)
}

/// The verified token's claims, if its role is `role`; otherwise 403 with `refusal`.
async fn scoped(
    parts: &Parts,
    state: &AppState,
    role: Role,
    refusal: &'static str,
) -> AppResult<Claims> {
    let claims = verified(parts, state).await?;
    if claims.role == role {
        Ok(claims)
    } else {
        Err(AppError::Forbidden(refusal))
    }
}

impl FromRequestParts<AppState> for MspAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = scoped(
            parts,
            state,
            Role::MspAdmin,
            "this needs an MSP operator's token",
        )
        .await?;
        Ok(Self {
            tenant: claims.tid,
            actor: claims.sub,
            minter: Minter {
                session: claims.jti,
                expires: claims.exp,
            },
        })
    }
}

impl FromRequestParts<AppState> for ClientAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = scoped(
            parts,
            state,
            Role::ClientAdmin,
            "this needs a client token: get one with POST /clients/{id}/token",
        )
        .await?;
        Ok(Self {
            tenant: claims.tid,
            actor: claims.sub,
        })
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = verified(parts, state).await?;
        Ok(Self {
            tenant: claims.tid,
            actor: claims.sub,
        })
    }
}

/// The whole verified token, whatever its role (for signing out).
#[derive(Debug, Clone)]
pub struct Session(pub Claims);

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(verified(parts, state).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_signs_only_once_it_has_been_in_force_long_enough() {
        let s = std::time::Duration::from_secs;
        let wait = s(90);
        let old = s(3 * 86_400);
        // Just rotated: the old key goes on signing.
        assert_eq!(signer(&[s(10), old], wait), 1);
        // In force for the whole wait: the new key signs.
        assert_eq!(signer(&[wait, old], wait), 0);
        // Of several, the newest that is ready.
        assert_eq!(signer(&[s(0), s(300), old], wait), 1);
        // None ready (a first key, or the replacement of a revoked one): the oldest signs.
        assert_eq!(signer(&[s(0), s(1)], wait), 1);
        assert_eq!(signer(&[s(0)], wait), 0);
        // Without reloads (no wait), the newest signs at once.
        assert_eq!(signer(&[s(0), old], s(0)), 0);
    }
}
