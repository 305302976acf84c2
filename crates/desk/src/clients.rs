//! Clients: the list (search, sort, filter, month-to-date totals), one client's detail, and
//! creating, editing and deleting clients. Reads come from the mirror, so they work offline;
//! creates are queued in the outbox and sent at once when the server is reachable; edits and
//! deletes need the server.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mspdesk_api::types::{
    AuditEntry, Client, ClientSummary, CreateClient, Invitation, Plan, Price, Server, TemplateInfo,
    UpdateBranding, UpdateCatalog, UpdateClient, User, UserState,
};
use mspdesk_domain::{
    billing_report, company_order_key, fold, ClientId, Compliance, ComplianceStatus, Money, Period,
    TenantId,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{invalid, DeskError};
use crate::kinds::{DraftKind, MirrorKind, OutboxOp};
use crate::session::{retry, Desk};
use crate::store::{Conflict, Draft, Notice};
use crate::sync::summary_of;
use mspdesk_api::ProblemCode;
use tokio_util::sync::CancellationToken;

/// A column of the client list to sort by (the seed's columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientSort {
    #[default]
    CompanyName,
    Servers,
    Users,
    Plan,
    Compliance,
    MonthlyTotal,
}

impl ClientSort {
    pub const ALL: [ClientSort; 6] = [
        ClientSort::CompanyName,
        ClientSort::Servers,
        ClientSort::Users,
        ClientSort::Plan,
        ClientSort::Compliance,
        ClientSort::MonthlyTotal,
    ];
}

/// What the client list shows: a search, a sort, and filters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientQuery {
    /// Matches the company name, contact e-mail, plan name or id, folded as the domain folds
    /// text (`fold`: "lodz" finds "Łódź").
    pub search: Option<String>,
    pub sort: ClientSort,
    pub descending: bool,
    pub compliance: Option<ComplianceStatus>,
    pub plan: Option<Uuid>,
    /// Only clients with at least one draft.
    pub has_drafts: bool,
    /// Only clients with at least one conflict.
    pub has_conflicts: bool,
}

/// Where a row stands in each column's ascending order (0 first; ties broken by the company
/// order, so no two rows share a place). The window sorts by these and compares no names or
/// amounts of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientOrder {
    pub company_name: u32,
    pub servers: u32,
    pub users: u32,
    pub plan: u32,
    pub compliance: u32,
    pub monthly_total: u32,
}

impl ClientOrder {
    #[must_use]
    pub const fn of(&self, sort: ClientSort) -> u32 {
        match sort {
            ClientSort::CompanyName => self.company_name,
            ClientSort::Servers => self.servers,
            ClientSort::Users => self.users,
            ClientSort::Plan => self.plan,
            ClientSort::Compliance => self.compliance,
            ClientSort::MonthlyTotal => self.monthly_total,
        }
    }

    fn set(&mut self, sort: ClientSort, place: u32) {
        let slot = match sort {
            ClientSort::CompanyName => &mut self.company_name,
            ClientSort::Servers => &mut self.servers,
            ClientSort::Users => &mut self.users,
            ClientSort::Plan => &mut self.plan,
            ClientSort::Compliance => &mut self.compliance,
            ClientSort::MonthlyTotal => &mut self.monthly_total,
        };
        *slot = place;
    }
}

/// A row of the client list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientRow {
    pub id: ClientId,
    pub company_name: String,
    pub contact_email: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub server_count: u64,
    pub user_count: u64,
    pub compliance: Compliance,
    /// The month to date in the billing currency, computed from the mirror now; null when it
    /// cannot be computed (nothing synced, or a missing exchange rate).
    pub monthly_total: Option<Money>,
    pub drafts: Vec<DraftKind>,
    pub conflicts: Vec<DraftKind>,
    /// This row's place in each column's order.
    pub order: ClientOrder,
    /// The company name, contact e-mail, plan name and id, folded (`fold`) and joined: a
    /// search matches when this contains the folded search (`search_key`).
    pub search_text: String,
}

/// A search as the client list matches it: trimmed and folded; empty matches everything.
#[must_use]
pub fn search_key(search: &str) -> String {
    fold(search.trim())
}

/// One client, as it would be with its drafts applied, plus what is pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientDetail {
    /// The synced record (quotas as the server has them).
    pub client: Client,
    /// The quotas as drafted, else as synced.
    pub quotas: mspdesk_api::types::QuotasInput,
    /// Compliance of `usage` against `quotas`.
    pub compliance: Compliance,
    pub servers: Vec<Server>,
    pub users: Vec<User>,
    /// The catalog as drafted, else as synced.
    pub catalog: UpdateCatalog,
    /// The branding as drafted, else as synced.
    pub branding: UpdateBranding,
    pub drafts: Vec<Draft>,
    pub conflicts: Vec<Conflict>,
    /// The month to date in the billing currency, as in the client list (null when it cannot
    /// be computed).
    pub monthly_total: Option<Money>,
}

/// A create waiting in the outbox.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedClient {
    pub id: Uuid,
    pub company_name: String,
    pub contact_email: String,
    /// Sends tried so far, and why the last one failed.
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The company name and contact e-mail, folded, as [`ClientRow::search_text`].
    pub search_text: String,
}

/// A definite "no" from the server (a 4xx other than a timeout or a throttle): retrying the
/// same request cannot succeed.
pub(crate) fn is_refusal(e: &DeskError) -> bool {
    match e {
        DeskError::Api(api) => api
            .problem()
            .is_some_and(|p| (400..500).contains(&p.status) && p.status != 408 && p.status != 429),
        _ => false,
    }
}

/// How a create ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "client", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CreateOutcome {
    /// The server created it.
    Created(Box<Client>),
    /// The server is unreachable: it waits in the outbox for the next sync.
    Queued,
}

/// Whether a client record already carries every change asked for (compared after the same
/// validation the server applies).
fn holds_changes(current: &Client, changes: &UpdateClient) -> bool {
    let Ok(wanted) = changes.validate() else {
        return false;
    };
    wanted
        .company_name
        .is_none_or(|n| n.as_str() == current.company_name)
        && wanted
            .contact_email
            .is_none_or(|e| e.as_str() == current.contact_email)
        && wanted.plan_id.is_none_or(|p| p == current.plan_id)
}

impl ClientQuery {
    fn matches(&self, row: &ClientRow) -> bool {
        let needle = search_key(self.search.as_deref().unwrap_or_default());
        row.search_text.contains(&needle)
            && self.compliance.is_none_or(|c| row.compliance.status == c)
            && self.plan.is_none_or(|p| row.plan_id == p)
            && (!self.has_drafts || !row.drafts.is_empty())
            && (!self.has_conflicts || !row.conflicts.is_empty())
    }

    /// Sorts rows by their place in the asked column's order, reversed when descending.
    fn sort(&self, mut rows: Vec<ClientRow>) -> Vec<ClientRow> {
        rows.sort_by_key(|r| r.order.of(self.sort));
        if self.descending {
            rows.reverse();
        }
        rows
    }
}

/// The order of a column before the company order breaks its ties.
fn column_order(sort: ClientSort, a: &ClientRow, b: &ClientRow) -> Ordering {
    match sort {
        ClientSort::CompanyName => Ordering::Equal,
        ClientSort::Servers => a.server_count.cmp(&b.server_count),
        ClientSort::Users => a.user_count.cmp(&b.user_count),
        ClientSort::Plan => fold(&a.plan_name).cmp(&fold(&b.plan_name)),
        ClientSort::Compliance => a
            .compliance
            .status
            .severity()
            .cmp(&b.compliance.status.severity()),
        // Unknown totals sort before every known one.
        ClientSort::MonthlyTotal => a
            .monthly_total
            .map(|m| m.amount())
            .cmp(&b.monthly_total.map(|m| m.amount())),
    }
}

/// Fills every row's place in each column's order.
fn place_rows(rows: &mut [ClientRow]) {
    let keys: Vec<_> = rows
        .iter()
        .map(|r| company_order_key(&r.company_name, r.id.as_uuid()))
        .collect();
    let mut by_company: Vec<usize> = (0..rows.len()).collect();
    by_company.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    for sort in ClientSort::ALL {
        let mut order = by_company.clone();
        // Stable: equal columns keep the company order.
        order.sort_by(|&a, &b| column_order(sort, &rows[a], &rows[b]));
        for (place, &i) in order.iter().enumerate() {
            rows[i]
                .order
                .set(sort, u32::try_from(place).unwrap_or(u32::MAX));
        }
    }
}

fn search_text(s: &ClientSummary) -> String {
    [
        fold(&s.company_name),
        fold(&s.contact_email),
        fold(&s.plan_name),
        s.id.to_string(),
    ]
    .join("\n")
}

impl Desk {
    /// The client list from the mirror (works offline), searched, filtered and sorted.
    #[tracing::instrument(skip(self), err)]
    pub async fn list_clients(&self, query: &ClientQuery) -> Result<Vec<ClientRow>, DeskError> {
        self.list_clients_at(query, Utc::now()).await
    }

    /// [`Desk::list_clients`] with month-to-date totals as of `now`.
    pub async fn list_clients_at(
        &self,
        query: &ClientQuery,
        now: DateTime<Utc>,
    ) -> Result<Vec<ClientRow>, DeskError> {
        let records: Vec<Client> = self
            .store
            .mirror_all(MirrorKind::Client, self.msp())
            .await?;
        let mut drafts: BTreeMap<ClientId, Vec<DraftKind>> = BTreeMap::new();
        for d in self.store.drafts().await? {
            drafts.entry(d.client).or_default().push(d.kind);
        }
        let mut conflicts: BTreeMap<ClientId, Vec<DraftKind>> = BTreeMap::new();
        for c in self.store.conflicts().await? {
            conflicts.entry(c.client).or_default().push(c.kind);
        }
        let totals = self.month_to_date(None, now).await;
        let rows: Vec<ClientRow> = records
            .iter()
            .map(summary_of)
            .map(|s| {
                let mut d = drafts.remove(&s.id).unwrap_or_default();
                d.sort();
                let mut c = conflicts.remove(&s.id).unwrap_or_default();
                c.sort();
                ClientRow {
                    search_text: search_text(&s),
                    order: ClientOrder::default(),
                    monthly_total: totals.as_ref().and_then(|t| t.get(&s.id).copied()),
                    id: s.id,
                    company_name: s.company_name,
                    contact_email: s.contact_email,
                    plan_id: s.plan_id,
                    plan_name: s.plan_name,
                    server_count: s.server_count,
                    user_count: s.user_count,
                    compliance: s.compliance,
                    drafts: d,
                    conflicts: c,
                }
            })
            .filter(|r| query.matches(r))
            .collect();
        let mut rows = rows;
        place_rows(&mut rows);
        Ok(query.sort(rows))
    }

    /// Every client's month-to-date total from the mirror, or None when it cannot be
    /// computed (nothing synced, or a missing exchange rate).
    async fn month_to_date(
        &self,
        only: Option<ClientId>,
        now: DateTime<Utc>,
    ) -> Option<BTreeMap<ClientId, Money>> {
        let (fx, inputs) = self.billing_inputs(only).await.ok()?;
        let report = billing_report(&inputs, Period::containing(now), now, &fx).ok()?;
        let currency = report.currency;
        Some(
            report
                .clients
                .iter()
                .filter_map(|c| {
                    Some((
                        ClientId::try_from(c.client_id).ok()?,
                        Money::new(c.total, currency),
                    ))
                })
                .collect(),
        )
    }

    /// The synced clients as rows of the server's client list (works offline), with
    /// month-to-date totals computed from the mirror.
    pub async fn clients(&self) -> Result<Vec<ClientSummary>, DeskError> {
        let records: Vec<Client> = self
            .store
            .mirror_all(MirrorKind::Client, self.msp())
            .await?;
        let totals = self.month_to_date(None, Utc::now()).await;
        Ok(records
            .iter()
            .map(|c| ClientSummary {
                monthly_total: totals.as_ref().and_then(|t| t.get(&c.id).copied()),
                ..summary_of(c)
            })
            .collect())
    }

    /// A client by id, or by company name (case-insensitive, exact, or a unique prefix).
    pub async fn find_client(&self, needle: &str) -> Result<ClientSummary, DeskError> {
        let records: Vec<Client> = self
            .store
            .mirror_all(MirrorKind::Client, self.msp())
            .await?;
        let clients: Vec<ClientSummary> = records.iter().map(summary_of).collect();
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

    /// One client with its servers, users, catalog, branding, drafts and conflicts.
    #[tracing::instrument(skip(self), err)]
    pub async fn client_detail(&self, client: ClientId) -> Result<ClientDetail, DeskError> {
        let record = self.synced_client(client).await?;
        let tenant: TenantId = client.into();
        let quotas = self.quotas(client).await?;
        let compliance = match quotas.validate() {
            Ok(q) => Compliance::evaluate(&q, &record.usage.into()),
            Err(_) => record.compliance.clone(),
        };
        let (branding, _) = self.branding(client).await?;
        let monthly_total = self
            .month_to_date(Some(client), Utc::now())
            .await
            .and_then(|t| t.get(&client).copied());
        Ok(ClientDetail {
            monthly_total,
            quotas,
            compliance,
            servers: self.store.mirror_all(MirrorKind::Server, tenant).await?,
            users: self.store.mirror_all(MirrorKind::User, tenant).await?,
            catalog: self.catalog(client).await?,
            branding,
            drafts: self
                .store
                .drafts()
                .await?
                .into_iter()
                .filter(|d| d.client == client)
                .collect(),
            conflicts: self
                .store
                .conflicts()
                .await?
                .into_iter()
                .filter(|c| c.client == client)
                .collect(),
            client: record,
        })
    }

    pub async fn plans(&self) -> Result<Vec<Plan>, DeskError> {
        Ok(self.store.mirror_all(MirrorKind::Plan, self.msp()).await?)
    }

    /// A plan by name (case-insensitive), or the first plan (the cheapest) when no name is
    /// given.
    pub async fn plan_named(&self, name: Option<&str>) -> Result<Plan, DeskError> {
        let plans = self.plans().await?;
        match name {
            Some(name) => plans
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
                .cloned()
                .ok_or_else(|| {
                    invalid(
                        "plan",
                        format!(
                            "no plan named {name:?}; plans: {}",
                            plans
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                }),
            None => plans
                .first()
                .cloned()
                .ok_or_else(|| DeskError::NotSynced("the plans".into())),
        }
    }

    pub async fn templates(&self) -> Result<Vec<TemplateInfo>, DeskError> {
        Ok(self
            .store
            .mirror_all(MirrorKind::Template, self.msp())
            .await?)
    }

    pub async fn prices(&self) -> Result<Vec<Price>, DeskError> {
        Ok(self.store.mirror_all(MirrorKind::Price, self.msp()).await?)
    }

    /// Notices to show the user (e.g. drafts of clients deleted on the server).
    pub async fn notices(&self) -> Result<Vec<Notice>, DeskError> {
        Ok(self.store.notices().await?)
    }

    pub async fn dismiss_notice(&self, id: Uuid) -> Result<(), DeskError> {
        self.store.dismiss_notice(id).await?;
        Ok(())
    }

    /// Queues a new client in the outbox; it is created on the server at the next sync.
    pub async fn queue_client(&self, body: CreateClient) -> Result<Uuid, DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let plans = self.plans().await?;
        if !plans.is_empty() && !plans.iter().any(|p| p.id.to_string() == body.plan_id) {
            return Err(invalid("plan_id", "is not one of this MSP's plans"));
        }
        Ok(self
            .store
            .enqueue(&OutboxOp::CreateClient(body), self.msp())
            .await?)
    }

    /// Creates a client: queued first (so nothing is lost), then sent at once; when the
    /// server is unreachable it stays queued for the next sync. A refusal from the server
    /// (a duplicate, an unknown plan) is returned as the error and nothing stays queued.
    #[tracing::instrument(skip(self, body), err)]
    pub async fn create_client(&self, body: CreateClient) -> Result<CreateOutcome, DeskError> {
        let msp = self.msp_api()?;
        let id = self.queue_client(body).await?;
        let entry = self
            .store
            .outbox()
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| DeskError::Store(crate::store::StoreError::Corrupt("outbox".into())))?;
        match self.send(&msp, &entry).await {
            Ok(client) => {
                self.store.outbox_done(id).await?;
                // Bring its catalog and branding (created with it) into the mirror too; if
                // that fails, the next sync does it.
                let mut summary = crate::sync::SyncSummary::default();
                if let Err(e) = self
                    .pull_changes(&msp, &mut summary, &mut |_| {}, &CancellationToken::new())
                    .await
                {
                    tracing::warn!(error = %e, "pulling after a create failed; the next sync will");
                }
                Ok(CreateOutcome::Created(Box::new(client)))
            }
            // A definite refusal (a quota, a duplicate, a bad plan): nothing to retry.
            Err(e) if is_refusal(&e) => {
                self.store.outbox_done(id).await?;
                Err(e)
            }
            // Unreachable, or an answer that says nothing definite (a 5xx from a proxy after
            // the server committed, say): it stays queued and the next sync retries it with
            // the same idempotency key, which cannot create twice.
            Err(e @ DeskError::Api(_)) => {
                self.store.outbox_failed(id, &e.to_string()).await?;
                Ok(CreateOutcome::Queued)
            }
            Err(e) => Err(e),
        }
    }

    /// Creates waiting in the outbox (offline, or refused and kept with the reason).
    pub async fn queued_clients(&self) -> Result<Vec<QueuedClient>, DeskError> {
        Ok(self
            .store
            .outbox()
            .await?
            .into_iter()
            .map(|e| match e.op {
                OutboxOp::CreateClient(body) => QueuedClient {
                    id: e.id,
                    search_text: [fold(&body.company_name), fold(&body.contact_email)].join("\n"),
                    company_name: body.company_name,
                    contact_email: body.contact_email,
                    attempts: e.attempts,
                    last_error: e.last_error,
                },
            })
            .collect())
    }

    /// Drops a queued create before it is sent.
    pub async fn discard_queued(&self, id: Uuid) -> Result<(), DeskError> {
        if !self.store.outbox().await?.iter().any(|e| e.id == id) {
            return Err(DeskError::UnknownClient(id.to_string()));
        }
        self.store.outbox_done(id).await?;
        Ok(())
    }

    /// Changes a client's name, contact or plan on the server (needs the server).
    #[tracing::instrument(skip(self), err)]
    pub async fn update_client(
        &self,
        client: ClientId,
        changes: &UpdateClient,
    ) -> Result<Client, DeskError> {
        changes.validate().map_err(DeskError::Invalid)?;
        let version = self.synced_client(client).await?.version;
        let msp = self.msp_api()?;
        let saved = match retry(|| msp.update_client(client, changes, version)).await {
            Ok(saved) => saved,
            // Refused as stale: if the server holds exactly these changes, an earlier attempt
            // went through and only its answer was lost.
            Err(e) if e.code() == Some(ProblemCode::VersionConflict) => {
                let current = retry(|| msp.get_client(client)).await?;
                if !holds_changes(&current, changes) {
                    return Err(e.into());
                }
                current
            }
            Err(e) => return Err(e.into()),
        };
        self.mirror_client(&saved).await?;
        Ok(saved)
    }

    /// Deletes a client on the server (refused while it has servers), then locally.
    #[tracing::instrument(skip(self), err)]
    pub async fn delete_client(&self, client: ClientId) -> Result<(), DeskError> {
        let name = self.synced_client(client).await?.company_name;
        let msp = self.msp_api()?;
        match retry(|| msp.delete_client(client)).await {
            // Gone already (an earlier attempt whose answer was lost, or someone else): the
            // outcome asked for.
            Ok(()) => {}
            Err(e) if e.code() == Some(ProblemCode::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        self.store.forget_client(self.msp(), client, &name).await?;
        self.drop_client_token(client).await?;
        Ok(())
    }

    /// A client's audit entries, newest first (needs the server: the audit log is not
    /// mirrored). At most `limit` entries, from at most ten pages of the MSP's log.
    #[tracing::instrument(skip(self), err)]
    pub async fn client_activity(
        &self,
        client: ClientId,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, DeskError> {
        let msp = self.msp_api()?;
        let tenant: TenantId = client.into();
        let mut found = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let page = retry(|| msp.audit(Some(500), cursor.as_deref())).await?;
            // Inside the client's tenant, or the MSP acting on the client record itself.
            found.extend(
                page.items
                    .into_iter()
                    .filter(|e| e.tenant_id == tenant || e.target_id == client.to_string()),
            );
            match page.next_cursor {
                Some(next) if found.len() < limit => cursor = Some(next),
                _ => break,
            }
        }
        found.sort_by_key(|e| std::cmp::Reverse(e.at));
        found.truncate(limit);
        Ok(found)
    }

    /// A one-time link for one of the client's users to set a portal password (72 hours; it
    /// replaces the user's earlier links). Needs the server. The user's state in the mirror
    /// becomes "invited" at once; the next sync brings the server's record.
    #[tracing::instrument(skip(self), err)]
    pub async fn invite_user(&self, client: ClientId, user: Uuid) -> Result<Invitation, DeskError> {
        let api = self.client_api(client).await?;
        let invitation = retry(|| api.invite_user(user)).await?;
        let tenant: TenantId = client.into();
        if let Some(mut record) = self
            .store
            .mirror::<User>(MirrorKind::User, tenant, &user.to_string())
            .await?
        {
            if record.state != UserState::Active {
                record.state = UserState::Invited;
            }
            record.invitation_expires_at = Some(invitation.expires_at);
            self.store
                .put_mirror(MirrorKind::User, tenant, &user.to_string(), &record, None)
                .await?;
        }
        Ok(invitation)
    }

    /// Clears a portal user's sign-in waits from every address, so the user can sign in at
    /// once after someone else's wrong guesses (needs the server; audited as `user.unlock`).
    #[tracing::instrument(skip(self), err)]
    pub async fn clear_sign_in_lock(&self, client: ClientId, user: Uuid) -> Result<(), DeskError> {
        let api = self.client_api(client).await?;
        retry(|| api.clear_sign_in_lock(user)).await?;
        Ok(())
    }
}
