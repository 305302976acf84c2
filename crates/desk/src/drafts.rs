//! Drafts: quotas, branding and catalog changes made on this desk, saved at once (offline
//! too) with the server version they were based on, and sent later (`If-Match`) by a sync or
//! by publishing one draft.

use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{Branding, Catalog, Client, QuotasInput, UpdateBranding, UpdateCatalog};
use mspdesk_api::ProblemCode;
use mspdesk_domain::{CatalogMode, ClientId, QuotaKind, TenantId};
use serde::Serialize;

use crate::error::{invalid, DeskError};
use crate::kinds::{DraftKind, MirrorKind};
use crate::session::{retry, Desk};
use crate::store::{Draft, StoreError};

/// A change to some quota limits; `None` leaves a limit as it is, `Some(None)` makes it
/// unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaChanges {
    pub max_servers: Option<Option<i64>>,
    pub max_users: Option<Option<i64>>,
    pub max_apps_per_server: Option<Option<i64>>,
    pub storage_quota_gb: Option<Option<i64>>,
}

impl QuotaChanges {
    /// One limit changed.
    #[must_use]
    pub fn set(mut self, kind: QuotaKind, limit: Option<i64>) -> Self {
        match kind {
            QuotaKind::MaxServers => self.max_servers = Some(limit),
            QuotaKind::MaxUsers => self.max_users = Some(limit),
            QuotaKind::MaxAppsPerServer => self.max_apps_per_server = Some(limit),
            QuotaKind::StorageQuotaGb => self.storage_quota_gb = Some(limit),
        }
        self
    }

    fn apply(self, to: QuotasInput) -> QuotasInput {
        QuotasInput {
            max_servers: self.max_servers.unwrap_or(to.max_servers),
            max_users: self.max_users.unwrap_or(to.max_users),
            max_apps_per_server: self.max_apps_per_server.unwrap_or(to.max_apps_per_server),
            storage_quota_gb: self.storage_quota_gb.unwrap_or(to.storage_quota_gb),
        }
    }
}

/// A change to some branding fields; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrandingChanges {
    pub company_name: Option<Option<String>>,
    pub logo_url: Option<Option<String>>,
    pub favicon_url: Option<Option<String>>,
    pub primary_color: Option<Option<String>>,
    pub secondary_color: Option<Option<String>>,
    pub accent_color: Option<Option<String>>,
    pub custom_domain: Option<Option<String>>,
    pub custom_css: Option<Option<String>>,
}

impl BrandingChanges {
    fn apply(self, to: UpdateBranding) -> UpdateBranding {
        UpdateBranding {
            company_name: self.company_name.unwrap_or(to.company_name),
            logo_url: self.logo_url.unwrap_or(to.logo_url),
            favicon_url: self.favicon_url.unwrap_or(to.favicon_url),
            primary_color: self.primary_color.unwrap_or(to.primary_color),
            secondary_color: self.secondary_color.unwrap_or(to.secondary_color),
            accent_color: self.accent_color.unwrap_or(to.accent_color),
            custom_domain: self.custom_domain.unwrap_or(to.custom_domain),
            custom_css: self.custom_css.unwrap_or(to.custom_css),
        }
    }
}

/// A change to a client's app catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "change", content = "value", rename_all = "snake_case")]
pub enum CatalogChange {
    /// Allow these templates. A catalog in mode `all` becomes a custom allow-list of the
    /// whole library, so only the named apps change.
    Enable(Vec<String>),
    /// Forbid these templates (the same switch to a custom list).
    Disable(Vec<String>),
    /// Switch the mode, keeping the list.
    SetMode(CatalogMode),
}

/// How publishing a draft ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PublishOutcome {
    /// The server has the draft's value; the draft is gone.
    Published,
    /// The server changed meanwhile: the draft is kept as a conflict.
    Conflict,
}

/// The server's current record of what a draft changes.
#[derive(Debug, Clone)]
pub(crate) enum ServerRecord {
    Client(Client),
    Branding(Branding),
    Catalog(Catalog),
}

impl ServerRecord {
    pub(crate) fn version(&self) -> i64 {
        match self {
            ServerRecord::Client(c) => c.version,
            ServerRecord::Branding(b) => b.version,
            ServerRecord::Catalog(c) => c.version,
        }
    }

    /// The record in the shape of the draft's update body.
    pub(crate) fn as_update(&self) -> serde_json::Value {
        match self {
            ServerRecord::Client(c) => to_json(&QuotasInput::from(c.quotas)),
            ServerRecord::Branding(b) => to_json(&branding_as_update(b)),
            ServerRecord::Catalog(c) => to_json(&UpdateCatalog {
                mode: c.mode.as_str().to_owned(),
                enabled: c.enabled.clone(),
            }),
        }
    }
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    v: &serde_json::Value,
) -> Result<T, DeskError> {
    serde_json::from_value(v.clone())
        .map_err(|_| DeskError::Store(StoreError::Corrupt(what.to_owned())))
}

/// A synced branding in the shape of a branding update.
pub(crate) fn branding_as_update(b: &Branding) -> UpdateBranding {
    UpdateBranding {
        company_name: b.company_name.clone(),
        logo_url: b.logo_url.clone(),
        favicon_url: b.favicon_url.clone(),
        primary_color: b.primary_color.clone(),
        secondary_color: b.secondary_color.clone(),
        accent_color: b.accent_color.clone(),
        custom_domain: b.custom_domain.clone(),
        custom_css: b.custom_css.clone(),
    }
}

/// Whether two update bodies of `kind` mean the same once validated (so `#1e88e5` and
/// `#1E88E5`, or a catalog list in another order, are the same).
pub(crate) fn same_effect(
    kind: DraftKind,
    client: ClientId,
    a: &serde_json::Value,
    b: &serde_json::Value,
) -> bool {
    fn validated<T, V, E>(v: &serde_json::Value, check: impl Fn(&T) -> Result<V, E>) -> Option<V>
    where
        T: serde::de::DeserializeOwned,
    {
        serde_json::from_value::<T>(v.clone())
            .ok()
            .and_then(|t| check(&t).ok())
    }
    let same = match kind {
        DraftKind::Quotas => validated(a, QuotasInput::validate)
            .zip(validated(b, QuotasInput::validate))
            .map(|(x, y)| x == y),
        DraftKind::Branding => validated(a, |u: &UpdateBranding| u.validate(client.into()))
            .zip(validated(b, |u: &UpdateBranding| u.validate(client.into())))
            .map(|(x, y)| x == y),
        DraftKind::Catalog => validated(a, UpdateCatalog::validate)
            .zip(validated(b, UpdateCatalog::validate))
            .map(|(x, y)| x == y),
    };
    same.unwrap_or(a == b)
}

impl Desk {
    /// Every draft, oldest change first.
    pub async fn drafts(&self) -> Result<Vec<Draft>, DeskError> {
        Ok(self.store.drafts().await?)
    }

    /// A client's quotas as they would be: its draft, else the synced ones.
    pub async fn quotas(&self, client: ClientId) -> Result<QuotasInput, DeskError> {
        if let Some(d) = self.store.draft(DraftKind::Quotas, client).await? {
            return from_json("draft", &d.body);
        }
        Ok(QuotasInput::from(self.synced_client(client).await?.quotas))
    }

    pub(crate) async fn synced_client(&self, client: ClientId) -> Result<Client, DeskError> {
        self.store
            .mirror(MirrorKind::Client, self.msp(), &client.to_string())
            .await?
            .ok_or_else(|| DeskError::NotSynced("this client".into()))
    }

    /// Saves a quotas draft: the whole set of limits.
    #[tracing::instrument(skip(self), err)]
    pub async fn save_quotas_draft(
        &self,
        client: ClientId,
        body: &QuotasInput,
    ) -> Result<(), DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let base = match self.store.draft(DraftKind::Quotas, client).await? {
            Some(d) => d.base_version,
            None => self.synced_client(client).await?.version,
        };
        self.store
            .save_draft(DraftKind::Quotas, client, &to_json(body), base)
            .await?;
        Ok(())
    }

    /// Changes some limits (the others stay as drafted or synced); returns the drafted set.
    pub async fn draft_quotas(
        &self,
        client: ClientId,
        changes: QuotaChanges,
    ) -> Result<QuotasInput, DeskError> {
        let body = changes.apply(self.quotas(client).await?);
        self.save_quotas_draft(client, &body).await?;
        Ok(body)
    }

    /// The branding a client would have: its draft if there is one (with the version it is
    /// based on), else the synced one.
    pub async fn branding(
        &self,
        client: ClientId,
    ) -> Result<(UpdateBranding, Option<i64>), DeskError> {
        if let Some(d) = self.store.draft(DraftKind::Branding, client).await? {
            return Ok((from_json("draft", &d.body)?, Some(d.base_version)));
        }
        let tenant: TenantId = client.into();
        let synced: Branding = self
            .store
            .mirror(MirrorKind::Branding, tenant, &tenant.to_string())
            .await?
            .ok_or_else(|| DeskError::NotSynced("this client's branding".into()))?;
        Ok((branding_as_update(&synced), None))
    }

    /// Saves a branding draft: the whole branding (validated now, pushed later). The draft
    /// keeps the version it was first based on.
    #[tracing::instrument(skip(self, body), err)]
    pub async fn save_branding_draft(
        &self,
        client: ClientId,
        body: &UpdateBranding,
    ) -> Result<(), DeskError> {
        body.validate(client.into()).map_err(DeskError::Invalid)?;
        let base = self.base_version(DraftKind::Branding, client).await?;
        self.store
            .save_draft(DraftKind::Branding, client, &to_json(body), base)
            .await?;
        Ok(())
    }

    /// Changes some branding fields; returns the drafted branding.
    pub async fn draft_branding(
        &self,
        client: ClientId,
        changes: BrandingChanges,
    ) -> Result<UpdateBranding, DeskError> {
        let (current, _) = self.branding(client).await?;
        let body = changes.apply(current);
        self.save_branding_draft(client, &body).await?;
        Ok(body)
    }

    /// The catalog a client would have (draft or synced), as an update body.
    pub async fn catalog(&self, client: ClientId) -> Result<UpdateCatalog, DeskError> {
        if let Some(d) = self.store.draft(DraftKind::Catalog, client).await? {
            return from_json("draft", &d.body);
        }
        let tenant: TenantId = client.into();
        let synced: Catalog = self
            .store
            .mirror(MirrorKind::Catalog, tenant, &tenant.to_string())
            .await?
            .ok_or_else(|| DeskError::NotSynced("this client's catalog".into()))?;
        Ok(UpdateCatalog {
            mode: synced.mode.as_str().to_owned(),
            enabled: synced.enabled,
        })
    }

    /// Saves a catalog draft: the whole catalog.
    #[tracing::instrument(skip(self), err)]
    pub async fn save_catalog_draft(
        &self,
        client: ClientId,
        body: &UpdateCatalog,
    ) -> Result<(), DeskError> {
        body.validate().map_err(DeskError::Invalid)?;
        let base = self.base_version(DraftKind::Catalog, client).await?;
        self.store
            .save_draft(DraftKind::Catalog, client, &to_json(body), base)
            .await?;
        Ok(())
    }

    /// Enables or disables apps, or sets the mode; returns the drafted catalog.
    pub async fn draft_catalog(
        &self,
        client: ClientId,
        change: CatalogChange,
    ) -> Result<UpdateCatalog, DeskError> {
        let mut catalog = self.catalog(client).await?;
        match change {
            CatalogChange::SetMode(mode) => catalog.mode = mode.as_str().to_owned(),
            CatalogChange::Enable(ids) | CatalogChange::Disable(ids) if ids.is_empty() => {
                return Err(invalid(
                    "templates",
                    "name at least one template, e.g. nextcloud",
                ));
            }
            CatalogChange::Enable(ref ids) | CatalogChange::Disable(ref ids) => {
                let unknown: Vec<&str> = ids
                    .iter()
                    .filter(|t| mspdesk_domain::template(t).is_none())
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    return Err(invalid(
                        "templates",
                        format!("no such template: {}", unknown.join(", ")),
                    ));
                }
                if CatalogMode::parse(&catalog.mode) == Some(CatalogMode::All) {
                    // Start the allow-list from the whole library, so only the named apps
                    // change.
                    catalog.enabled = mspdesk_domain::TEMPLATES
                        .iter()
                        .map(|t| t.id.to_owned())
                        .collect();
                }
                catalog.mode = CatalogMode::Custom.as_str().to_owned();
                let enable = matches!(change, CatalogChange::Enable(_));
                for t in ids {
                    catalog.enabled.retain(|e| e != t);
                    if enable {
                        catalog.enabled.push(t.clone());
                    }
                }
            }
        }
        self.save_catalog_draft(client, &catalog).await?;
        Ok(catalog)
    }

    async fn base_version(&self, kind: DraftKind, client: ClientId) -> Result<i64, DeskError> {
        if let Some(d) = self.store.draft(kind, client).await? {
            return Ok(d.base_version);
        }
        let tenant: TenantId = client.into();
        let synced: Option<serde_json::Value> = self
            .store
            .mirror(MirrorKind::of_draft(kind), tenant, &tenant.to_string())
            .await?;
        synced
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64))
            .ok_or_else(|| DeskError::NotSynced(format!("this client's {kind}")))
    }

    /// Drops a draft without sending it (and its conflict, if it had one).
    #[tracing::instrument(skip(self), err)]
    pub async fn discard_draft(&self, kind: DraftKind, client: ClientId) -> Result<(), DeskError> {
        self.store.delete_conflict(kind, client).await?;
        if !self.store.delete_draft(kind, client).await? {
            return Err(DeskError::NoDraft(kind));
        }
        if kind == DraftKind::Branding {
            self.store.delete_pending_images(client, None).await?;
        }
        Ok(())
    }

    /// Sends one draft now, without a full sync.
    #[tracing::instrument(skip(self), err)]
    pub async fn publish(
        &self,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<PublishOutcome, DeskError> {
        if self
            .store
            .conflicts()
            .await?
            .iter()
            .any(|c| c.kind == kind && c.client == client)
        {
            return Err(DeskError::ConflictPending(kind));
        }
        let draft = self
            .store
            .draft(kind, client)
            .await?
            .ok_or(DeskError::NoDraft(kind))?;
        let msp = self.msp_api()?;
        self.push_draft(&msp, &draft).await
    }

    /// Sends one draft with `If-Match: base_version`. Accepted: the draft leaves the store
    /// and the mirror takes the server's answer. Refused as stale (412): when the server
    /// already holds exactly the draft's value (our earlier attempt went through and only
    /// its answer was lost), the draft counts as published; otherwise it becomes a conflict.
    pub(crate) async fn push_draft(
        &self,
        msp: &ApiClient,
        draft: &Draft,
    ) -> Result<PublishOutcome, DeskError> {
        let client = draft.client;
        let saved = match draft.kind {
            DraftKind::Quotas => {
                let body: QuotasInput = from_json("draft", &draft.body)?;
                retry(|| msp.set_quotas(client, &body, draft.base_version))
                    .await
                    .map(ServerRecord::Client)
            }
            DraftKind::Branding => {
                let api = self.client_api(client).await?;
                let body: UpdateBranding = from_json("draft", &draft.body)?;
                match self
                    .upload_pending_images(&api, client, draft.base_version)
                    .await?
                {
                    Ok(version) => retry(|| api.set_branding(&body, version))
                        .await
                        .map(ServerRecord::Branding),
                    Err(e) => Err(e),
                }
            }
            DraftKind::Catalog => {
                let api = self.client_api(client).await?;
                let body: UpdateCatalog = from_json("draft", &draft.body)?;
                retry(|| api.set_catalog(&body, draft.base_version))
                    .await
                    .map(ServerRecord::Catalog)
            }
        };
        let record = match saved {
            Ok(record) => record,
            Err(e) if e.code() == Some(ProblemCode::VersionConflict) => {
                let current = self.server_record(msp, draft.kind, client).await?;
                if !same_effect(draft.kind, client, &current.as_update(), &draft.body) {
                    // Both sides are kept: the draft as it is, the server's record in the
                    // mirror (so "take theirs" shows it at once).
                    self.record_conflict_with(draft, &current).await?;
                    self.mirror_record(client, &current).await?;
                    return Ok(PublishOutcome::Conflict);
                }
                tracing::info!(kind = %draft.kind, %client, "the server already holds the draft: an earlier answer was lost");
                current
            }
            Err(e) => return Err(e.into()),
        };
        self.mirror_record(client, &record).await?;
        self.store.delete_draft(draft.kind, client).await?;
        Ok(PublishOutcome::Published)
    }

    /// Stores a server record in the mirror.
    pub(crate) async fn mirror_record(
        &self,
        client: ClientId,
        record: &ServerRecord,
    ) -> Result<(), DeskError> {
        let tenant: TenantId = client.into();
        match record {
            ServerRecord::Client(c) => self.mirror_client(c).await?,
            ServerRecord::Branding(b) => {
                self.store
                    .put_mirror(
                        MirrorKind::Branding,
                        tenant,
                        &tenant.to_string(),
                        b,
                        Some(b.version),
                    )
                    .await?;
            }
            ServerRecord::Catalog(c) => {
                self.store
                    .put_mirror(
                        MirrorKind::Catalog,
                        tenant,
                        &tenant.to_string(),
                        c,
                        Some(c.version),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// The server's current record of what a draft of `kind` changes.
    pub(crate) async fn server_record(
        &self,
        msp: &ApiClient,
        kind: DraftKind,
        client: ClientId,
    ) -> Result<ServerRecord, DeskError> {
        Ok(match kind {
            DraftKind::Quotas => ServerRecord::Client(retry(|| msp.get_client(client)).await?),
            DraftKind::Branding => {
                let api = self.client_api(client).await?;
                ServerRecord::Branding(retry(|| api.branding()).await?)
            }
            DraftKind::Catalog => {
                let api = self.client_api(client).await?;
                ServerRecord::Catalog(retry(|| api.catalog()).await?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_effect_compares_validated_values() {
        let client = ClientId::new();
        assert!(same_effect(
            DraftKind::Branding,
            client,
            &json!({"primary_color": "#1e88e5"}),
            &json!({"primary_color": "#1E88E5", "company_name": null}),
        ));
        assert!(!same_effect(
            DraftKind::Branding,
            client,
            &json!({"primary_color": "#1e88e5"}),
            &json!({"primary_color": "#000000"}),
        ));
        assert!(same_effect(
            DraftKind::Catalog,
            client,
            &json!({"mode": "custom", "enabled": ["nextcloud", "ghost"]}),
            &json!({"mode": "custom", "enabled": ["ghost", "nextcloud"]}),
        ));
        assert!(!same_effect(
            DraftKind::Quotas,
            client,
            &json!({"max_servers": 3}),
            &json!({"max_servers": 4}),
        ));
    }

    #[test]
    fn quota_changes_keep_what_they_do_not_name() {
        let now = QuotasInput {
            max_servers: Some(5),
            max_users: Some(10),
            max_apps_per_server: None,
            storage_quota_gb: Some(100),
        };
        let changed = QuotaChanges::default()
            .set(QuotaKind::MaxUsers, None)
            .set(QuotaKind::MaxServers, Some(7))
            .apply(now);
        assert_eq!(changed.max_servers, Some(7));
        assert_eq!(changed.max_users, None);
        assert_eq!(changed.storage_quota_gb, Some(100));
    }
}
