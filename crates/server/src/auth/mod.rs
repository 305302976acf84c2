//! Authentication, by concern:
//!
//! - `keys`: signing keys shared through the database, JWTs (EdDSA only);
//! - `revocation`: tokens signed out or of deleted subjects, refused;
//! - `sealing`: signing keys encrypted at rest with a key kept outside the database;
//! - `passwords`: argon2id, the bounded password work, and one sign-in attempt for operators
//!   and portal users;
//! - `extract`: the extractors that turn a verified token into a tenant.

mod extract;
mod keys;
mod passwords;
mod revocation;
mod sealing;

pub use extract::{ClientAdmin, MspAdmin, Operator, Session};
pub use keys::{list_keys, reseal_keys, revoke_key, rotate_keys, KeyError, KeyInfo, Keys};
pub use passwords::{
    attempt_sign_in, dummy_hash, hash_password, password_work, verify_password, SignInAttempt,
};
pub use revocation::{check_revoked, revoke_token};
pub use sealing::{KeyEncryption, Sealed};

use chrono::Duration;
use mspdesk_api::types::Role;
use mspdesk_domain::TenantId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

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
    /// The MSP the tenant belongs to (the tenant itself on an MSP token): the request's
    /// distribution key, set as `app.msp_id`. Absent from tokens minted before it existed;
    /// a client's is then found in the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msp: Option<TenantId>,
}

/// The MSP session a client token is minted in (see [`Keys::issue`]).
#[derive(Debug, Clone, Copy)]
pub struct Minter {
    /// The MSP token's `jti`.
    pub session: Uuid,
    /// The MSP token's `exp`.
    pub expires: i64,
}

/// Every failure to verify a token is this same 401.
const INVALID: AppError = AppError::Unauthorized("the token is invalid or expired");
