//! Plans, the price table, exchange rates.

use mspdesk_domain::{Currency, Label, Provider, Quotas};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Fields;
use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    /// Monthly license fee per instance, a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "19.00")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub license_fee_per_instance: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    #[schema(value_type = String, example = "EUR")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
    pub default_quotas: Quotas,
}

/// A price: hourly, capped at `monthly` per calendar month, in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PriceSnapshot {
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.0121")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub hourly: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "7.55")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub monthly: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    #[schema(value_type = String, example = "EUR")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
}

/// One server type of the MSP's price table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Price {
    pub provider: Provider,
    pub server_type: String,
    pub description: String,
    pub price: PriceSnapshot,
}

/// `PUT /prices/{provider}/{server_type}`: a server type's price (created if new).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FxTableBody {
    /// ISO 4217 code of the billing currency, e.g. "EUR".
    #[schema(value_type = String, example = "EUR")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
    /// 1 unit of each listed currency is `rate` units of the billing currency.
    pub rates: Vec<FxRateBody>,
}

/// One exchange rate of an [`FxTableBody`]: 1 unit of `currency` is `rate` billing units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FxRateBody {
    /// ISO 4217 code, e.g. "USD".
    #[schema(value_type = String, example = "USD")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = String, example = "0.92")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub rate: Decimal,
}

/// `PUT /fx`: replaces the billing currency and the rates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct UpdateFx {
    pub currency: String,
    pub rates: Vec<FxRateInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FxRateInput {
    pub currency: String,
    pub rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFx {
    pub currency: Currency,
    pub rates: Vec<(Currency, Decimal)>,
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
            let field = format!("rates[{i}].rate");
            let rate = match r.rate.trim().parse::<Decimal>() {
                Ok(d) if d > Decimal::ZERO => {
                    f.check(&field, super::bounds::FX_RATE.check(d)).map(|()| d)
                }
                _ => {
                    f.fail(&field, "must be a positive decimal such as 0.92");
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

/// The price of an `other` instance, which the price table does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub hourly: String,
    pub monthly: String,
    pub currency: String,
}

impl PriceInput {
    pub(super) fn check(&self, f: &mut Fields) -> Option<PriceSnapshot> {
        self.check_fields(f, "price.")
    }

    pub(super) fn check_fields(&self, f: &mut Fields, prefix: &str) -> Option<PriceSnapshot> {
        let mut amount =
            |field: &str, s: &str, column: super::bounds::DecimalColumn| -> Option<Decimal> {
                match s.trim().parse::<Decimal>() {
                    Ok(d) if d >= Decimal::ZERO => f.check(field, column.check(d)).map(|()| d),
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
        let hourly = amount(
            &format!("{prefix}hourly"),
            &self.hourly,
            super::bounds::HOURLY,
        );
        let monthly = amount(
            &format!("{prefix}monthly"),
            &self.monthly,
            super::bounds::MONTHLY,
        );
        let currency = f.check(
            &format!("{prefix}currency"),
            mspdesk_domain::parse_currency(&self.currency),
        );
        Some(PriceSnapshot {
            hourly: hourly?,
            monthly: monthly?,
            currency: currency?,
        })
    }
}
