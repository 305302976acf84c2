//! Clients, their quotas and usage.

use chrono::{DateTime, Utc};
use mspdesk_domain::{ClientId, CompanyName, Compliance, Email, QuotaKind, Quotas, Usage};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_uuid, Fields};
use crate::FieldError;

/// Quota limits as sent: each a non-negative integer, or null (or absent) for unlimited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
                Some(v) if v < 0 => {
                    fields.fail(
                        &name,
                        "must be a non-negative integer, or null for unlimited",
                    );
                    None
                }
                // At most what the column holds (nothing clamped).
                Some(v) => fields
                    .check(&name, super::bounds::check_integer(v))
                    .and_then(|()| u32::try_from(v).ok())
                    .map(Some),
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
}
