//! The desk: sign-in, sync, drafts, conflicts and local reports over the store and the vault.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use mspdesk_api::client::{ApiClient, ApiError};
use mspdesk_api::types::{
    Branding, Catalog, Client, ClientSummary, CreateClient, FxTableBody, Plan, Price, QuotasInput,
    Server, UpdateBranding, UpdateCatalog, User,
};
use mspdesk_api::{FieldError, ProblemCode};
use mspdesk_domain::{
    billing_report, parse_currency, BillingError, BillingReport, ClientBillingInput, ClientId,
    FxTable, Money, Period, PricedInstance, TenantId,
};

use crate::store::{Account, Conflict, Draft, DraftKind, OutboxEntry, Store, StoreError};
use crate::vault::{SecretStore, Vault, VaultError};

/// The store's file name inside the data folder.
pub const STORE_FILE: &str = "desk.db";

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
    #[error("there is no conflict on {0} for this client")]
    NoConflict(String),
    #[error("{0}")]
    Billing(#[from] BillingError),
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sync progress: `done` of `total` steps, and what is being done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub step: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Drafts and creates the server accepted.
    pub pushed: usize,
    /// Drafts refused as stale, now waiting for a decision.
    pub conflicts: usize,
    /// Pushes refused for another reason (kept, with the reason).
    pub failed: Vec<String>,
    pub clients: usize,
    /// Rows in the local mirror after the pull.
    pub rows: i64,
}

/// How to settle a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Rebase the draft on the server's version and push it.
    KeepMine,
    /// Drop the draft; keep the server's value.
    TakeTheirs,
    /// Per field: true takes the draft's value, false the server's. Fields not named keep the
    /// server's value.
    PerField(BTreeMap<String, bool>),
}

/// Retries transient network failures a few times with growing pauses; answers from the
/// server (even errors) are returned at once.
async fn retry<T, F, Fut>(mut call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut pause = Duration::from_millis(200);
    for _ in 0..3 {
        match call().await {
            Err(ApiError::Transport(_)) => {
                tokio::time::sleep(pause).await;
                pause *= 3;
            }
            other => return other,
        }
    }
    call().await
}

/// Seconds since the epoch at which a JWT expires, read from its payload. (Only to decide
/// when to renew; the server verifies tokens.)
fn token_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()?
        .get("exp")?
        .as_i64()
}

fn fresh(token: &str) -> bool {
    token_expiry(token).is_some_and(|exp| exp > Utc::now().timestamp() + 60)
}

fn origin(server: &str) -> Result<String, DeskError> {
    let url = url::Url::parse(server)
        .map_err(|e| DeskError::Invalid(vec![FieldError::new("server", e)]))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(DeskError::Invalid(vec![FieldError::new(
            "server",
            "must be an http(s) URL such as https://cp.example.com",
        )]));
    }
    Ok(url.origin().ascii_serialization())
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    v: &serde_json::Value,
) -> Result<T, DeskError> {
    serde_json::from_value(v.clone())
        .map_err(|_| DeskError::Store(StoreError::Corrupt(what.to_owned())))
}

pub struct Desk {
    store: Store,
    vault: Vault,
    api: ApiClient,
    account: Account,
    msp: TenantId,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("server", &self.account.server)
            .finish()
    }
}

impl Desk {
    fn store_path(data_dir: &Path) -> PathBuf {
        data_dir.join(STORE_FILE)
    }

    /// Signs in: checks the keyring works, logs in, and keeps the session token in the vault.
    pub async fn login(
        data_dir: &Path,
        server: &str,
        email: &str,
        password: &str,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self, DeskError> {
        let origin = origin(server)?;
        let vault = Vault::new(secrets, &origin);
        vault.self_test()?;
        let api = ApiClient::new(&origin)?;
        let login = retry(|| api.login(email, password)).await?;
        let store = Store::open(&Self::store_path(data_dir)).await?;
        store
            .set_account(&origin, email, &login.tenant_id.to_string())
            .await?;
        vault.put(login.tenant_id, &login.token)?;
        tracing::info!(server = %origin, "signed in");
        Self::open(data_dir, vault.store_handle()).await
    }

    /// Opens the desk of the account signed in on this machine.
    pub async fn open(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self, DeskError> {
        let store = Store::open(&Self::store_path(data_dir)).await?;
        let account = store.account().await?.ok_or(DeskError::NotSignedIn)?;
        let msp: TenantId = account
            .msp_tenant
            .parse()
            .map_err(|_| StoreError::Corrupt("account".into()))?;
        let vault = Vault::new(secrets, &account.server);
        let api = ApiClient::new(&account.server)?;
        Ok(Self {
            store,
            vault,
            api,
            account,
            msp,
        })
    }

    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    #[must_use]
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Signs out: deletes every token of this server from the keyring and forgets the local
    /// data.
    pub async fn logout(self) -> Result<(), DeskError> {
        for client in self
            .store
            .mirror_all::<ClientSummary>("client_summary", &self.msp.to_string())
            .await?
        {
            self.vault.delete(client.id.into())?;
        }
        self.vault.delete(self.msp)?;
        self.store.clear().await?;
        Ok(())
    }

    fn msp_api(&self) -> Result<ApiClient, DeskError> {
        let token = self.vault.get(self.msp)?.ok_or(DeskError::NotSignedIn)?;
        if !fresh(&token) {
            return Err(DeskError::SessionExpired);
        }
        Ok(self.api.with_token(token))
    }

    /// A client-scope API, re-minting the client's token with the MSP token when it is
    /// missing or about to expire.
    async fn client_api(&self, client: ClientId) -> Result<ApiClient, DeskError> {
        if let Some(token) = self.vault.get(client.into())? {
            if fresh(&token) {
                return Ok(self.api.with_token(token));
            }
        }
        let msp = self.msp_api()?;
        let minted = retry(|| msp.client_token(client)).await?;
        self.vault.put(client.into(), &minted.token)?;
        Ok(self.api.with_token(minted.token))
    }

    // --- sync ----------------------------------------------------------------------------

    /// Pushes the outbox and drafts, then pulls the MSP scope and every client's tenant scope.
    pub async fn sync(&self, mut progress: impl FnMut(Progress)) -> Result<SyncSummary, DeskError> {
        let mut summary = SyncSummary::default();
        let msp = self.msp_api()?;
        self.push_outbox(&msp, &mut summary).await?;
        self.push_drafts(&msp, &mut summary).await?;

        let tenant = self.msp.to_string();
        let mut report =
            |done: usize, total: usize, step: String| progress(Progress { done, total, step });
        report(0, 4, "plans, prices and exchange rates".into());
        let plans = retry(|| msp.plans()).await?.items;
        self.store
            .replace_mirror(
                "plan",
                &tenant,
                &plans
                    .iter()
                    .map(|p| (p.id.to_string(), p, None))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let prices = retry(|| msp.prices()).await?.items;
        self.store
            .replace_mirror(
                "price",
                &tenant,
                &prices
                    .iter()
                    .map(|p| (format!("{}/{}", p.provider, p.server_type), p, None))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let fx = retry(|| msp.fx()).await?;
        self.store
            .replace_mirror("fx", &tenant, &[("fx".to_owned(), &fx, None)])
            .await?;

        report(1, 4, "clients".into());
        let mut summaries: Vec<ClientSummary> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = retry(|| msp.list_clients(None, Some(500), cursor.as_deref())).await?;
            summaries.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        self.store
            .replace_mirror(
                "client_summary",
                &tenant,
                &summaries
                    .iter()
                    .map(|c| (c.id.to_string(), c, Some(c.version)))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let total = 2 + summaries.len();
        let mut clients = Vec::new();
        for (i, summary) in summaries.iter().enumerate() {
            report(2 + i, total, summary.company_name.clone());
            let client = retry(|| msp.get_client(summary.id)).await?;
            self.pull_client(&client).await?;
            if i == 0 {
                // The template library is the same for every client.
                let api = self.client_api(client.id).await?;
                let templates = retry(|| api.templates()).await?.items;
                self.store
                    .replace_mirror(
                        "template",
                        &tenant,
                        &templates
                            .iter()
                            .map(|t| (t.id.clone(), t, None))
                            .collect::<Vec<_>>(),
                    )
                    .await?;
            }
            clients.push((client.id.to_string(), client.clone(), Some(client.version)));
        }
        self.store
            .replace_mirror("client", &tenant, &clients)
            .await?;
        self.store.mark_synced().await?;
        report(total, total, "done".into());
        summary.clients = summaries.len();
        summary.rows = self.store.mirror_rows().await?;
        Ok(summary)
    }

    async fn pull_client(&self, client: &Client) -> Result<(), DeskError> {
        let api = self.client_api(client.id).await?;
        let tenant = client.id.to_string();
        let servers: Vec<Server> = retry(|| api.servers()).await?.items;
        self.store
            .replace_mirror(
                "server",
                &tenant,
                &servers
                    .iter()
                    .map(|s| (s.id.to_string(), s, None))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let users: Vec<User> = retry(|| api.users()).await?.items;
        self.store
            .replace_mirror(
                "user",
                &tenant,
                &users
                    .iter()
                    .map(|u| (u.id.to_string(), u, None))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let catalog: Catalog = retry(|| api.catalog()).await?;
        self.store
            .replace_mirror(
                "catalog",
                &tenant,
                &[(tenant.clone(), &catalog, Some(catalog.version))],
            )
            .await?;
        let branding: Branding = retry(|| api.branding()).await?;
        self.store
            .replace_mirror(
                "branding",
                &tenant,
                &[(tenant.clone(), &branding, Some(branding.version))],
            )
            .await?;
        Ok(())
    }

    async fn push_outbox(
        &self,
        msp: &ApiClient,
        summary: &mut SyncSummary,
    ) -> Result<(), DeskError> {
        for entry in self.store.outbox().await? {
            match self.send(msp, &entry).await {
                Ok(()) => {
                    self.store.outbox_done(&entry.id).await?;
                    summary.pushed += 1;
                }
                // Unreachable: stop here; everything stays queued for the next sync.
                Err(DeskError::Api(e @ ApiError::Transport(_))) => return Err(DeskError::Api(e)),
                Err(e) => {
                    self.store.outbox_failed(&entry.id, &e.to_string()).await?;
                    summary.failed.push(format!("{}: {e}", entry.kind));
                }
            }
        }
        Ok(())
    }

    async fn send(&self, msp: &ApiClient, entry: &OutboxEntry) -> Result<(), DeskError> {
        match entry.kind.as_str() {
            "client.create" => {
                let body: CreateClient = from_json("outbox", &entry.body)?;
                // The same key on every attempt: a retry after a lost response creates nothing.
                let created =
                    retry(|| msp.create_client(&body, Some(&entry.idempotency_key))).await?;
                self.store
                    .put_mirror(
                        "client",
                        &self.msp.to_string(),
                        &created.id.to_string(),
                        &created,
                        Some(created.version),
                    )
                    .await?;
                Ok(())
            }
            other => Err(DeskError::Store(StoreError::Corrupt(format!(
                "outbox kind {other}"
            )))),
        }
    }

    async fn push_drafts(
        &self,
        msp: &ApiClient,
        summary: &mut SyncSummary,
    ) -> Result<(), DeskError> {
        let waiting: Vec<(DraftKind, String)> = self
            .store
            .conflicts()
            .await?
            .into_iter()
            .map(|c| (c.kind, c.tenant))
            .collect();
        for draft in self.store.drafts().await? {
            if waiting.contains(&(draft.kind, draft.tenant.clone())) {
                continue;
            }
            match self.push_draft(msp, &draft).await {
                Ok(()) => summary.pushed += 1,
                Err(DeskError::Api(ref e)) if e.code() == Some(ProblemCode::VersionConflict) => {
                    self.record_conflict(msp, &draft).await?;
                    summary.conflicts += 1;
                }
                Err(DeskError::Api(e @ ApiError::Transport(_))) => return Err(DeskError::Api(e)),
                Err(e) => summary.failed.push(format!(
                    "{} draft of {}: {e}",
                    draft.kind.as_str(),
                    draft.tenant
                )),
            }
        }
        Ok(())
    }

    /// Sends one draft with `If-Match: base_version`; on success the draft leaves the store
    /// and the mirror takes the server's answer.
    async fn push_draft(&self, msp: &ApiClient, draft: &Draft) -> Result<(), DeskError> {
        let client: ClientId = draft
            .tenant
            .parse()
            .map_err(|_| StoreError::Corrupt("draft".into()))?;
        match draft.kind {
            DraftKind::Quotas => {
                let body: QuotasInput = from_json("draft", &draft.body)?;
                let saved = retry(|| msp.set_quotas(client, &body, draft.base_version)).await?;
                self.store
                    .put_mirror(
                        "client",
                        &self.msp.to_string(),
                        &draft.tenant,
                        &saved,
                        Some(saved.version),
                    )
                    .await?;
            }
            DraftKind::Branding => {
                let api = self.client_api(client).await?;
                let body: UpdateBranding = from_json("draft", &draft.body)?;
                let saved = retry(|| api.set_branding(&body, draft.base_version)).await?;
                self.store
                    .put_mirror(
                        "branding",
                        &draft.tenant,
                        &draft.tenant,
                        &saved,
                        Some(saved.version),
                    )
                    .await?;
            }
            DraftKind::Catalog => {
                let api = self.client_api(client).await?;
                let body: UpdateCatalog = from_json("draft", &draft.body)?;
                let saved = retry(|| api.set_catalog(&body, draft.base_version)).await?;
                self.store
                    .put_mirror(
                        "catalog",
                        &draft.tenant,
                        &draft.tenant,
                        &saved,
                        Some(saved.version),
                    )
                    .await?;
            }
        }
        self.store.delete_draft(draft.kind, &draft.tenant).await?;
        Ok(())
    }

    /// The server's current value of what a draft changes, in the draft's shape, and its
    /// version.
    async fn server_side(
        &self,
        msp: &ApiClient,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<(serde_json::Value, i64), DeskError> {
        Ok(match kind {
            DraftKind::Quotas => {
                let c = retry(|| msp.get_client(client)).await?;
                (to_json(&QuotasInput::from(c.quotas)), c.version)
            }
            DraftKind::Branding => {
                let api = self.client_api(client).await?;
                let b = retry(|| api.branding()).await?;
                let version = b.version;
                (branding_as_update(&b), version)
            }
            DraftKind::Catalog => {
                let api = self.client_api(client).await?;
                let c = retry(|| api.catalog()).await?;
                (
                    to_json(&UpdateCatalog {
                        mode: c.mode.as_str().to_owned(),
                        enabled: c.enabled,
                    }),
                    c.version,
                )
            }
        })
    }

    async fn record_conflict(&self, msp: &ApiClient, draft: &Draft) -> Result<(), DeskError> {
        let client: ClientId = draft
            .tenant
            .parse()
            .map_err(|_| StoreError::Corrupt("draft".into()))?;
        let (server, server_version) = self.server_side(msp, draft.kind, client).await?;
        self.store
            .record_conflict(&Conflict {
                kind: draft.kind,
                tenant: draft.tenant.clone(),
                draft: draft.body.clone(),
                server,
                server_version,
            })
            .await?;
        Ok(())
    }

    pub async fn conflicts(&self) -> Result<Vec<Conflict>, DeskError> {
        Ok(self.store.conflicts().await?)
    }

    /// Settles a conflict as asked, then pushes the result when there is one to push.
    pub async fn resolve(
        &self,
        kind: DraftKind,
        client: ClientId,
        resolution: &Resolution,
    ) -> Result<(), DeskError> {
        let tenant = client.to_string();
        let conflict = self
            .store
            .conflicts()
            .await?
            .into_iter()
            .find(|c| c.kind == kind && c.tenant == tenant)
            .ok_or_else(|| DeskError::NoConflict(kind.as_str().to_owned()))?;
        let merged = match resolution {
            Resolution::TakeTheirs => None,
            Resolution::KeepMine => Some(conflict.draft.clone()),
            Resolution::PerField(choices) => {
                let mut merged = conflict.server.clone();
                if let (Some(target), Some(mine)) =
                    (merged.as_object_mut(), conflict.draft.as_object())
                {
                    for (field, take_mine) in choices {
                        if !mine.contains_key(field) && !target.contains_key(field) {
                            return Err(DeskError::Invalid(vec![FieldError::new(
                                field.clone(),
                                "is not a field of this draft",
                            )]));
                        }
                        if *take_mine {
                            target.insert(
                                field.clone(),
                                mine.get(field).cloned().unwrap_or(serde_json::Value::Null),
                            );
                        }
                    }
                }
                Some(merged)
            }
        };
        match merged {
            None => {
                self.store.delete_draft(kind, &tenant).await?;
                self.store.delete_conflict(kind, &tenant).await?;
                // Refresh the mirror with the server's value.
                let msp = self.msp_api()?;
                let client_record = retry(|| msp.get_client(client)).await?;
                self.pull_client(&client_record).await?;
                self.store
                    .put_mirror(
                        "client",
                        &self.msp.to_string(),
                        &tenant,
                        &client_record,
                        Some(client_record.version),
                    )
                    .await?;
            }
            Some(body) => {
                self.store
                    .save_draft(kind, &tenant, &body, conflict.server_version)
                    .await?;
                self.store.delete_conflict(kind, &tenant).await?;
                let msp = self.msp_api()?;
                let draft = self
                    .store
                    .draft(kind, &tenant)
                    .await?
                    .ok_or_else(|| DeskError::NoConflict(kind.as_str().into()))?;
                match self.push_draft(&msp, &draft).await {
                    Err(DeskError::Api(ref e))
                        if e.code() == Some(ProblemCode::VersionConflict) =>
                    {
                        self.record_conflict(&msp, &draft).await?;
                    }
                    other => other?,
                }
            }
        }
        Ok(())
    }

    // --- local reads and drafts -----------------------------------------------------------

    /// The synced client list (works offline).
    pub async fn clients(&self) -> Result<Vec<ClientSummary>, DeskError> {
        Ok(self
            .store
            .mirror_all("client_summary", &self.msp.to_string())
            .await?)
    }

    /// A client by id, or by company name (case-insensitive, exact, or a unique prefix).
    pub async fn find_client(&self, needle: &str) -> Result<ClientSummary, DeskError> {
        let clients = self.clients().await?;
        let n = needle.trim().to_lowercase();
        if let Some(c) = clients
            .iter()
            .find(|c| c.id.to_string() == n || c.company_name.to_lowercase() == n)
        {
            return Ok(c.clone());
        }
        let mut prefixed = clients
            .iter()
            .filter(|c| c.company_name.to_lowercase().starts_with(&n));
        match (prefixed.next(), prefixed.next()) {
            (Some(one), None) => Ok(one.clone()),
            _ => Err(DeskError::UnknownClient(needle.to_owned())),
        }
    }

    /// Queues a new client; it is created on the server at the next sync (or now, if `push`).
    pub async fn create_client(&self, body: CreateClient) -> Result<String, DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        Ok(self
            .store
            .enqueue("client.create", &self.msp.to_string(), &to_json(&body))
            .await?)
    }

    pub async fn plans(&self) -> Result<Vec<Plan>, DeskError> {
        Ok(self.store.mirror_all("plan", &self.msp.to_string()).await?)
    }

    pub async fn templates(&self) -> Result<Vec<mspdesk_api::types::TemplateInfo>, DeskError> {
        Ok(self
            .store
            .mirror_all("template", &self.msp.to_string())
            .await?)
    }

    pub async fn prices(&self) -> Result<Vec<Price>, DeskError> {
        Ok(self
            .store
            .mirror_all("price", &self.msp.to_string())
            .await?)
    }

    /// The branding a client would have: its draft if there is one, else the synced one.
    pub async fn branding(
        &self,
        client: ClientId,
    ) -> Result<(UpdateBranding, Option<i64>), DeskError> {
        let tenant = client.to_string();
        if let Some(d) = self.store.draft(DraftKind::Branding, &tenant).await? {
            return Ok((from_json("draft", &d.body)?, Some(d.base_version)));
        }
        let synced: Branding = self
            .store
            .mirror("branding", &tenant, &tenant)
            .await?
            .ok_or_else(|| DeskError::NotSynced("this client's branding".into()))?;
        Ok((from_json("branding", &branding_as_update(&synced))?, None))
    }

    /// Saves a branding draft (validated now, pushed at the next sync). The draft keeps the
    /// version it was first based on.
    pub async fn save_branding_draft(
        &self,
        client: ClientId,
        body: &UpdateBranding,
    ) -> Result<(), DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let tenant = client.to_string();
        let base = self
            .base_version(DraftKind::Branding, &tenant, "branding")
            .await?;
        self.store
            .save_draft(DraftKind::Branding, &tenant, &to_json(body), base)
            .await?;
        Ok(())
    }

    /// Saves a quotas draft.
    pub async fn save_quotas_draft(
        &self,
        client: ClientId,
        body: &QuotasInput,
    ) -> Result<(), DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let tenant = client.to_string();
        let base = match self.store.draft(DraftKind::Quotas, &tenant).await? {
            Some(d) => d.base_version,
            None => {
                let c: Client = self
                    .store
                    .mirror("client", &self.msp.to_string(), &tenant)
                    .await?
                    .ok_or_else(|| DeskError::NotSynced("this client".into()))?;
                c.version
            }
        };
        self.store
            .save_draft(DraftKind::Quotas, &tenant, &to_json(body), base)
            .await?;
        Ok(())
    }

    /// The catalog a client would have (draft or synced), as an update body.
    pub async fn catalog(&self, client: ClientId) -> Result<UpdateCatalog, DeskError> {
        let tenant = client.to_string();
        if let Some(d) = self.store.draft(DraftKind::Catalog, &tenant).await? {
            return from_json("draft", &d.body);
        }
        let synced: Catalog = self
            .store
            .mirror("catalog", &tenant, &tenant)
            .await?
            .ok_or_else(|| DeskError::NotSynced("this client's catalog".into()))?;
        Ok(UpdateCatalog {
            mode: synced.mode.as_str().to_owned(),
            enabled: synced.enabled,
        })
    }

    /// Saves a catalog draft.
    pub async fn save_catalog_draft(
        &self,
        client: ClientId,
        body: &UpdateCatalog,
    ) -> Result<(), DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let tenant = client.to_string();
        let base = self
            .base_version(DraftKind::Catalog, &tenant, "catalog")
            .await?;
        self.store
            .save_draft(DraftKind::Catalog, &tenant, &to_json(body), base)
            .await?;
        Ok(())
    }

    async fn base_version(
        &self,
        kind: DraftKind,
        tenant: &str,
        mirror_kind: &str,
    ) -> Result<i64, DeskError> {
        if let Some(d) = self.store.draft(kind, tenant).await? {
            return Ok(d.base_version);
        }
        let synced: Option<serde_json::Value> =
            self.store.mirror(mirror_kind, tenant, tenant).await?;
        synced
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64))
            .ok_or_else(|| DeskError::NotSynced(format!("this client's {mirror_kind}")))
    }

    /// A billing report computed from the synced data (works offline).
    pub async fn report(
        &self,
        period: Period,
        client: Option<ClientId>,
        now: DateTime<Utc>,
    ) -> Result<BillingReport, DeskError> {
        let msp = self.msp.to_string();
        let fx_body: FxTableBody = self
            .store
            .mirror("fx", &msp, "fx")
            .await?
            .ok_or_else(|| DeskError::NotSynced("exchange rates".into()))?;
        let base =
            parse_currency(&fx_body.currency).map_err(|_| StoreError::Corrupt("fx".into()))?;
        let fx = fx_body
            .rates
            .iter()
            .filter_map(|r| Some((parse_currency(&r.currency).ok()?, r.rate)))
            .fold(FxTable::new(base), |t, (c, r)| t.with_rate(c, r));
        let plans = self.plans().await?;
        let mut inputs = Vec::new();
        let mut clients: Vec<Client> = self.store.mirror_all("client", &msp).await?;
        clients.sort_by_key(|c| c.company_name.to_lowercase());
        for c in clients
            .into_iter()
            .filter(|c| client.is_none_or(|id| id == c.id))
        {
            let plan = plans
                .iter()
                .find(|p| p.id == c.plan_id)
                .ok_or_else(|| DeskError::NotSynced(format!("the plan of {}", c.company_name)))?;
            let fee_currency =
                parse_currency(&plan.currency).map_err(|_| StoreError::Corrupt("plan".into()))?;
            let servers: Vec<Server> = self.store.mirror_all("server", &c.id.to_string()).await?;
            let instances = servers
                .into_iter()
                .map(|s| {
                    Ok(PricedInstance {
                        id: s.id,
                        name: s.name,
                        provider: s.provider,
                        server_type: s.server_type,
                        hourly: s.price.hourly,
                        monthly: s.price.monthly,
                        currency: parse_currency(&s.price.currency)
                            .map_err(|_| StoreError::Corrupt("server".into()))?,
                        created_at: s.created_at,
                        deleted_at: s.deleted_at,
                    })
                })
                .collect::<Result<Vec<_>, DeskError>>()?;
            inputs.push(ClientBillingInput {
                client_id: c.id.as_uuid(),
                company_name: c.company_name,
                plan_name: c.plan_name,
                license_fee: Money::new(plan.license_fee_per_instance, fee_currency),
                instances,
            });
        }
        if let Some(id) = client {
            if inputs.is_empty() {
                return Err(DeskError::UnknownClient(id.to_string()));
            }
        }
        Ok(billing_report(&inputs, period, now, &fx)?)
    }
}

/// A synced branding in the shape of a branding update.
fn branding_as_update(b: &Branding) -> serde_json::Value {
    to_json(&UpdateBranding {
        company_name: b.company_name.clone(),
        logo_url: b.logo_url.clone(),
        favicon_url: b.favicon_url.clone(),
        primary_color: b.primary_color.clone(),
        secondary_color: b.secondary_color.clone(),
        accent_color: b.accent_color.clone(),
        custom_domain: b.custom_domain.clone(),
        custom_css: b.custom_css.clone(),
    })
}
