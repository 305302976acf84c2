//! Authentication: signing keys shared through the database, JWTs (EdDSA only), argon2id
//! passwords, and the extractors that turn a verified token into a tenant.

use std::collections::HashMap;
use std::sync::Arc;

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
use tokio::sync::RwLock;
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
}

struct SigningKey {
    kid: String,
    key: EncodingKey,
}

/// The key set: the newest key signs; every key in the database verifies. Keys are created on
/// first start and stored in PostgreSQL, so all server instances share them.
pub struct Keys {
    pool: PgPool,
    signing: SigningKey,
    verifying: RwLock<HashMap<String, DecodingKey>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("kid", &self.signing.kid)
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
}

impl Keys {
    /// Loads the key set, creating the first key if there is none. Runs as the owner role: the
    /// app role has no access to keys.
    pub async fn load_or_create(pool: &PgPool) -> Result<Arc<Self>, KeyError> {
        let mut tx = pool.begin().await?;
        // Two instances starting at once must not both create a "first" key.
        sqlx::query("SELECT pg_advisory_xact_lock(7243001)")
            .execute(&mut *tx)
            .await?;
        let newest: Option<(String, Vec<u8>)> = sqlx::query_as(
            "SELECT kid, private_der FROM signing_keys ORDER BY created_at DESC, kid LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let (kid, private_der) = match newest {
            Some(row) => row,
            None => {
                let rng = ring::rand::SystemRandom::new();
                let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| KeyError::Generate)?;
                let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                    .map_err(|_| KeyError::Generate)?;
                let kid = Uuid::now_v7().to_string();
                sqlx::query(
                    "INSERT INTO signing_keys (kid, private_der, public_raw) VALUES ($1, $2, $3)",
                )
                .bind(&kid)
                .bind(pkcs8.as_ref())
                .bind(pair.public_key().as_ref())
                .execute(&mut *tx)
                .await?;
                tracing::info!(%kid, "created a new token signing key");
                (kid, pkcs8.as_ref().to_vec())
            }
        };
        tx.commit().await?;
        let key = EncodingKey::from_ed_der(&private_der);
        let keys = Arc::new(Self {
            pool: pool.clone(),
            signing: SigningKey { kid, key },
            verifying: RwLock::new(HashMap::new()),
        });
        keys.reload().await?;
        if !keys.verifying.read().await.contains_key(&keys.signing.kid) {
            return Err(KeyError::Corrupt(keys.signing.kid.clone()));
        }
        Ok(keys)
    }

    async fn reload(&self) -> Result<(), sqlx::Error> {
        let rows: Vec<(String, Vec<u8>)> =
            sqlx::query_as("SELECT kid, public_raw FROM signing_keys")
                .fetch_all(&self.pool)
                .await?;
        let mut map = self.verifying.write().await;
        for (kid, public) in rows {
            map.insert(kid, DecodingKey::from_ed_der(&public));
        }
        Ok(())
    }

    /// Issues a token for `sub` acting in `tenant` with `role`.
    pub fn issue(
        &self,
        sub: Uuid,
        tenant: TenantId,
        role: Role,
        lifetime: Duration,
    ) -> AppResult<(SecretString, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + lifetime;
        let claims = Claims {
            sub,
            tid: tenant,
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.signing.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.signing.key)
            .map_err(|e| AppError::Internal(format!("signing a token: {e}")))?;
        Ok((token.into(), expires))
    }

    /// Verifies a token: EdDSA only, a known `kid`, valid signature, `exp`, `iss` and `aud`,
    /// and the claims `sub`, `tid` and `role` present. Every failure is the same 401.
    pub async fn verify(&self, token: &str) -> AppResult<Claims> {
        const INVALID: AppError = AppError::Unauthorized("the token is invalid or expired");
        let header = jsonwebtoken::decode_header(token).map_err(|_| INVALID)?;
        if header.alg != Algorithm::EdDSA {
            return Err(INVALID);
        }
        let kid = header.kid.ok_or(INVALID)?;
        let mut key = self.verifying.read().await.get(&kid).cloned();
        if key.is_none() {
            // Another instance may have added a key since we loaded ours.
            self.reload().await?;
            key = self.verifying.read().await.get(&kid).cloned();
        }
        let key = key.ok_or(INVALID)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|_| INVALID)?;
        Ok(data.claims)
    }
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

/// The verified token's tenant and actor, if its role is `role`; otherwise 403 with `refusal`.
async fn scoped(
    parts: &Parts,
    state: &AppState,
    role: Role,
    refusal: &'static str,
) -> AppResult<(TenantId, Uuid)> {
    let claims = state.keys.verify(bearer(parts)?).await?;
    if claims.role == role {
        Ok((claims.tid, claims.sub))
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
        let (tenant, actor) = scoped(
            parts,
            state,
            Role::MspAdmin,
            "this needs an MSP operator's token",
        )
        .await?;
        Ok(Self { tenant, actor })
    }
}

impl FromRequestParts<AppState> for ClientAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (tenant, actor) = scoped(
            parts,
            state,
            Role::ClientAdmin,
            "this needs a client token: get one with POST /clients/{id}/token",
        )
        .await?;
        Ok(Self { tenant, actor })
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = state.keys.verify(bearer(parts)?).await?;
        Ok(Self {
            tenant: claims.tid,
            actor: claims.sub,
        })
    }
}
