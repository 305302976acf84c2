//! The errors that cross boundaries: [`IpcError`] is the one shape every command failure takes
//! on its way to the webview; [`StartError`] is why the app could not start.

use serde::Serialize;

/// What the UI receives when a command fails: a stable machine-readable `code` and a sentence
/// for people. Internals (paths of temporary files, SQL, tokens) never go in `message`; they are
/// logged instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// Something on this machine failed (a folder could not be found or created, ...).
    Internal,
}

impl IpcError {
    /// An internal failure: the detail goes to the log, the UI gets a plain sentence.
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        Self {
            code: IpcErrorCode::Internal,
            message: format!("{context}. The log file has the details."),
        }
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
}
