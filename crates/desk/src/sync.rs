//! Sync: push the outbox and the drafts, then pull what changed through the Control Panel's
//! change feed (one request loop with the MSP's token; per-client tokens are minted only to
//! write as a client). Each page is applied to the store in one transaction with its cursor, so
//! a crash or a cancel leaves the store at a page boundary, never half-way through one.

use std::collections::BTreeSet;

use mspdesk_api::client::{ApiClient, ApiError};
use mspdesk_api::types::{ChangeItem, ChangeKind, ChangeOp, Client, ClientSummary};
use mspdesk_api::ProblemCode;
use mspdesk_domain::TenantId;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::drafts::PublishOutcome;
use crate::error::DeskError;
use crate::kinds::{MirrorKind, OutboxOp};
use crate::session::{cancellable, retry, Desk};
use crate::store::{MirrorWrite, OutboxEntry, PageApplied, StoreError};

/// Sync progress: pages and changes applied so far, and what is being done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub pages: usize,
    pub rows: usize,
    pub step: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    /// Drafts and creates the server accepted.
    pub pushed: usize,
    /// Drafts refused as stale, now waiting for a decision.
    pub conflicts: usize,
    /// Pushes refused for another reason (kept, with the reason).
    pub failed: Vec<String>,
    /// Pages of the change feed applied, and the changes in them.
    pub pages: usize,
    pub changes: usize,
    /// The feed's history was gone (410), so a fresh snapshot was taken.
    pub resynced: bool,
    /// Clients in the mirror after the sync.
    pub clients: usize,
    /// Clients the server no longer has, removed from the mirror.
    pub removed_clients: usize,
    /// Notices written (drafts of removed clients).
    pub notices: usize,
    /// Rows in the local mirror after the sync.
    pub rows: i64,
}

/// A client record as a row of the client list (its month-to-date total is computed by the
/// caller).
pub(crate) fn summary_of(c: &Client) -> ClientSummary {
    ClientSummary {
        monthly_total: None,
        id: c.id,
        company_name: c.company_name.clone(),
        contact_email: c.contact_email.clone(),
        plan_id: c.plan_id,
        plan_name: c.plan_name.clone(),
        server_count: c.usage.servers,
        user_count: c.usage.users,
        compliance: c.compliance.clone(),
        version: c.version,
    }
}

/// The most pages one sync pulls (at the default 1,000 changes a page, ten million changes):
/// a feed that never completes is a broken server, not work to do.
pub const MAX_SYNC_PAGES: usize = 10_000;

/// Whether an item's body belongs where the item says: a client's own record, catalog and
/// branding name that client; a server, user or app its own id; the MSP's plans, prices and
/// rates no client. (The feed is the MSP's; an item that contradicts itself is refused before
/// anything of its page is stored.)
fn belongs(item: &ChangeItem, body: Option<&serde_json::Value>) -> Result<(), DeskError> {
    let text = |key: &str| {
        body.and_then(|b| b.get(key))
            .and_then(serde_json::Value::as_str)
    };
    let client = item.client_id.map(|c| c.to_string());
    let ok = match item.kind {
        ChangeKind::Client => {
            client.as_deref() == Some(item.id.as_str())
                && body.is_none_or(|_| text("id") == Some(item.id.as_str()))
        }
        ChangeKind::Catalog | ChangeKind::Branding => client.as_deref() == Some(item.id.as_str()),
        ChangeKind::Server | ChangeKind::User | ChangeKind::App => {
            client.is_some() && body.is_none_or(|_| text("id") == Some(item.id.as_str()))
        }
        ChangeKind::Plan | ChangeKind::Price | ChangeKind::Fx => client.is_none(),
        ChangeKind::Unknown => true,
    };
    if ok {
        Ok(())
    } else {
        Err(DeskError::Foreign(format!(
            "a {} change ({}) that does not belong where it says",
            item.kind.as_str(),
            item.id
        )))
    }
}

/// A feed item as a mirror write; None for a kind this build does not know (a newer server).
fn mirror_write(msp: TenantId, item: &ChangeItem) -> Result<Option<MirrorWrite>, DeskError> {
    let Some(kind) = MirrorKind::of_change(item.kind) else {
        tracing::warn!(id = %item.id, "a change of a kind this MSP Desk does not know: update MSP Desk");
        return Ok(None);
    };
    let tenant = match (item.kind, item.client_id) {
        (ChangeKind::Client | ChangeKind::Plan | ChangeKind::Price | ChangeKind::Fx, _) => msp,
        (_, Some(client)) => client.into(),
        (_, None) => {
            return Err(DeskError::Store(StoreError::Corrupt(format!(
                "a {} change without its client",
                item.kind.as_str()
            ))))
        }
    };
    let body = match (item.op, &item.body) {
        (ChangeOp::Delete, _) => None,
        (ChangeOp::Upsert, Some(b)) => Some(b),
        (ChangeOp::Upsert, None) => {
            return Err(DeskError::Store(StoreError::Corrupt(format!(
                "a {} upsert without a body",
                item.kind.as_str()
            ))))
        }
    };
    belongs(item, body)?;
    Ok(Some(MirrorWrite {
        kind,
        tenant,
        id: item.id.clone(),
        version: body
            .and_then(|b| b.get("version"))
            .and_then(serde_json::Value::as_i64),
        body: body.map(serde_json::Value::to_string),
    }))
}

impl Desk {
    /// Pushes the outbox and the drafts, then pulls what changed since the last sync through
    /// the server's change feed (a full snapshot the first time). `progress` is called after
    /// every page; `cancel` stops the sync between two requests or drops the one in flight
    /// (returning [`DeskError::Cancelled`]); what was applied stays, page by page.
    #[tracing::instrument(skip_all, err)]
    pub async fn sync(
        &self,
        mut progress: impl FnMut(Progress),
        cancel: &CancellationToken,
    ) -> Result<SyncSummary, DeskError> {
        let mut summary = SyncSummary::default();
        let msp = self.msp_api()?;
        cancellable(cancel, self.push_outbox(&msp, &mut summary)).await?;
        cancellable(cancel, self.push_drafts(&msp, &mut summary)).await?;
        self.pull_changes(&msp, &mut summary, &mut progress, cancel)
            .await?;
        // After the feed: a snapshot it completed keeps only rows written since it began.
        cancellable(cancel, self.pull_templates(&msp)).await?;
        let profile = cancellable(cancel, async { Ok(retry(|| msp.msp()).await?) }).await?;
        self.store
            .put_mirror(MirrorKind::Msp, self.msp(), "msp", &profile, None)
            .await?;
        self.store.mark_synced().await?;
        summary.clients = self.store.count_mirror(MirrorKind::Client).await?;
        summary.rows = self.store.mirror_rows().await?;
        progress(Progress {
            pages: summary.pages,
            rows: summary.changes,
            step: "done".into(),
        });
        Ok(summary)
    }

    /// The template library: the same for every client, readable with the MSP's token.
    async fn pull_templates(&self, msp: &ApiClient) -> Result<(), DeskError> {
        let templates = retry(|| msp.templates()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::Template,
                self.msp(),
                &templates
                    .iter()
                    .map(|t| (t.id.clone(), t, None))
                    .collect::<Vec<_>>(),
            )
            .await?;
        Ok(())
    }

    /// Applies the feed page by page until it is complete.
    pub(crate) async fn pull_changes(
        &self,
        msp: &ApiClient,
        summary: &mut SyncSummary,
        progress: &mut impl FnMut(Progress),
        cancel: &CancellationToken,
    ) -> Result<(), DeskError> {
        let msp_tenant = self.msp();
        let mut pages = 0;
        loop {
            if cancel.is_cancelled() {
                return Err(DeskError::Cancelled);
            }
            pages += 1;
            if pages > MAX_SYNC_PAGES {
                return Err(ApiError::EndlessList(MAX_SYNC_PAGES).into());
            }
            let state = self.store.feed_state().await?;
            if state.cursor.is_none() && !state.snapshot {
                self.store.begin_snapshot().await?;
            }
            let limit = self.page_limit;
            let page = match cancellable(cancel, async {
                Ok(retry(|| msp.changes(state.cursor.as_deref(), Some(limit))).await?)
            })
            .await
            {
                Err(e) if e.problem_code() == Some(ProblemCode::ResyncRequired) => {
                    tracing::info!("the feed's history is gone: taking a fresh snapshot");
                    summary.resynced = true;
                    self.store.begin_snapshot().await?;
                    continue;
                }
                other => other?,
            };
            let writes: Vec<MirrorWrite> = page
                .items
                .iter()
                .map(|item| mirror_write(msp_tenant, item))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            let applied = self
                .store
                .apply_page(msp_tenant, &writes, &page.next_cursor)
                .await?;
            self.after_removal(&applied, summary).await?;
            // A page that is not the last must move the cursor, or the loop would never end.
            if !page.complete && state.cursor.as_deref() == Some(page.next_cursor.as_str()) {
                return Err(ApiError::EndlessList(pages).into());
            }
            summary.pages += 1;
            summary.changes += writes.len();
            progress(Progress {
                pages: summary.pages,
                rows: summary.changes,
                step: format!("{} changes", summary.changes),
            });
            if page.complete {
                break;
            }
        }
        if self.store.feed_state().await?.snapshot {
            let applied = self.store.finish_snapshot(msp_tenant).await?;
            self.after_removal(&applied, summary).await?;
        }
        Ok(())
    }

    /// Clients removed from the mirror lose their tokens too.
    async fn after_removal(
        &self,
        applied: &PageApplied,
        summary: &mut SyncSummary,
    ) -> Result<(), DeskError> {
        for (client, name) in &applied.removed {
            self.drop_client_token(*client).await?;
            tracing::info!(%client, company = %name, "client deleted on the server; removed locally");
        }
        summary.removed_clients += applied.removed.len();
        summary.notices += applied.notices;
        Ok(())
    }

    /// Stores a client record the server returned.
    pub(crate) async fn mirror_client(&self, client: &Client) -> Result<(), DeskError> {
        self.store
            .put_mirror(
                MirrorKind::Client,
                self.msp(),
                &client.id.to_string(),
                client,
                Some(client.version),
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn push_outbox(
        &self,
        msp: &ApiClient,
        summary: &mut SyncSummary,
    ) -> Result<(), DeskError> {
        for entry in self.store.outbox().await? {
            match self.send(msp, &entry).await {
                Ok(_) => {
                    self.store.outbox_done(entry.id).await?;
                    summary.pushed += 1;
                }
                // Unreachable: stop here; everything stays queued for the next sync.
                Err(e) if e.is_offline() => return Err(e),
                Err(e) => {
                    self.store.outbox_failed(entry.id, &e.to_string()).await?;
                    summary.failed.push(format!("{}: {e}", entry.op));
                }
            }
        }
        Ok(())
    }

    /// Sends one outbox entry; returns what the server created.
    pub(crate) async fn send(
        &self,
        msp: &ApiClient,
        entry: &OutboxEntry,
    ) -> Result<Client, DeskError> {
        match &entry.op {
            OutboxOp::CreateClient(body) => {
                // The same key on every attempt: a retry after a lost response creates nothing.
                let created =
                    retry(|| msp.create_client(body, Some(&entry.idempotency_key))).await?;
                self.mirror_client(&created).await?;
                Ok(created)
            }
        }
    }

    async fn push_drafts(
        &self,
        msp: &ApiClient,
        summary: &mut SyncSummary,
    ) -> Result<(), DeskError> {
        let waiting: BTreeSet<_> = self
            .store
            .conflicts()
            .await?
            .into_iter()
            .map(|c| (c.kind, c.client))
            .collect();
        for draft in self.store.drafts().await? {
            if waiting.contains(&(draft.kind, draft.client)) {
                continue;
            }
            match self.push_draft(msp, &draft).await {
                Ok(PublishOutcome::Published) => summary.pushed += 1,
                Ok(PublishOutcome::Conflict) => summary.conflicts += 1,
                Err(e @ DeskError::Api(ApiError::Transport(_))) => return Err(e),
                Err(e) => summary.failed.push(format!(
                    "{} draft of {}: {e}",
                    draft.kind.as_str(),
                    draft.client
                )),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mspdesk_domain::ClientId;

    fn item(
        kind: ChangeKind,
        id: &str,
        client: Option<ClientId>,
        body: serde_json::Value,
    ) -> ChangeItem {
        ChangeItem {
            kind,
            id: id.to_owned(),
            client_id: client,
            op: ChangeOp::Upsert,
            body: Some(body),
        }
    }

    #[test]
    fn rows_must_belong_where_the_feed_says() {
        let msp = TenantId::new();
        let a = ClientId::new();
        let b = ClientId::new();
        let own = item(
            ChangeKind::Client,
            &a.to_string(),
            Some(a),
            serde_json::json!({"id": a}),
        );
        assert!(mirror_write(msp, &own).is_ok());
        // A client record filed under another client, or with another id in its body.
        let moved = item(
            ChangeKind::Client,
            &a.to_string(),
            Some(b),
            serde_json::json!({"id": a}),
        );
        assert!(matches!(
            mirror_write(msp, &moved),
            Err(DeskError::Foreign(_))
        ));
        let swapped = item(
            ChangeKind::Client,
            &a.to_string(),
            Some(a),
            serde_json::json!({"id": b}),
        );
        assert!(matches!(
            mirror_write(msp, &swapped),
            Err(DeskError::Foreign(_))
        ));
        // A catalog for another client; a server whose body is another server.
        let catalog = item(
            ChangeKind::Catalog,
            &a.to_string(),
            Some(b),
            serde_json::json!({}),
        );
        assert!(matches!(
            mirror_write(msp, &catalog),
            Err(DeskError::Foreign(_))
        ));
        let server = item(
            ChangeKind::Server,
            "s1",
            Some(a),
            serde_json::json!({"id": "s2"}),
        );
        assert!(matches!(
            mirror_write(msp, &server),
            Err(DeskError::Foreign(_))
        ));
        // The MSP's own plan filed under a client.
        let plan = item(
            ChangeKind::Plan,
            "p1",
            Some(a),
            serde_json::json!({"id": "p1"}),
        );
        assert!(matches!(
            mirror_write(msp, &plan),
            Err(DeskError::Foreign(_))
        ));
        let plan = item(
            ChangeKind::Plan,
            "p1",
            None,
            serde_json::json!({"id": "p1"}),
        );
        assert!(mirror_write(msp, &plan).is_ok());
    }
}
