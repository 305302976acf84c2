//! Sign-in and client tokens.

use chrono::{DateTime, Utc};
use mspdesk_domain::TenantId;
use secrecy::{ExposeSecret, SecretString};
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

/// Sends a secret as the plain string the wire format needs (serialising is the one place a
/// secret is exposed on purpose; `Debug` never shows it).
pub fn serialize_secret<S: serde::Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[serde(serialize_with = "serialize_secret")]
    #[schema(value_type = String)]
    pub password: SecretString,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    #[serde(serialize_with = "serialize_secret")]
    #[schema(value_type = String)]
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
    pub role: Role,
}

/// A token for one client's tenant, minted by an MSP admin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientToken {
    #[serde(serialize_with = "serialize_secret")]
    #[schema(value_type = String)]
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
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

    #[test]
    fn secrets_are_plain_strings_on_the_wire() {
        let r: LoginRequest =
            serde_json::from_str(r#"{"email":"a@b.co","password":"hunter2"}"#).unwrap();
        assert_eq!(r.password.expose_secret(), "hunter2");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["password"], "hunter2");
        let t = ClientToken {
            token: "abc.def.ghi".into(),
            expires_at: Utc::now(),
            tenant_id: TenantId::new(),
        };
        assert!(!format!("{t:?}").contains("abc.def.ghi"));
        let back: ClientToken = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
        assert_eq!(back.token.expose_secret(), "abc.def.ghi");
    }
}
