//! Sign-in and client tokens.

use chrono::{DateTime, Utc};
use mspdesk_domain::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An MSP operator, in the provider tenant.
    MspAdmin,
    /// Acting inside one client's tenant.
    ClientAdmin,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
    pub role: Role,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("tenant_id", &self.tenant_id)
            .field("role", &self.role)
            .finish()
    }
}

/// A token for one client's tenant, minted by an MSP admin.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
}

impl std::fmt::Debug for ClientToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let r = LoginRequest {
            email: "a@b.co".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
