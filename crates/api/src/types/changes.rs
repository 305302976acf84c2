//! The change feed (`GET /changes`): what changed across an MSP's clients, servers, users,
//! catalogs, branding, apps, plans, prices and exchange rates since a cursor, in commit order.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use mspdesk_domain::ClientId;

/// What a change is about. Bodies are those of the resource's own route.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A client record, `GET /clients/{id}` (id: the client id). Its usage and compliance
    /// change with its servers, users and apps, so those changes bring it along.
    Client,
    /// A server, `GET /servers/{id}` (id: the server id; `client_id` set).
    Server,
    /// A user (id: the user id; `client_id` set).
    User,
    /// A client's catalog, `GET /catalog` (id: the client id).
    Catalog,
    /// A client's branding, `GET /branding` (id: the client id).
    Branding,
    /// An app installed on a server (id: the app id; `client_id` set).
    App,
    /// An MSP plan (id: the plan id).
    Plan,
    /// A price of the MSP's table (id: `provider/server_type`).
    Price,
    /// The MSP's billing currency and rates, `GET /fx` (id: `fx`).
    Fx,
    /// A kind this build does not know (a newer server): skipped, the cursor still advances.
    #[serde(other)]
    Unknown,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 9] = [
        ChangeKind::Client,
        ChangeKind::Server,
        ChangeKind::User,
        ChangeKind::Catalog,
        ChangeKind::Branding,
        ChangeKind::App,
        ChangeKind::Plan,
        ChangeKind::Price,
        ChangeKind::Fx,
    ];

    /// The name stored in the feed table and sent on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Client => "client",
            ChangeKind::Server => "server",
            ChangeKind::User => "user",
            ChangeKind::Catalog => "catalog",
            ChangeKind::Branding => "branding",
            ChangeKind::App => "app",
            ChangeKind::Plan => "plan",
            ChangeKind::Price => "price",
            ChangeKind::Fx => "fx",
            ChangeKind::Unknown => "unknown",
        }
    }

    /// The kind a stored name names.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// Created or updated: `body` holds the resource as its route returns it now.
    Upsert,
    /// Deleted: a tombstone, without a body.
    Delete,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeItem {
    pub kind: ChangeKind,
    pub id: String,
    /// The client the resource belongs to (its own id for a client, catalog or branding);
    /// null for the MSP's own plans, prices and exchange rates.
    pub client_id: Option<ClientId>,
    pub op: ChangeOp,
    /// The resource as its own route returns it; null for a delete.
    #[schema(value_type = Object)]
    pub body: Option<serde_json::Value>,
}

/// A page of the feed. Pass `next_cursor` as `since` for the next page; when `complete` is
/// true, nothing more has been committed (keep `next_cursor` for the next sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<ChangeItem>,
    pub next_cursor: String,
    pub complete: bool,
}

/// The default and the largest page of the feed.
pub const CHANGES_DEFAULT_LIMIT: u32 = 1000;
pub const CHANGES_MAX_LIMIT: u32 = 5000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.as_str().into())
            );
        }
        assert_eq!(ChangeKind::parse("tenant"), None);
        // A newer server's kind does not break an older desk.
        assert_eq!(
            serde_json::from_str::<ChangeKind>("\"invoice\"").unwrap(),
            ChangeKind::Unknown
        );
    }
}
