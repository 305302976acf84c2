//! Work the server has not accepted yet (drafts, queued creates, conflicts, notices kept from
//! deleted clients): listed before a sign-out so nothing typed disappears unannounced,
//! exported to a file, or kept in the store for the next sign-in to the same account.

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use mspdesk_api::types::{Client, CreateClient};
use mspdesk_domain::{AssetKind, ClientId};
use serde::Serialize;
use uuid::Uuid;

use crate::error::DeskError;
use crate::kinds::{DraftKind, MirrorKind, OutboxOp};
use crate::reports::write_atomically;
use crate::store::{Account, Store};

/// What kind of unsent work an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum UnsentKind {
    /// A saved draft not published yet.
    Draft,
    /// A draft the server refused as stale, waiting for the user's decision.
    Conflict,
    /// A new client waiting in the outbox.
    QueuedClient,
    /// A draft of a client deleted on the server, kept as a notice.
    Notice,
}

/// One piece of unsent work, named as the user knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnsentItem {
    pub kind: UnsentKind,
    /// The draft's kind, for drafts and conflicts.
    pub draft: Option<DraftKind>,
    /// The client it belongs to (for a queued client: the outbox entry's id).
    pub id: Uuid,
    pub company_name: String,
    /// One line for a confirmation, e.g. "quotas draft of Acme GmbH".
    pub summary: String,
}

impl UnsentItem {
    fn draft(kind: UnsentKind, draft: DraftKind, client: ClientId, company_name: String) -> Self {
        let summary = match kind {
            UnsentKind::Conflict => format!("{draft} conflict of {company_name} (your side)"),
            _ => format!("{draft} draft of {company_name}"),
        };
        Self {
            kind,
            draft: Some(draft),
            id: client.as_uuid(),
            company_name,
            summary,
        }
    }
}

/// Everything unsent in the store, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnsentWork {
    /// The Control Panel the work belongs to.
    pub server: String,
    /// The operator who made it.
    pub email: String,
    pub items: Vec<UnsentItem>,
}

impl UnsentWork {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One line per item, for a confirmation or an error.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.items.iter().map(|i| i.summary.clone()).collect()
    }
}

/// What a sign-out does with unsent work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SignOut {
    /// Sign out only when nothing is unsent; otherwise refuse, naming what is
    /// ([`DeskError::Unsent`]), so the user chooses.
    IfNothingUnsent,
    /// Keep the unsent work (and the synced data it is based on) in the store for the next
    /// sign-in to the same account and server; the tokens leave the keyring all the same.
    KeepUnsent,
    /// Forget everything, unsent work included: the user confirmed losing it.
    DiscardUnsent,
}

/// The file [`export`] writes: the unsent work with its bodies, readable by people and tools.
#[derive(Debug, Serialize)]
struct Export {
    format: &'static str,
    server: String,
    email: String,
    exported_at: DateTime<Utc>,
    drafts: Vec<ExportedDraft>,
    conflicts: Vec<ExportedConflict>,
    queued_clients: Vec<ExportedCreate>,
    notices: Vec<crate::store::Notice>,
}

#[derive(Debug, Serialize)]
struct ExportedDraft {
    kind: DraftKind,
    client: ClientId,
    company_name: String,
    base_version: i64,
    updated_at: DateTime<Utc>,
    body: serde_json::Value,
    /// Images chosen for a branding draft and not uploaded yet, as `data:` URLs.
    images: Vec<ExportedImage>,
}

#[derive(Debug, Serialize)]
struct ExportedImage {
    kind: AssetKind,
    data_url: String,
}

#[derive(Debug, Serialize)]
struct ExportedConflict {
    kind: DraftKind,
    client: ClientId,
    company_name: String,
    yours: serde_json::Value,
    server: serde_json::Value,
    server_version: i64,
}

#[derive(Debug, Serialize)]
struct ExportedCreate {
    id: Uuid,
    body: CreateClient,
    attempts: i64,
    last_error: Option<String>,
}

/// The format tag of an export file.
pub const EXPORT_FORMAT: &str = "mspdesk-unsent/1";

async fn company_names(
    store: &Store,
    account: &Account,
) -> Result<std::collections::HashMap<ClientId, String>, DeskError> {
    Ok(store
        .mirror_all::<Client>(MirrorKind::Client, account.msp_tenant)
        .await?
        .into_iter()
        .map(|c| (c.id, c.company_name))
        .collect())
}

fn name_of(names: &std::collections::HashMap<ClientId, String>, client: ClientId) -> String {
    names
        .get(&client)
        .cloned()
        .unwrap_or_else(|| format!("client {client}"))
}

/// The unsent work in `store` (empty when no account was ever signed in there).
pub(crate) async fn list(store: &Store) -> Result<Option<UnsentWork>, DeskError> {
    let Some(account) = store.account().await? else {
        return Ok(None);
    };
    let names = company_names(store, &account).await?;
    let mut items = Vec::new();
    for d in store.drafts().await? {
        let name = name_of(&names, d.client);
        items.push(UnsentItem::draft(UnsentKind::Draft, d.kind, d.client, name));
    }
    for c in store.conflicts().await? {
        let name = name_of(&names, c.client);
        items.push(UnsentItem::draft(
            UnsentKind::Conflict,
            c.kind,
            c.client,
            name,
        ));
    }
    for e in store.outbox().await? {
        let OutboxOp::CreateClient(body) = e.op;
        items.push(UnsentItem {
            kind: UnsentKind::QueuedClient,
            draft: None,
            id: e.id,
            summary: format!("new client {} (not created yet)", body.company_name),
            company_name: body.company_name,
        });
    }
    for n in store.notices().await? {
        if n.body.is_some() {
            items.push(UnsentItem {
                kind: UnsentKind::Notice,
                draft: n.draft_kind,
                id: n.client.as_uuid(),
                summary: format!("kept draft of deleted client {}", n.company_name),
                company_name: n.company_name,
            });
        }
    }
    Ok(Some(UnsentWork {
        server: account.server,
        email: account.email,
        items,
    }))
}

/// Writes every unsent item of `store`, with its body, to `path` as JSON (atomically).
/// Returns how many items it holds.
pub(crate) async fn export(store: &Store, path: &Path) -> Result<usize, DeskError> {
    let account = store.account().await?.ok_or(DeskError::NotSignedIn)?;
    let names = company_names(store, &account).await?;
    let mut drafts = Vec::new();
    for d in store.drafts().await? {
        let images = if d.kind == DraftKind::Branding {
            store
                .images(d.client)
                .await?
                .into_iter()
                .filter(|i| i.pending)
                .map(|i| ExportedImage {
                    kind: i.kind,
                    data_url: format!(
                        "data:{};base64,{}",
                        i.content_type,
                        base64::engine::general_purpose::STANDARD.encode(&i.bytes)
                    ),
                })
                .collect()
        } else {
            Vec::new()
        };
        drafts.push(ExportedDraft {
            kind: d.kind,
            company_name: name_of(&names, d.client),
            client: d.client,
            base_version: d.base_version,
            updated_at: d.updated_at,
            body: d.body,
            images,
        });
    }
    let conflicts: Vec<ExportedConflict> = store
        .conflicts()
        .await?
        .into_iter()
        .map(|c| ExportedConflict {
            kind: c.kind,
            company_name: name_of(&names, c.client),
            client: c.client,
            yours: c.draft,
            server: c.server,
            server_version: c.server_version,
        })
        .collect();
    let queued_clients: Vec<ExportedCreate> = store
        .outbox()
        .await?
        .into_iter()
        .map(|e| {
            let OutboxOp::CreateClient(body) = e.op;
            ExportedCreate {
                id: e.id,
                body,
                attempts: e.attempts,
                last_error: e.last_error,
            }
        })
        .collect();
    let notices: Vec<_> = store
        .notices()
        .await?
        .into_iter()
        .filter(|n| n.body.is_some())
        .collect();
    let count = drafts.len() + conflicts.len() + queued_clients.len() + notices.len();
    let export = Export {
        format: EXPORT_FORMAT,
        server: account.server,
        email: account.email,
        exported_at: Utc::now(),
        drafts,
        conflicts,
        queued_clients,
        notices,
    };
    let bytes = serde_json::to_vec_pretty(&export)
        .map_err(|e| DeskError::Render(format!("the export could not be written: {e}")))?;
    write_atomically(path, &bytes)?;
    Ok(count)
}
