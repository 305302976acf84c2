//! The errors that cross boundaries: [`IpcError`] is the one shape every command failure takes
//! on its way to the webview (`{code, message, fields?}`); [`StartError`] is why the app could
//! not start.

use mspdesk_api::client::ApiError;
use mspdesk_api::{FieldError, ProblemCode};
use mspdesk_desk::{DeskError, VaultError};
use serde::Serialize;

/// What the UI receives when a command fails: a stable machine-readable `code`, a sentence for
/// people, and for `validation` the fields at fault. Internals (paths of temporary files, SQL,
/// tokens) never go in `message`; they are logged instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<Vec<IpcFieldError>>,
}

/// One invalid field, named as in the request body (`quotas.max_servers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IpcFieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// The Control Panel cannot be reached; local changes are kept.
    Offline,
    /// Not signed in, the session expired, or the sign-in was refused.
    Unauthorized,
    /// Signed in, but this operator may not do this.
    Forbidden,
    /// The OS keyring is missing or locked.
    KeyringUnavailable,
    /// Some fields are invalid (`fields` says which).
    Validation,
    /// The server refused a create over a quota.
    QuotaExceeded,
    /// The server changed meanwhile, or refuses because of the resource's state.
    Conflict,
    /// No such client, draft or conflict (or not synced yet).
    NotFound,
    /// The user cancelled.
    Cancelled,
    /// Something on this machine failed; the log has the details.
    Internal,
}

impl IpcError {
    fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
        }
    }

    /// An internal failure: the detail goes to the log, the UI gets a plain sentence.
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        Self::new(
            IpcErrorCode::Internal,
            format!("{context}. The log file has the details."),
        )
    }

    /// The action cannot happen in the current state (e.g. a sync is already running).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::Conflict, message)
    }

    pub fn not_signed_in() -> Self {
        Self::new(
            IpcErrorCode::Unauthorized,
            "Sign in to a Control Panel first.",
        )
    }

    pub fn poisoned() -> Self {
        Self::internal(
            "The app's state is damaged; restart MSP Desk",
            &"poisoned lock",
        )
    }

    fn offline() -> Self {
        Self::new(
            IpcErrorCode::Offline,
            "The Control Panel cannot be reached. Your changes are kept here and sent at the next sync.",
        )
    }

    fn validation(errors: &[FieldError]) -> Self {
        let mut e = Self::new(
            IpcErrorCode::Validation,
            errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        );
        e.fields = Some(
            errors
                .iter()
                .map(|f| IpcFieldError {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        );
        e
    }

    fn from_api(e: &ApiError) -> Self {
        let Some(problem) = e.problem() else {
            return match e {
                ApiError::Transport(_) => Self::offline(),
                // A gateway answering for a Control Panel that is down or restarting.
                ApiError::Unexpected {
                    status: 502..=504, ..
                } => Self::offline(),
                other => Self::internal("The Control Panel's answer could not be read", other),
            };
        };
        let message = problem
            .detail
            .clone()
            .unwrap_or_else(|| problem.title.clone());
        match problem.code {
            ProblemCode::ValidationFailed => {
                Self::validation(problem.errors.as_deref().unwrap_or(&[]))
            }
            ProblemCode::Unauthorized => Self::new(IpcErrorCode::Unauthorized, message),
            ProblemCode::Forbidden => Self::new(IpcErrorCode::Forbidden, message),
            ProblemCode::NotFound => Self::new(IpcErrorCode::NotFound, message),
            ProblemCode::QuotaExceeded | ProblemCode::NotInCatalog => {
                Self::new(IpcErrorCode::QuotaExceeded, message)
            }
            ProblemCode::Conflict
            | ProblemCode::VersionConflict
            | ProblemCode::PreconditionRequired => Self::new(IpcErrorCode::Conflict, message),
            // The Control Panel is up but its database is not: as good as offline.
            ProblemCode::Unavailable => Self::offline(),
            ProblemCode::Internal => {
                tracing::error!(%message, "the Control Panel failed");
                Self::new(
                    IpcErrorCode::Internal,
                    "The Control Panel failed to answer (HTTP 500); try again in a moment. Its log has the details.",
                )
            }
            _ => Self::internal("The Control Panel refused the request", &message),
        }
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        match &e {
            DeskError::NotSignedIn => Self::not_signed_in(),
            DeskError::SessionExpired => Self::new(
                IpcErrorCode::Unauthorized,
                "Your session has expired: sign in again.",
            ),
            DeskError::Vault(VaultError::Unavailable(_)) => Self::new(
                IpcErrorCode::KeyringUnavailable,
                "No unlocked keyring was found. MSP Desk keeps its tokens only in the system keyring (GNOME Keyring or KWallet on Linux, Keychain on macOS, Credential Manager on Windows): install or unlock it, then sign in again.",
            ),
            DeskError::Vault(other) => Self::internal("The system keyring refused the request", other),
            DeskError::Api(api) => Self::from_api(api),
            DeskError::Invalid(errors) => Self::validation(errors),
            DeskError::UnknownClient(_)
            | DeskError::NotSynced(_)
            | DeskError::NoDraft(_)
            | DeskError::NoConflict(_) => Self::new(IpcErrorCode::NotFound, capitalise(&e.to_string())),
            DeskError::ConflictPending(_) | DeskError::PendingChanges(_) | DeskError::Unsent(_) => {
                Self::new(IpcErrorCode::Conflict, capitalise(&e.to_string()))
            }
            DeskError::Billing(_) => Self::new(IpcErrorCode::Validation, capitalise(&e.to_string())),
            DeskError::Cancelled => Self::new(IpcErrorCode::Cancelled, "Cancelled."),
            DeskError::Store(_)
            | DeskError::Render(_)
            | DeskError::File { .. }
            | DeskError::Foreign(_) => {
                Self::internal("MSP Desk could not complete the action", &e)
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Tauri(#[from] tauri::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The UI matches on this shape; changing it is a breaking change to the IPC contract.
    #[test]
    fn ipc_error_json_shape() {
        let e = IpcError::internal("Could not find the data folder", &"permission denied: /x");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({
                "code": "internal",
                "message": "Could not find the data folder. The log file has the details."
            })
        );
        // Details stay out of what the UI sees.
        assert!(!e.message.contains("/x"));
    }

    #[test]
    fn desk_errors_map_to_codes_with_fields() {
        let invalid = IpcError::from(DeskError::Invalid(vec![FieldError::new(
            "company_name",
            "must not be empty",
        )]));
        assert_eq!(
            serde_json::to_value(&invalid).unwrap(),
            serde_json::json!({
                "code": "validation",
                "message": "company_name must not be empty",
                "fields": [{"field": "company_name", "message": "must not be empty"}]
            })
        );
        assert_eq!(
            IpcError::from(DeskError::NotSignedIn).code,
            IpcErrorCode::Unauthorized
        );
        assert_eq!(
            IpcError::from(DeskError::Vault(VaultError::Unavailable("no D-Bus".into()))).code,
            IpcErrorCode::KeyringUnavailable
        );
        assert_eq!(
            IpcError::from(DeskError::Cancelled).code,
            IpcErrorCode::Cancelled
        );
    }
}
