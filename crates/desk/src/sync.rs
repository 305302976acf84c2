//! Sync: push the outbox and the drafts, then pull the MSP scope and every client's tenant
//! scope into the mirror. Progress is reported per step; a cancelled sync stops between (or
//! in the middle of) requests and leaves the store consistent, because every write to it is
//! one transaction.

use std::collections::BTreeSet;

use mspdesk_api::client::{ApiClient, ApiError};
use mspdesk_api::types::{Branding, Catalog, Client, ClientSummary, Server, User};
use mspdesk_domain::{ClientId, TenantId};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::drafts::PublishOutcome;
use crate::error::DeskError;
use crate::kinds::{MirrorKind, OutboxOp};
use crate::session::{cancellable, retry, Desk};
use crate::store::OutboxEntry;

/// Sync progress: `done` of `total` steps, and what is being done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub step: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Drafts and creates the server accepted.
    pub pushed: usize,
    /// Drafts refused as stale, now waiting for a decision.
    pub conflicts: usize,
    /// Pushes refused for another reason (kept, with the reason).
    pub failed: Vec<String>,
    pub clients: usize,
    /// Clients the server no longer has, removed from the mirror.
    pub removed_clients: usize,
    /// Notices written (drafts of removed clients).
    pub notices: usize,
    /// Rows in the local mirror after the pull.
    pub rows: i64,
}

/// Mirror rows keyed by id, with their version.
fn keyed<T>(
    items: &[T],
    key: impl Fn(&T) -> (String, Option<i64>),
) -> Vec<(String, &T, Option<i64>)> {
    items
        .iter()
        .map(|i| {
            let (id, version) = key(i);
            (id, i, version)
        })
        .collect()
}

/// A client record as a row of the client list (until the next pull brings the server's).
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

impl Desk {
    /// Pushes the outbox and the drafts, then pulls everything. `progress` is called at
    /// every step; `cancel` stops the sync (returning [`DeskError::Cancelled`]).
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

        let tenant = self.msp();
        let mut report =
            |done: usize, total: usize, step: String| progress(Progress { done, total, step });
        report(0, 4, "plans, prices, exchange rates and templates".into());
        cancellable(cancel, self.pull_msp_tables(&msp)).await?;

        report(1, 4, "clients".into());
        let summaries = cancellable(cancel, async {
            let mut all: Vec<ClientSummary> = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = retry(|| msp.list_clients(None, Some(500), cursor.as_deref())).await?;
                all.extend(page.items);
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break Ok::<_, DeskError>(all),
                }
            }
        })
        .await?;
        let (removed, notices) = self.forget_removed_clients(&summaries).await?;
        summary.removed_clients = removed;
        summary.notices = notices;
        self.store
            .replace_mirror(
                MirrorKind::ClientSummary,
                tenant,
                &keyed(&summaries, |c| (c.id.to_string(), Some(c.version))),
            )
            .await?;
        let total = 2 + summaries.len();
        for (i, s) in summaries.iter().enumerate() {
            if cancel.is_cancelled() {
                return Err(DeskError::Cancelled);
            }
            report(2 + i, total, s.company_name.clone());
            cancellable(cancel, async {
                let client = retry(|| msp.get_client(s.id)).await?;
                self.pull_client(&client).await
            })
            .await?;
        }
        self.store.mark_synced().await?;
        report(total, total, "done".into());
        summary.clients = summaries.len();
        summary.rows = self.store.mirror_rows().await?;
        Ok(summary)
    }

    async fn pull_msp_tables(&self, msp: &ApiClient) -> Result<(), DeskError> {
        let tenant = self.msp();
        let plans = retry(|| msp.plans()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::Plan,
                tenant,
                &keyed(&plans, |p| (p.id.to_string(), None)),
            )
            .await?;
        let prices = retry(|| msp.prices()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::Price,
                tenant,
                &keyed(&prices, |p| {
                    (format!("{}/{}", p.provider, p.server_type), None)
                }),
            )
            .await?;
        let fx = retry(|| msp.fx()).await?;
        self.store
            .replace_mirror(MirrorKind::Fx, tenant, &[("fx".to_owned(), &fx, None)])
            .await?;
        // The template library: the same for every client, readable with the MSP's token.
        let templates = retry(|| msp.templates()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::Template,
                tenant,
                &keyed(&templates, |t| (t.id.clone(), None)),
            )
            .await?;
        Ok(())
    }

    /// Clients in the mirror that the server no longer lists: their rows go, their drafts
    /// become notices, their tokens leave the keyring. Returns (clients removed, notices).
    async fn forget_removed_clients(
        &self,
        current: &[ClientSummary],
    ) -> Result<(usize, usize), DeskError> {
        let live: BTreeSet<ClientId> = current.iter().map(|c| c.id).collect();
        let mirrored: Vec<ClientSummary> = self
            .store
            .mirror_all(MirrorKind::ClientSummary, self.msp())
            .await?;
        let mut known: Vec<(ClientId, String)> = mirrored
            .into_iter()
            .map(|c| (c.id, c.company_name))
            .collect();
        // Drafts of clients the mirror never listed (e.g. created elsewhere, then deleted).
        for d in self.store.drafts().await? {
            if !known.iter().any(|(id, _)| *id == d.client) {
                known.push((d.client, d.client.to_string()));
            }
        }
        let (mut removed, mut notices) = (0, 0);
        for (id, name) in known.into_iter().filter(|(id, _)| !live.contains(id)) {
            notices += self.store.forget_client(self.msp(), id, &name).await?;
            self.drop_client_token(id).await?;
            removed += 1;
            tracing::info!(client = %id, "client deleted on the server; removed locally");
        }
        Ok((removed, notices))
    }

    /// Pulls one client's record and tenant scope.
    pub(crate) async fn pull_client(&self, client: &Client) -> Result<(), DeskError> {
        let api = self.client_api(client.id).await?;
        let tenant: TenantId = client.id.into();
        let servers: Vec<Server> = retry(|| api.servers()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::Server,
                tenant,
                &keyed(&servers, |s| (s.id.to_string(), None)),
            )
            .await?;
        let users: Vec<User> = retry(|| api.users()).await?.items;
        self.store
            .replace_mirror(
                MirrorKind::User,
                tenant,
                &keyed(&users, |u| (u.id.to_string(), None)),
            )
            .await?;
        let catalog: Catalog = retry(|| api.catalog()).await?;
        self.store
            .put_mirror(
                MirrorKind::Catalog,
                tenant,
                &tenant.to_string(),
                &catalog,
                Some(catalog.version),
            )
            .await?;
        let branding: Branding = retry(|| api.branding()).await?;
        self.store
            .put_mirror(
                MirrorKind::Branding,
                tenant,
                &tenant.to_string(),
                &branding,
                Some(branding.version),
            )
            .await?;
        self.mirror_client(client).await
    }

    /// Stores a client record the server returned.
    pub(crate) async fn mirror_client(&self, client: &Client) -> Result<(), DeskError> {
        let id = client.id.to_string();
        self.store
            .put_mirror(
                MirrorKind::Client,
                self.msp(),
                &id,
                client,
                Some(client.version),
            )
            .await?;
        let mut row = summary_of(client);
        if let Some(old) = self
            .store
            .mirror::<ClientSummary>(MirrorKind::ClientSummary, self.msp(), &id)
            .await?
        {
            row.monthly_total = old.monthly_total;
        }
        self.store
            .put_mirror(
                MirrorKind::ClientSummary,
                self.msp(),
                &id,
                &row,
                Some(row.version),
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
