//! The desk's vocabulary as enums: what a draft changes, what the mirror holds, what the outbox
//! sends. Their string forms are what the store's columns hold.

use std::fmt;
use std::str::FromStr;

use mspdesk_api::types::{ChangeKind, CreateClient};
use serde::{Deserialize, Serialize};

/// What a draft changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DraftKind {
    Branding,
    Quotas,
    Catalog,
}

impl DraftKind {
    pub const ALL: [DraftKind; 3] = [DraftKind::Quotas, DraftKind::Branding, DraftKind::Catalog];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DraftKind::Branding => "branding",
            DraftKind::Quotas => "quotas",
            DraftKind::Catalog => "catalog",
        }
    }
}

impl fmt::Display for DraftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DraftKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        DraftKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("{s} is not a draft kind (branding, quotas, catalog)"))
    }
}

/// What a mirror row holds: one of the API's bodies, as last synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MirrorKind {
    /// The MSP's plans (tenant: the MSP).
    Plan,
    /// The MSP's price table (tenant: the MSP; id: `provider/server_type`).
    Price,
    /// The MSP's billing currency and rates (tenant: the MSP; id: `fx`).
    Fx,
    /// A client record with quotas and usage (tenant: the MSP).
    Client,
    /// The app template library (tenant: the MSP).
    Template,
    /// The MSP's own profile (tenant: the MSP; id: `msp`).
    Msp,
    /// A client's server (tenant: the client).
    Server,
    /// A client's user (tenant: the client).
    User,
    /// A client's catalog (tenant and id: the client).
    Catalog,
    /// A client's branding (tenant and id: the client).
    Branding,
    /// An app installed on one of a client's servers (tenant: the client).
    App,
}

impl MirrorKind {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MirrorKind::Plan => "plan",
            MirrorKind::Price => "price",
            MirrorKind::Fx => "fx",
            MirrorKind::Client => "client",
            MirrorKind::Template => "template",
            MirrorKind::Msp => "msp",
            MirrorKind::Server => "server",
            MirrorKind::User => "user",
            MirrorKind::Catalog => "catalog",
            MirrorKind::Branding => "branding",
            MirrorKind::App => "app",
        }
    }

    /// Where a change of the feed lives in the mirror (None: a kind this build does not know).
    #[must_use]
    pub const fn of_change(kind: ChangeKind) -> Option<MirrorKind> {
        Some(match kind {
            ChangeKind::Client => MirrorKind::Client,
            ChangeKind::Server => MirrorKind::Server,
            ChangeKind::User => MirrorKind::User,
            ChangeKind::Catalog => MirrorKind::Catalog,
            ChangeKind::Branding => MirrorKind::Branding,
            ChangeKind::App => MirrorKind::App,
            ChangeKind::Plan => MirrorKind::Plan,
            ChangeKind::Price => MirrorKind::Price,
            ChangeKind::Fx => MirrorKind::Fx,
            ChangeKind::Unknown => return None,
        })
    }

    /// The mirror kind holding the server's side of a draft.
    #[must_use]
    pub const fn of_draft(kind: DraftKind) -> MirrorKind {
        match kind {
            DraftKind::Quotas => MirrorKind::Client,
            DraftKind::Branding => MirrorKind::Branding,
            DraftKind::Catalog => MirrorKind::Catalog,
        }
    }
}

/// A create waiting in the outbox, with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxOp {
    CreateClient(CreateClient),
}

impl OutboxOp {
    /// The name stored in the outbox's `kind` column.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            OutboxOp::CreateClient(_) => "client.create",
        }
    }

    /// The body as stored.
    pub(crate) fn body(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            OutboxOp::CreateClient(b) => serde_json::to_value(b),
        }
    }

    /// Rebuilds an operation from its stored name and body.
    pub(crate) fn from_stored(name: &str, body: serde_json::Value) -> Option<Self> {
        match name {
            "client.create" => serde_json::from_value(body)
                .ok()
                .map(OutboxOp::CreateClient),
            _ => None,
        }
    }
}

impl fmt::Display for OutboxOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutboxOp::CreateClient(b) => write!(f, "create client {}", b.company_name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_kinds_round_trip_through_their_names() {
        for k in DraftKind::ALL {
            assert_eq!(k.as_str().parse::<DraftKind>(), Ok(k));
        }
        assert!("profile".parse::<DraftKind>().is_err());
    }

    #[test]
    fn outbox_ops_round_trip_through_the_store_shape() {
        let op = OutboxOp::CreateClient(CreateClient {
            company_name: "Acme".into(),
            contact_email: "it@acme.example".into(),
            plan_id: uuid::Uuid::nil().to_string(),
            quotas: None,
        });
        let body = op.body().expect("serialisable");
        assert_eq!(OutboxOp::from_stored(op.name(), body.clone()), Some(op));
        assert_eq!(OutboxOp::from_stored("client.delete", body), None);
    }
}
