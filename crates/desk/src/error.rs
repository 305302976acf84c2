//! The desk's one error type: every action returns it, and front ends (the window, the CLI)
//! present it.

use mspdesk_api::client::ApiError;
use mspdesk_api::{FieldError, ProblemCode};
use mspdesk_domain::BillingError;

use crate::kinds::DraftKind;
use crate::store::StoreError;
use crate::unsent::UnsentWork;
use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("not signed in: sign in to a Control Panel first (mspdesk login)")]
    NotSignedIn,
    #[error("the session has expired: sign in again (mspdesk login)")]
    SessionExpired,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("invalid input: {}", describe(.0))]
    Invalid(Vec<FieldError>),
    #[error("no synced client matches {0:?}; run a sync, or check the name or id")]
    UnknownClient(String),
    #[error("{0} has not been synced yet; run a sync while online first")]
    NotSynced(String),
    #[error("there is no {0} draft for this client")]
    NoDraft(DraftKind),
    #[error("there is no conflict on {0} for this client")]
    NoConflict(DraftKind),
    #[error("the {0} draft of this client conflicts with a change on the server: resolve the conflict first")]
    ConflictPending(DraftKind),
    #[error("{0}")]
    Billing(#[from] BillingError),
    #[error("the report could not be rendered: {0}")]
    Render(String),
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("cancelled")]
    Cancelled,
    /// The server sent something for another tenant than the one asked for (a token, a row):
    /// refused, nothing stored.
    #[error("the Control Panel answered for another tenant: {0}; nothing was stored")]
    Foreign(String),
    /// Signing in to another account while this desk keeps unsent work of an earlier one.
    #[error("this desk keeps {} unsent change(s) of {} on {}: {}. Sign in to that account to publish them, or export or discard them first", .0.items.len(), .0.email, .0.server, .0.lines().join("; "))]
    PendingChanges(Box<UnsentWork>),
    /// A sign-out that would lose unsent work: the user must choose to keep or discard it.
    #[error("{} unsent change(s) would be lost by signing out: {}. Publish them first, or choose to keep them for the next sign-in, export them, or discard them", .0.items.len(), .0.lines().join("; "))]
    Unsent(Box<UnsentWork>),
}

impl DeskError {
    /// The Control Panel could not be reached (the desk is offline), or it answered that it
    /// cannot serve now (503 `unavailable`: its database is down): either way, try later.
    #[must_use]
    pub fn is_offline(&self) -> bool {
        match self {
            DeskError::Api(ApiError::Transport(_)) => true,
            DeskError::Api(e) => e.code() == Some(ProblemCode::Unavailable),
            _ => false,
        }
    }

    /// The server's problem code, when the server answered with one.
    #[must_use]
    pub fn problem_code(&self) -> Option<ProblemCode> {
        match self {
            DeskError::Api(e) => e.code(),
            _ => None,
        }
    }
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> DeskError {
    DeskError::Invalid(vec![FieldError::new(field, message)])
}
