//! Request and response bodies of every route.
//!
//! Request bodies hold raw JSON values (`String`, `i64`) so that a wrong *value* is reported per
//! field with `422`, while a wrong JSON *type* or an unknown field is `400`. Each request type has
//! a `validate` method that applies the domain rules (crates/domain) and returns the validated
//! values, or every field error at once.

use chrono::{DateTime, Utc};
use mspdesk_domain::{
    CatalogMode, ClientId, CompanyName, Compliance, Email, HexColor, HttpsUrl, Label, Provider,
    QuotaKind, Quotas, TenantId, Usage,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::FieldError;

/// Gathers field errors while validating a body.
#[derive(Debug, Default)]
struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    fn check<T, E: std::fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e));
                None
            }
        }
    }

    fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            // Every field parsed, so `value` has all it needs.
            value().ok_or(self.errors)
        } else {
            Err(self.errors)
        }
    }
}

fn parse_uuid(s: &str) -> Result<Uuid, &'static str> {
    Uuid::parse_str(s.trim()).map_err(|_| "is not a UUID")
}

/// Optional text: `None` and blank both mean "not set".
fn optional<T, E>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, E> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

// ---------------------------------------------------------------------------------------------
// Auth

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An MSP operator, in the provider tenant.
    MspAdmin,
    /// Acting inside one client's tenant.
    ClientAdmin,
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
    pub role: Role,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("tenant_id", &self.tenant_id)
            .field("role", &self.role)
            .finish()
    }
}

/// A token for one client's tenant, minted by an MSP admin.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub tenant_id: TenantId,
}

impl std::fmt::Debug for ClientToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("tenant_id", &self.tenant_id)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

/// A complete list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
}

/// One page of a longer list; pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Plans and prices

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    /// Monthly license fee per instance, a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "19.00")]
    pub license_fee_per_instance: Decimal,
    pub currency: String,
    pub default_quotas: Quotas,
}

/// A price: hourly, capped at `monthly` per calendar month, in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PriceSnapshot {
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.0121")]
    pub hourly: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "7.55")]
    pub monthly: Decimal,
    pub currency: String,
}

/// One server type of the MSP's price table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Price {
    pub provider: Provider,
    pub server_type: String,
    pub description: String,
    pub price: PriceSnapshot,
}

/// `PUT /prices/{provider}/{server_type}`: a server type's price (created if new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePrice {
    #[serde(default)]
    pub description: Option<String>,
    pub hourly: String,
    pub monthly: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPrice {
    pub description: String,
    pub price: PriceSnapshot,
}

impl UpdatePrice {
    pub fn validate(&self) -> Result<NewPrice, Vec<FieldError>> {
        let mut f = Fields::default();
        let description = match self.description.as_deref().map(str::trim) {
            None | Some("") => Some(String::new()),
            Some(d) => f.check("description", Label::parse(d)).map(String::from),
        };
        let price = PriceInput {
            hourly: self.hourly.clone(),
            monthly: self.monthly.clone(),
            currency: self.currency.clone(),
        }
        .check_fields(&mut f, "");
        if let Some(p) = &price {
            if let Err(e) = mspdesk_domain::check_list_price(p.hourly, p.monthly) {
                f.fail(e.field(), &e.to_string());
            }
        }
        f.finish(|| {
            Some(NewPrice {
                description: description?,
                price: price?,
            })
        })
    }
}

/// The MSP's billing currency and exchange rates into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FxTableBody {
    /// ISO 4217 code of the billing currency, e.g. "EUR".
    pub currency: String,
    /// 1 unit of each listed currency is `rate` units of the billing currency.
    pub rates: Vec<mspdesk_domain::FxRate>,
}

/// `PUT /fx`: replaces the billing currency and the rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFx {
    pub currency: String,
    pub rates: Vec<FxRateInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FxRateInput {
    pub currency: String,
    pub rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFx {
    pub currency: mspdesk_domain::Currency,
    pub rates: Vec<(mspdesk_domain::Currency, Decimal)>,
}

impl UpdateFx {
    pub fn validate(&self) -> Result<NewFx, Vec<FieldError>> {
        let mut f = Fields::default();
        let base = f.check("currency", mspdesk_domain::parse_currency(&self.currency));
        let mut rates = Vec::new();
        for (i, r) in self.rates.iter().enumerate() {
            let currency = f.check(
                &format!("rates[{i}].currency"),
                mspdesk_domain::parse_currency(&r.currency),
            );
            let rate = match r.rate.trim().parse::<Decimal>() {
                Ok(d) if d > Decimal::ZERO => Some(d),
                _ => {
                    f.fail(
                        &format!("rates[{i}].rate"),
                        "must be a positive decimal such as 0.92",
                    );
                    None
                }
            };
            if let (Some(c), Some(b)) = (currency, base) {
                if c == b {
                    f.fail(
                        &format!("rates[{i}].currency"),
                        "is the billing currency itself",
                    );
                } else if rates.iter().any(|(seen, _)| *seen == c) {
                    f.fail(&format!("rates[{i}].currency"), "is listed twice");
                }
            }
            if let (Some(c), Some(r)) = (currency, rate) {
                rates.push((c, r));
            }
        }
        f.finish(|| {
            Some(NewFx {
                currency: base?,
                rates,
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Clients

/// Quota limits as sent: each a non-negative integer, or null (or absent) for unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotasInput {
    #[serde(default)]
    pub max_servers: Option<i64>,
    #[serde(default)]
    pub max_users: Option<i64>,
    #[serde(default)]
    pub max_apps_per_server: Option<i64>,
    #[serde(default)]
    pub storage_quota_gb: Option<i64>,
}

impl From<Quotas> for QuotasInput {
    fn from(q: Quotas) -> Self {
        Self {
            max_servers: q.max_servers.map(i64::from),
            max_users: q.max_users.map(i64::from),
            max_apps_per_server: q.max_apps_per_server.map(i64::from),
            storage_quota_gb: q.storage_quota_gb.map(i64::from),
        }
    }
}

impl QuotasInput {
    fn check(&self, fields: &mut Fields, prefix: &str) -> Option<Quotas> {
        let mut one = |kind: QuotaKind, value: Option<i64>| -> Option<Option<u32>> {
            let name = format!("{prefix}{kind}");
            match value {
                None => Some(None),
                Some(v) => match u32::try_from(v) {
                    Ok(limit) => Some(Some(limit)),
                    Err(_) if v < 0 => {
                        fields.fail(
                            &name,
                            "must be a non-negative integer, or null for unlimited",
                        );
                        None
                    }
                    Err(_) => {
                        fields.fail(&name, "is too large");
                        None
                    }
                },
            }
        };
        let max_servers = one(QuotaKind::MaxServers, self.max_servers);
        let max_users = one(QuotaKind::MaxUsers, self.max_users);
        let max_apps_per_server = one(QuotaKind::MaxAppsPerServer, self.max_apps_per_server);
        let storage_quota_gb = one(QuotaKind::StorageQuotaGb, self.storage_quota_gb);
        Some(Quotas {
            max_servers: max_servers?,
            max_users: max_users?,
            max_apps_per_server: max_apps_per_server?,
            storage_quota_gb: storage_quota_gb?,
        })
    }

    pub fn validate(&self) -> Result<Quotas, Vec<FieldError>> {
        let mut fields = Fields::default();
        let quotas = self.check(&mut fields, "");
        fields.finish(|| quotas)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClient {
    pub company_name: String,
    pub contact_email: String,
    pub plan_id: String,
    /// Omitted: the plan's default quotas.
    #[serde(default)]
    pub quotas: Option<QuotasInput>,
}

/// A validated [`CreateClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub company_name: CompanyName,
    pub contact_email: Email,
    pub plan_id: Uuid,
    pub quotas: Option<Quotas>,
}

impl CreateClient {
    pub fn validate(&self) -> Result<NewClient, Vec<FieldError>> {
        let mut f = Fields::default();
        let company_name = f.check("company_name", CompanyName::parse(&self.company_name));
        let contact_email = f.check("contact_email", Email::parse(&self.contact_email));
        let plan_id = f.check("plan_id", parse_uuid(&self.plan_id));
        let quotas = match &self.quotas {
            None => Some(None),
            Some(q) => q.check(&mut f, "quotas.").map(Some),
        };
        f.finish(|| {
            Some(NewClient {
                company_name: company_name?,
                contact_email: contact_email?,
                plan_id: plan_id?,
                quotas: quotas?,
            })
        })
    }
}

/// `PATCH /clients/{id}`: the fields to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClient {
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub plan_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientChanges {
    pub company_name: Option<CompanyName>,
    pub contact_email: Option<Email>,
    pub plan_id: Option<Uuid>,
}

impl UpdateClient {
    pub fn validate(&self) -> Result<ClientChanges, Vec<FieldError>> {
        let mut f = Fields::default();
        let company_name = match &self.company_name {
            None => Some(None),
            Some(s) => f.check("company_name", CompanyName::parse(s)).map(Some),
        };
        let contact_email = match &self.contact_email {
            None => Some(None),
            Some(s) => f.check("contact_email", Email::parse(s)).map(Some),
        };
        let plan_id = match &self.plan_id {
            None => Some(None),
            Some(s) => f.check("plan_id", parse_uuid(s)).map(Some),
        };
        f.finish(|| {
            Some(ClientChanges {
                company_name: company_name?,
                contact_email: contact_email?,
                plan_id: plan_id?,
            })
        })
    }
}

/// What a client uses, on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UsageSummary {
    pub servers: u64,
    pub users: u64,
    pub storage_gb: u64,
    /// Apps on the client's busiest server (what `max_apps_per_server` limits).
    pub busiest_server_apps: u64,
}

impl From<UsageSummary> for Usage {
    fn from(u: UsageSummary) -> Self {
        Self {
            servers: u.servers,
            users: u.users,
            storage_gb: u.storage_gb,
            busiest_server_apps: u.busiest_server_apps,
        }
    }
}

impl From<Usage> for UsageSummary {
    fn from(u: Usage) -> Self {
        Self {
            servers: u.servers,
            users: u.users,
            storage_gb: u.storage_gb,
            busiest_server_apps: u.busiest_server_apps,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Client {
    /// The client's id, which is also its tenant id.
    pub id: ClientId,
    pub company_name: String,
    pub contact_email: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub quotas: Quotas,
    pub usage: UsageSummary,
    pub compliance: Compliance,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of the client list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClientSummary {
    /// The current month to date, in the MSP's billing currency, from the same code as the
    /// billing report; null when an exchange rate it needs is missing.
    pub monthly_total: Option<mspdesk_domain::Money>,
    pub id: ClientId,
    pub company_name: String,
    pub contact_email: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub server_count: u64,
    pub user_count: u64,
    pub compliance: Compliance,
    pub version: i64,
}

// ---------------------------------------------------------------------------------------------
// Audit

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    /// The tenant acted on.
    pub tenant_id: TenantId,
    /// The operator who acted (also when acting through a client token).
    pub actor_id: Uuid,
    /// e.g. `client.create`, `server.delete`, `branding.update`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Servers, users, apps

/// The price of an `other` instance, which the price table does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub hourly: String,
    pub monthly: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServer {
    pub name: String,
    /// `hetzner`, `digitalocean` or `other`.
    pub provider: String,
    pub server_type: String,
    pub storage_gb: i64,
    #[serde(default)]
    pub region: Option<String>,
    /// A past time imports an existing instance; never in the future. Default: now.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// A past time imports a deleted instance (for billing history).
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Required for `other`, refused otherwise (the price table decides).
    #[serde(default)]
    pub price: Option<PriceInput>,
}

/// A validated [`CreateServer`]; `created_at` is filled with `now` when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServer {
    pub name: Label,
    pub provider: Provider,
    pub server_type: Label,
    pub storage_gb: u32,
    pub region: Option<Label>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub price: Option<PriceSnapshot>,
}

impl CreateServer {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewServer, Vec<FieldError>> {
        let mut f = Fields::default();
        let name = f.check("name", Label::parse(&self.name));
        let provider = Provider::parse(&self.provider);
        if provider.is_none() {
            f.fail("provider", "must be one of hetzner, digitalocean, other");
        }
        let server_type = f.check("server_type", Label::parse(&self.server_type));
        let storage_gb = match u32::try_from(self.storage_gb) {
            Ok(gb) => Some(gb),
            Err(_) => {
                f.fail("storage_gb", "must be a non-negative whole number of GB");
                None
            }
        };
        let region = f
            .check("region", optional(self.region.as_deref(), Label::parse))
            .flatten();
        let created_at = self.created_at.unwrap_or(now);
        for problem in mspdesk_domain::check_lifetime(created_at, self.deleted_at, now) {
            f.fail(problem.field(), &problem.to_string());
        }
        let price = match (provider, &self.price) {
            (Some(Provider::Other), None) => {
                f.fail("price", "is required for provider other");
                None
            }
            (Some(Provider::Other), Some(p)) => p.check(&mut f),
            (_, Some(_)) => {
                f.fail(
                    "price",
                    "comes from the price table; send it only for provider other",
                );
                None
            }
            (_, None) => None,
        };
        f.finish(|| {
            Some(NewServer {
                name: name?,
                provider: provider?,
                server_type: server_type?,
                storage_gb: storage_gb?,
                region,
                created_at,
                deleted_at: self.deleted_at,
                price,
            })
        })
    }
}

impl PriceInput {
    fn check(&self, f: &mut Fields) -> Option<PriceSnapshot> {
        self.check_fields(f, "price.")
    }

    fn check_fields(&self, f: &mut Fields, prefix: &str) -> Option<PriceSnapshot> {
        let mut amount = |field: &str, s: &str| -> Option<Decimal> {
            match s.trim().parse::<Decimal>() {
                Ok(d) if d >= Decimal::ZERO => Some(d),
                Ok(_) => {
                    f.fail(field, "must not be negative");
                    None
                }
                Err(_) => {
                    f.fail(field, "is not a decimal amount such as 12.34");
                    None
                }
            }
        };
        let hourly = amount(&format!("{prefix}hourly"), &self.hourly);
        let monthly = amount(&format!("{prefix}monthly"), &self.monthly);
        let currency = f.check(
            &format!("{prefix}currency"),
            mspdesk_domain::parse_currency(&self.currency),
        );
        Some(PriceSnapshot {
            hourly: hourly?,
            monthly: monthly?,
            currency: currency?.code().to_owned(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Server {
    pub id: Uuid,
    pub name: String,
    pub provider: Provider,
    pub server_type: String,
    pub storage_gb: u32,
    pub region: Option<String>,
    /// Snapshot of the price table at registration.
    pub price: PriceSnapshot,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub name: Label,
}

impl CreateUser {
    pub fn validate(&self) -> Result<NewUser, Vec<FieldError>> {
        let mut f = Fields::default();
        let email = f.check("email", Email::parse(&self.email));
        let name = f.check("name", Label::parse(&self.name));
        f.finish(|| {
            Some(NewUser {
                email: email?,
                name: name?,
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallApp {
    pub template_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct App {
    pub id: Uuid,
    pub server_id: Uuid,
    pub template_id: String,
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Catalog

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TemplateInfo {
    pub id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub size_mb: u32,
}

impl From<&mspdesk_domain::Template> for TemplateInfo {
    fn from(t: &mspdesk_domain::Template) -> Self {
        Self {
            id: t.id.to_owned(),
            name: t.name.to_owned(),
            category: t.category.to_owned(),
            description: t.description.to_owned(),
            size_mb: t.size_mb,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Catalog {
    pub mode: CatalogMode,
    /// Template ids allowed in `custom` mode (kept, but not consulted, in `all` mode).
    pub enabled: Vec<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCatalog {
    /// `all` or `custom`.
    pub mode: String,
    #[serde(default)]
    pub enabled: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalog {
    pub mode: CatalogMode,
    /// Sorted, without duplicates; every id is in the template library.
    pub enabled: Vec<String>,
}

impl UpdateCatalog {
    pub fn validate(&self) -> Result<NewCatalog, Vec<FieldError>> {
        let mut f = Fields::default();
        let mode = CatalogMode::parse(self.mode.trim());
        if mode.is_none() {
            f.fail("mode", "must be all or custom");
        }
        let mut enabled: Vec<String> = self.enabled.iter().map(|s| s.trim().to_owned()).collect();
        enabled.sort();
        enabled.dedup();
        let unknown: Vec<&str> = enabled
            .iter()
            .filter(|id| mspdesk_domain::template(id).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            f.fail(
                "enabled",
                &format!("names templates that do not exist: {}", unknown.join(", ")),
            );
        }
        f.finish(|| {
            Some(NewCatalog {
                mode: mode?,
                enabled,
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Branding

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Branding {
    pub company_name: Option<String>,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub accent_color: Option<String>,
    pub custom_domain: Option<String>,
    pub custom_css: Option<String>,
    pub version: i64,
}

/// `PUT /branding`: the whole branding; null or absent clears a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBranding {
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub favicon_url: Option<String>,
    #[serde(default)]
    pub primary_color: Option<String>,
    #[serde(default)]
    pub secondary_color: Option<String>,
    #[serde(default)]
    pub accent_color: Option<String>,
    #[serde(default)]
    pub custom_domain: Option<String>,
    #[serde(default)]
    pub custom_css: Option<String>,
}

/// The largest custom CSS accepted, in bytes.
pub const CUSTOM_CSS_MAX_BYTES: usize = 64 * 1024;

/// Where uploaded branding images are served: `{ASSET_PATH_PREFIX}{tenant}/{kind}`.
pub const ASSET_PATH_PREFIX: &str = "/api/v1/public/assets/";

/// The public path of an uploaded image; `v` changes with the content, so caches refresh.
#[must_use]
pub fn asset_path(tenant: TenantId, kind: mspdesk_domain::AssetKind, sha256: &str) -> String {
    let v: String = sha256.chars().take(12).collect();
    format!("{ASSET_PATH_PREFIX}{tenant}/{kind}?v={v}")
}

/// A logo or favicon: an https URL elsewhere, or the image uploaded to this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Url(HttpsUrl),
    /// The tenant's uploaded image of this kind (the server fills in its path).
    Uploaded,
}

fn image_ref(s: &str) -> Result<ImageRef, mspdesk_domain::HttpsUrlError> {
    if s.starts_with(ASSET_PATH_PREFIX) {
        Ok(ImageRef::Uploaded)
    } else {
        HttpsUrl::parse(s).map(ImageRef::Url)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBranding {
    pub company_name: Option<CompanyName>,
    pub logo_url: Option<ImageRef>,
    pub favicon_url: Option<ImageRef>,
    pub primary_color: Option<HexColor>,
    pub secondary_color: Option<HexColor>,
    pub accent_color: Option<HexColor>,
    pub custom_domain: Option<mspdesk_domain::DomainName>,
    pub custom_css: Option<String>,
}

impl UpdateBranding {
    pub fn validate(&self) -> Result<NewBranding, Vec<FieldError>> {
        let mut f = Fields::default();
        let company_name = f.check(
            "company_name",
            optional(self.company_name.as_deref(), CompanyName::parse),
        );
        let logo_url = f.check("logo_url", optional(self.logo_url.as_deref(), image_ref));
        let favicon_url = f.check(
            "favicon_url",
            optional(self.favicon_url.as_deref(), image_ref),
        );
        let mut color = |field: &str, v: &Option<String>| {
            f.check(field, optional(v.as_deref(), HexColor::parse))
        };
        let primary_color = color("primary_color", &self.primary_color);
        let secondary_color = color("secondary_color", &self.secondary_color);
        let accent_color = color("accent_color", &self.accent_color);
        let custom_domain = f.check(
            "custom_domain",
            optional(
                self.custom_domain.as_deref(),
                mspdesk_domain::DomainName::parse,
            ),
        );
        let custom_css = match self.custom_css.as_deref() {
            Some(css) if css.len() > CUSTOM_CSS_MAX_BYTES => {
                f.fail(
                    "custom_css",
                    &format!(
                        "must be at most {CUSTOM_CSS_MAX_BYTES} bytes, this one has {}",
                        css.len()
                    ),
                );
                None
            }
            Some(css) if css.trim().is_empty() => Some(None),
            Some(css) => Some(Some(css.to_owned())),
            None => Some(None),
        };
        f.finish(|| {
            Some(NewBranding {
                company_name: company_name?,
                logo_url: logo_url?,
                favicon_url: favicon_url?,
                primary_color: primary_color?,
                secondary_color: secondary_color?,
                accent_color: accent_color?,
                custom_domain: custom_domain?,
                custom_css: custom_css?,
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Usage and health

/// `GET /usage?period=YYYY-MM`: the instances active at any time in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UsageReport {
    pub period: String,
    pub instances: Vec<Server>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn create_client_reports_every_bad_field() {
        let body = CreateClient {
            company_name: " ".into(),
            contact_email: "nope".into(),
            plan_id: "x".into(),
            quotas: Some(QuotasInput {
                max_servers: Some(-1),
                max_users: Some(i64::from(u32::MAX) + 1),
                max_apps_per_server: None,
                storage_quota_gb: Some(10),
            }),
        };
        assert_eq!(
            fields(body.validate().unwrap_err()),
            [
                "company_name",
                "contact_email",
                "plan_id",
                "quotas.max_servers",
                "quotas.max_users"
            ]
        );
    }

    #[test]
    fn create_client_ok() {
        let plan = Uuid::now_v7();
        let body = CreateClient {
            company_name: "Müller GmbH".into(),
            contact_email: "it@mueller.example".into(),
            plan_id: plan.to_string(),
            quotas: None,
        };
        let v = body.validate().unwrap();
        assert_eq!(v.company_name.as_str(), "Müller GmbH");
        assert_eq!(v.plan_id, plan);
        assert_eq!(v.quotas, None);
    }

    #[test]
    fn create_server_rules() {
        let now = Utc::now();
        let ok = CreateServer {
            name: "web-01".into(),
            provider: "hetzner".into(),
            server_type: "cx22".into(),
            storage_gb: 40,
            region: Some("fsn1".into()),
            created_at: None,
            deleted_at: None,
            price: None,
        };
        let v = ok.validate(now).unwrap();
        assert_eq!(v.created_at, now);
        assert_eq!(v.provider, Provider::Hetzner);

        let mut bad = ok.clone();
        bad.name = String::new();
        bad.provider = "aws".into();
        bad.server_type = "\n".into();
        bad.storage_gb = -5;
        bad.region = Some("x".repeat(101));
        bad.created_at = Some(now + chrono::Duration::hours(1));
        bad.deleted_at = Some(now + chrono::Duration::hours(2));
        assert_eq!(
            fields(bad.validate(now).unwrap_err()),
            [
                "name",
                "provider",
                "server_type",
                "storage_gb",
                "region",
                "created_at",
                "deleted_at"
            ]
        );

        let mut other = ok.clone();
        other.provider = "other".into();
        assert_eq!(fields(other.validate(now).unwrap_err()), ["price"]);
        other.price = Some(PriceInput {
            hourly: "-1".into(),
            monthly: "abc".into(),
            currency: "EURO".into(),
        });
        assert_eq!(
            fields(other.validate(now).unwrap_err()),
            ["price.hourly", "price.monthly", "price.currency"]
        );
        let mut priced = ok;
        priced.price = Some(PriceInput {
            hourly: "1".into(),
            monthly: "2".into(),
            currency: "EUR".into(),
        });
        assert_eq!(fields(priced.validate(now).unwrap_err()), ["price"]);

        let mut backwards = CreateServer {
            name: "old".into(),
            provider: "hetzner".into(),
            server_type: "cx22".into(),
            storage_gb: 0,
            region: None,
            created_at: Some(now - chrono::Duration::days(2)),
            deleted_at: Some(now - chrono::Duration::days(3)),
            price: None,
        };
        assert_eq!(fields(backwards.validate(now).unwrap_err()), ["deleted_at"]);
        backwards.deleted_at = Some(now - chrono::Duration::days(1));
        assert!(backwards.validate(now).is_ok());
    }

    #[test]
    fn catalog_and_branding_and_users() {
        let c = UpdateCatalog {
            mode: "custom".into(),
            enabled: vec!["gitea".into(), "nextcloud".into(), "gitea".into()],
        };
        assert_eq!(c.validate().unwrap().enabled, ["gitea", "nextcloud"]);
        let bad = UpdateCatalog {
            mode: "some".into(),
            enabled: vec!["nope".into()],
        };
        assert_eq!(fields(bad.validate().unwrap_err()), ["mode", "enabled"]);

        let b = UpdateBranding {
            company_name: Some("".into()),
            logo_url: Some("http://x.example/logo.png".into()),
            favicon_url: Some("ftp://x".into()),
            primary_color: Some("#12".into()),
            secondary_color: Some("blue".into()),
            accent_color: Some("#GGG".into()),
            custom_domain: Some("10.0.0.1".into()),
            custom_css: Some("a".repeat(CUSTOM_CSS_MAX_BYTES + 1)),
        };
        // A blank company name means "not set", so it is not an error.
        assert_eq!(
            fields(b.validate().unwrap_err()),
            [
                "logo_url",
                "favicon_url",
                "primary_color",
                "secondary_color",
                "accent_color",
                "custom_domain",
                "custom_css"
            ]
        );
        let good = UpdateBranding {
            primary_color: Some("#abc".into()),
            custom_domain: Some("Portal.Example.COM".into()),
            ..Default::default()
        };
        let v = good.validate().unwrap();
        assert_eq!(v.primary_color.unwrap().to_string(), "#AABBCC");
        assert_eq!(v.custom_domain.unwrap().as_str(), "portal.example.com");

        let u = CreateUser {
            email: "x".into(),
            name: "".into(),
        };
        assert_eq!(fields(u.validate().unwrap_err()), ["email", "name"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CreateUser>(
            r#"{"email":"a@b.co","name":"A","admin":true}"#
        )
        .is_err());
        assert!(serde_json::from_str::<QuotasInput>(r#"{"max_server":1}"#).is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let r = LoginRequest {
            email: "a@b.co".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{r:?}").contains("hunter2"));
    }
}
