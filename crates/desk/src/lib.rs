//! MSP Desk without a window: everything the desktop app does, so the Tauri commands stay
//! thin and the `mspdesk` CLI shares the same code.
//!
//! - [`store`]: the local SQLite store (WAL): a mirror of the last sync, drafts made offline,
//!   an outbox of pending creates, and recorded conflicts. Everything reads from it, so the
//!   desk works offline.
//! - [`vault`]: tokens in the OS keyring (Secret Service, Keychain, Credential Manager), never
//!   anywhere else.
//! - [`desk`]: sign-in, sync (push drafts and the outbox, then pull), conflict resolution, and
//!   local billing reports.

pub mod desk;
pub mod store;
pub mod vault;

pub use desk::{Desk, DeskError, Progress, Resolution, SyncSummary};
pub use store::{DraftKind, Store, StoreError};
pub use vault::{OsKeyring, SecretStore, Vault, VaultError};

/// The folder the desktop app and the CLI keep their data in, unless told otherwise.
#[must_use]
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|d| d.join("io.mspdesk.desktop"))
}
