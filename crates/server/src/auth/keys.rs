//! Signing keys: Ed25519 keys shared by every instance through the database, reloaded on a
//! timer, and the tokens they sign and verify (EdDSA only).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mspdesk_api::types::Role;
use ring::signature::KeyPair;
use secrecy::SecretString;
use sqlx::PgPool;
use uuid::Uuid;

use super::sealing::{KeyEncryption, Sealed};
use super::{Claims, Minter, AUDIENCE, INVALID, ISSUER};
use crate::db::Scope;
use crate::error::{AppError, AppResult};
use crate::store::keys as store;

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
    /// Seals new keys and opens stored ones.
    sealing: Arc<KeyEncryption>,
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
    #[error("{0}")]
    Encryption(String),
}

/// A stored signing key, as `control-panel keys` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Inserts a new Ed25519 key, sealed, and returns its id.
async fn insert_key(
    conn: &mut sqlx::PgConnection,
    sealing: &KeyEncryption,
) -> Result<String, KeyError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Generate)?;
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| KeyError::Generate)?;
    let kid = Uuid::now_v7().to_string();
    let sealed = sealing.seal(&kid, pkcs8.as_ref())?;
    store::insert(conn, &kid, &sealed, pair.public_key().as_ref()).await?;
    tracing::info!(%kid, "created a new token signing key");
    Ok(kid)
}

/// Creates a key unless one is in force. Runs as the owner role (the app role has no access).
async fn ensure_a_key(pool: &PgPool, sealing: &KeyEncryption) -> Result<(), KeyError> {
    let mut tx = pool.begin().await?;
    // Two instances starting at once must not both create a "first" key.
    store::lock(&mut tx).await?;
    if !store::any_in_force(&mut tx).await? {
        insert_key(&mut tx, sealing).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `control-panel rotate-keys`: adds a new signing key. Every instance verifies with it after its
/// next reload and signs with it three reload intervals after it was made (see [`Keys`]); the
/// older keys keep verifying the tokens they signed until those expire.
pub async fn rotate_keys(pool: &PgPool, sealing: &KeyEncryption) -> Result<String, KeyError> {
    let mut tx = pool.begin().await?;
    store::lock(&mut tx).await?;
    let kid = insert_key(&mut tx, sealing).await?;
    tx.commit().await?;
    Ok(kid)
}

/// `control-panel revoke-key KID`: every token signed by the key fails on every instance
/// after its next reload. When no key is left in force, a new one is created (returned).
pub async fn revoke_key(
    pool: &PgPool,
    kid: &str,
    sealing: &KeyEncryption,
) -> Result<Option<String>, KeyError> {
    let mut tx = pool.begin().await?;
    store::lock(&mut tx).await?;
    if !store::revoke(&mut tx, kid).await? {
        return Err(KeyError::Unknown(kid.to_owned()));
    }
    let created = if store::any_in_force(&mut tx).await? {
        None
    } else {
        Some(insert_key(&mut tx, sealing).await?)
    };
    tx.commit().await?;
    tracing::info!(%kid, "revoked a token signing key");
    Ok(created)
}

/// Seals again with the current key-encryption key every stored key that is not (sealed with
/// a previous one, or stored before sealing existed); returns how many. `serve` does it at
/// start, `control-panel reseal-keys` on demand.
pub async fn reseal_keys(pool: &PgPool, sealing: &KeyEncryption) -> Result<usize, KeyError> {
    let mut tx = pool.begin().await?;
    store::lock(&mut tx).await?;
    let mut resealed = 0;
    for (kid, stored) in store::sealed(&mut tx).await? {
        let (der, state) = sealing.open(&kid, &stored)?;
        if state == Sealed::Stale {
            store::reseal(&mut tx, &kid, &sealing.seal(&kid, &der)?).await?;
            resealed += 1;
        }
    }
    tx.commit().await?;
    if resealed > 0 {
        tracing::info!(
            resealed,
            "signing keys sealed with the current key-encryption key"
        );
    }
    Ok(resealed)
}

/// Every stored key, newest first.
pub async fn list_keys(pool: &PgPool) -> Result<Vec<KeyInfo>, KeyError> {
    Ok(store::all(pool)
        .await?
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
    pub async fn load_or_create(
        pool: &PgPool,
        sealing: KeyEncryption,
    ) -> Result<Arc<Self>, KeyError> {
        ensure_a_key(pool, &sealing).await?;
        reseal_keys(pool, &sealing).await?;
        let set = Self::load(pool, &sealing).await?;
        Ok(Arc::new(Self {
            pool: pool.clone(),
            sealing: Arc::new(sealing),
            set: RwLock::new(Arc::new(set)),
            activation_ms: AtomicU64::new(0),
        }))
    }

    async fn load(pool: &PgPool, sealing: &KeyEncryption) -> Result<KeySet, KeyError> {
        let rows = store::in_force(pool).await?;
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
            .map(|r| {
                let (der, _) = sealing.open(&r.kid, &r.private_der)?;
                Ok(SigningKey {
                    key: EncodingKey::from_ed_der(&der),
                    kid: r.kid,
                    age_at_load: std::time::Duration::from_millis(
                        u64::try_from(r.age_ms).unwrap_or(0),
                    ),
                })
            })
            .collect::<Result<_, KeyError>>()?;
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
        ensure_a_key(&self.pool, &self.sealing).await?;
        let set = Arc::new(Self::load(&self.pool, &self.sealing).await?);
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

    /// Issues a token for `sub` acting in `scope` (a tenant of an MSP) with `role`.
    pub fn issue(
        &self,
        sub: Uuid,
        scope: Scope,
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
            tid: scope.tenant,
            msp: Some(scope.msp),
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
