//! Cloud OS instances and their usage reports.

use chrono::{DateTime, Utc};
use mspdesk_domain::{Label, Provider};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{optional, Fields, PriceInput, PriceSnapshot};
use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
            Err(_) if self.storage_gb < 0 => {
                f.fail("storage_gb", "must be a non-negative whole number of GB");
                None
            }
            _ => f
                .check("storage_gb", super::bounds::check_integer(self.storage_gb))
                .and_then(|()| u32::try_from(self.storage_gb).ok()),
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

/// `GET /usage?period=YYYY-MM`: the instances active at any time in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UsageReport {
    pub period: String,
    pub instances: Vec<Server>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::*;

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
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
}
