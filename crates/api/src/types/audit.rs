//! The audit trail: what was done ([`AuditAction`]) to what kind of thing ([`AuditTarget`]).
//! These enums are the only place the stored names live; the server writes them, the desk and
//! the UI (through the generated TypeScript union) read them.

use chrono::{DateTime, Utc};
use mspdesk_domain::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What an audit entry says was done, stored and sent as `target.verb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditAction {
    #[serde(rename = "client.create")]
    ClientCreate,
    #[serde(rename = "client.update")]
    ClientUpdate,
    #[serde(rename = "client.quotas")]
    ClientQuotas,
    #[serde(rename = "client.delete")]
    ClientDelete,
    /// A client token was minted by an operator.
    #[serde(rename = "client.token")]
    ClientToken,
    #[serde(rename = "price.update")]
    PriceUpdate,
    #[serde(rename = "fx.update")]
    FxUpdate,
    #[serde(rename = "server.create")]
    ServerCreate,
    #[serde(rename = "server.delete")]
    ServerDelete,
    #[serde(rename = "user.create")]
    UserCreate,
    #[serde(rename = "user.delete")]
    UserDelete,
    /// An invitation link to the client portal was issued.
    #[serde(rename = "user.invite")]
    UserInvite,
    /// A portal user set a password through an invitation (the user is the actor).
    #[serde(rename = "user.password")]
    UserPassword,
    /// A portal user's sign-in waits were cleared.
    #[serde(rename = "user.unlock")]
    UserUnlock,
    #[serde(rename = "catalog.update")]
    CatalogUpdate,
    /// An app was installed on a server.
    #[serde(rename = "app.create")]
    AppCreate,
    /// An app was removed from a server.
    #[serde(rename = "app.delete")]
    AppDelete,
    #[serde(rename = "branding.update")]
    BrandingUpdate,
    /// A logo or favicon was uploaded.
    #[serde(rename = "branding.asset")]
    BrandingAsset,
    /// A check of the custom domain's TXT record (target: the domain).
    #[serde(rename = "branding.domain_verify")]
    BrandingDomainVerify,
    /// A sign-in with a wrong password for this operator (the operator is the actor).
    #[serde(rename = "operator.sign_in_failed")]
    OperatorSignInFailed,
    /// A portal sign-in with a wrong password for this user (the user is the actor).
    #[serde(rename = "user.sign_in_failed")]
    UserSignInFailed,
    /// A token was revoked by `POST /auth/logout` (target: its `jti`).
    #[serde(rename = "session.logout")]
    SessionLogout,
    /// An action this build does not know (a newer server's); never recorded by this one.
    #[serde(other, rename = "other")]
    Other,
}

/// The kind of thing an audit entry acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AuditTarget {
    Client,
    Price,
    Fx,
    Server,
    User,
    Catalog,
    App,
    Branding,
    Operator,
    Session,
    /// A kind this build does not know (a newer server's).
    #[serde(other)]
    Other,
}

impl AuditAction {
    /// Every action the server records, for lookups by stored name and for tests that must
    /// cover each one (not [`AuditAction::Other`]).
    pub const ALL: [Self; 23] = [
        Self::ClientCreate,
        Self::ClientUpdate,
        Self::ClientQuotas,
        Self::ClientDelete,
        Self::ClientToken,
        Self::PriceUpdate,
        Self::FxUpdate,
        Self::ServerCreate,
        Self::ServerDelete,
        Self::UserCreate,
        Self::UserDelete,
        Self::UserInvite,
        Self::UserPassword,
        Self::UserUnlock,
        Self::CatalogUpdate,
        Self::AppCreate,
        Self::AppDelete,
        Self::BrandingUpdate,
        Self::BrandingAsset,
        Self::BrandingDomainVerify,
        Self::OperatorSignInFailed,
        Self::UserSignInFailed,
        Self::SessionLogout,
    ];

    /// The stored name, e.g. `client.create` (the same text serde writes).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ClientCreate => "client.create",
            Self::ClientUpdate => "client.update",
            Self::ClientQuotas => "client.quotas",
            Self::ClientDelete => "client.delete",
            Self::ClientToken => "client.token",
            Self::PriceUpdate => "price.update",
            Self::FxUpdate => "fx.update",
            Self::ServerCreate => "server.create",
            Self::ServerDelete => "server.delete",
            Self::UserCreate => "user.create",
            Self::UserDelete => "user.delete",
            Self::UserInvite => "user.invite",
            Self::UserPassword => "user.password",
            Self::UserUnlock => "user.unlock",
            Self::CatalogUpdate => "catalog.update",
            Self::AppCreate => "app.create",
            Self::AppDelete => "app.delete",
            Self::BrandingUpdate => "branding.update",
            Self::BrandingAsset => "branding.asset",
            Self::BrandingDomainVerify => "branding.domain_verify",
            Self::OperatorSignInFailed => "operator.sign_in_failed",
            Self::UserSignInFailed => "user.sign_in_failed",
            Self::SessionLogout => "session.logout",
            Self::Other => "other",
        }
    }

    /// The action stored as `name`, if it is one.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The kind of thing acted on.
    #[must_use]
    pub const fn target(self) -> AuditTarget {
        match self {
            Self::ClientCreate
            | Self::ClientUpdate
            | Self::ClientQuotas
            | Self::ClientDelete
            | Self::ClientToken => AuditTarget::Client,
            Self::PriceUpdate => AuditTarget::Price,
            Self::FxUpdate => AuditTarget::Fx,
            Self::ServerCreate | Self::ServerDelete => AuditTarget::Server,
            Self::UserCreate
            | Self::UserDelete
            | Self::UserInvite
            | Self::UserPassword
            | Self::UserUnlock
            | Self::UserSignInFailed => AuditTarget::User,
            Self::CatalogUpdate => AuditTarget::Catalog,
            Self::AppCreate | Self::AppDelete => AuditTarget::App,
            Self::BrandingUpdate | Self::BrandingAsset | Self::BrandingDomainVerify => {
                AuditTarget::Branding
            }
            Self::OperatorSignInFailed => AuditTarget::Operator,
            Self::SessionLogout => AuditTarget::Session,
            Self::Other => AuditTarget::Other,
        }
    }
}

impl AuditTarget {
    /// The stored name, e.g. `client`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Price => "price",
            Self::Fx => "fx",
            Self::Server => "server",
            Self::User => "user",
            Self::Catalog => "catalog",
            Self::App => "app",
            Self::Branding => "branding",
            Self::Operator => "operator",
            Self::Session => "session",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: Uuid,
    /// The tenant acted on.
    pub tenant_id: TenantId,
    /// The operator who acted (also when acting through a client token).
    pub actor_id: Uuid,
    pub action: AuditAction,
    pub target_type: AuditTarget,
    pub target_id: String,
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_and_serialises_as_its_stored_name() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        for action in AuditAction::ALL {
            let json = serde_json::to_value(action).unwrap_or_default();
            assert_eq!(json, serde_json::json!(action.as_str()));
            assert_eq!(AuditAction::from_name(action.as_str()), Some(action));
            let target = serde_json::to_value(action.target()).unwrap_or_default();
            assert_eq!(target, serde_json::json!(action.target().as_str()));
        }
        assert_eq!(AuditAction::from_name("app.install"), None);
        // A newer server's action reads as `other`, so older desks still show the log.
        let newer: AuditAction = serde_json::from_value(serde_json::json!("backup.run"))
            .unwrap_or(AuditAction::ClientCreate);
        assert_eq!(newer, AuditAction::Other);
    }
}
