//! MSP Desk without a window: every user action is a method of [`Desk`], so the Tauri
//! commands and the `mspdesk` CLI are argument parsing and presentation only.
//!
//! - [`session`]: sign in and out, which server and operator, tokens in the OS keyring;
//! - [`clients`]: the client list (search, sort, filters, month-to-date totals), one client's
//!   detail, create, edit, delete;
//! - [`drafts`]: quotas, branding and catalog drafts made offline; publish one, discard one;
//! - [`branding`]: the Branding studio: checks, the live preview from the portal's template,
//!   images from files, custom-domain verification;
//! - [`conflicts`]: drafts the server refused as stale, and settling them;
//! - [`unsent`]: what the server has not accepted yet, listed, exported or kept over a
//!   sign-out;
//! - [`sync`]: push drafts and the outbox, then pull, with progress and cancellation;
//! - [`reports`]: billing reports from the synced data, written as CSV or PDF;
//! - [`store`]: the local SQLite store (WAL) the desk reads from, so it works offline;
//! - [`vault`]: tokens in the OS keyring (Secret Service, Keychain, Credential Manager), never
//!   anywhere else;
//! - [`kinds`]: the enums naming mirror kinds, draft kinds and outbox operations.

pub mod branding;
pub mod clients;
pub mod conflicts;
pub mod drafts;
mod error;
pub mod kinds;
mod locale;
pub mod reports;
pub mod session;
pub mod store;
pub mod sync;
pub mod unsent;
pub mod vault;

pub use branding::{BrandingCheck, BrandingIssue, BrandingView, PendingAsset, PreviewTheme};
pub use clients::{
    search_key, ClientDetail, ClientOrder, ClientQuery, ClientRow, ClientSort, CreateOutcome,
    QueuedClient,
};
pub use conflicts::Resolution;
pub use drafts::{BrandingChanges, CatalogChange, PublishOutcome, QuotaChanges};
pub use error::DeskError;
pub use kinds::{DraftKind, MirrorKind, OutboxOp};
pub use locale::format_locale;
pub use reports::{ExportRequest, ExportSummary, ReportFormat, ReportScope};
pub use secrecy::{ExposeSecret, SecretString};
pub use session::{Desk, PlainHttp, STORE_FILE};
pub use store::{Account, Conflict, Draft, Notice, Store, StoreError};
pub use sync::{Progress, SyncSummary};
pub use tokio_util::sync::CancellationToken;
pub use unsent::{SignOut, UnsentItem, UnsentKind, UnsentWork};
pub use vault::{OsKeyring, SecretStore, Vault, VaultError};

/// The folder the desktop app and the CLI keep their data in, unless told otherwise.
#[must_use]
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|d| d.join("io.mspdesk.desktop"))
}
