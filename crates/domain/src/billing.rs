//! Billing: what an instance costs in a calendar month, and the reports built from that.
//!
//! - Hetzner (and `other`): every started hour from creation until deletion, capped at the
//!   monthly price, per calendar month: `min(started_hours * hourly, monthly)`.
//! - DigitalOcean: per second with a 60-second minimum, capped at the monthly price.
//! - License fee: the plan's monthly fee per instance, prorated by started active hours over
//!   the hours of the month (so never more than one month's fee per instance).
//! - Amounts convert to the report currency with the MSP's FX table, then each line rounds
//!   half-even to the currency's minor unit; every total is a sum of rounded lines, so CSV,
//!   PDF and screen agree to the cent.
//! - Nothing here panics on extreme prices, fees or rates: every step is checked, and an
//!   amount that does not fit a `Decimal` is a [`BillingError`] naming the instance (or, for a
//!   total, the client).
//! - A report's order is part of the rule: clients by [`company_order_key`], each client's
//!   lines by [`line_order_key`], whatever order the caller passes them in.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Currency, Money, Period, Provider};

const SECONDS_PER_HOUR: i64 = 3600;
/// DigitalOcean bills at least this many seconds for an instance that ran at all.
const DO_MINIMUM_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error("there is no exchange rate from {0} to {1}; add one to the FX table")]
    MissingRate(String, String),
    /// An unrounded amount that does not fit a `Decimal` and has no instance to name (from
    /// [`FxTable::convert`] and [`license_fee`]; a report names the instance instead).
    #[error("an amount is too large to compute")]
    Overflow,
    /// An instance's hosting cost, license fee or line total does not fit a `Decimal`.
    #[error("the cost of instance {name} ({instance}) is out of range")]
    AmountOutOfRange { instance: Uuid, name: String },
    /// The sum of a client's lines does not fit a `Decimal`.
    #[error("the total of client {name} ({client}) is out of range")]
    ClientTotalOutOfRange { client: Uuid, name: String },
    /// The report's total does not fit a `Decimal` once this client's bill is added.
    #[error("the report total is out of range once client {name} ({client}) is added")]
    ReportTotalOutOfRange { client: Uuid, name: String },
}

/// Why an instance's creation or deletion time is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifetimeError {
    #[error("must not be in the future")]
    CreatedInFuture,
    #[error("must not be in the future")]
    DeletedInFuture,
    #[error("must not be before created_at")]
    DeletedBeforeCreated,
}

impl LifetimeError {
    /// The field the error is about: `created_at` or `deleted_at`.
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            LifetimeError::CreatedInFuture => "created_at",
            LifetimeError::DeletedInFuture | LifetimeError::DeletedBeforeCreated => "deleted_at",
        }
    }
}

/// Every problem with an instance's lifetime as registered at `now`: it may be imported with
/// past times (an existing or historical instance), never with future ones, and is never
/// deleted before it was created.
#[must_use]
pub fn check_lifetime(
    created_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<LifetimeError> {
    let mut problems = Vec::new();
    if created_at > now {
        problems.push(LifetimeError::CreatedInFuture);
    }
    if let Some(deleted_at) = deleted_at {
        if deleted_at > now {
            problems.push(LifetimeError::DeletedInFuture);
        } else if deleted_at < created_at {
            problems.push(LifetimeError::DeletedBeforeCreated);
        }
    }
    problems
}

/// An instance with the price snapshot taken when it was registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedInstance {
    pub id: Uuid,
    pub name: String,
    pub provider: Provider,
    pub server_type: String,
    pub hourly: Decimal,
    pub monthly: Decimal,
    pub currency: Currency,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl PricedInstance {
    /// Seconds the instance was up within `period`, counting only time before `as_of` (for a
    /// month still running).
    #[must_use]
    pub fn active_seconds(&self, period: Period, as_of: DateTime<Utc>) -> i64 {
        let start = self.created_at.max(period.start());
        let mut end = period.end().min(as_of);
        if let Some(deleted) = self.deleted_at {
            end = end.min(deleted);
        }
        end.signed_duration_since(start).num_seconds().max(0)
    }

    /// The hosting cost for `seconds` of activity within one month, in the price's currency,
    /// unrounded. An hourly price so large that the cost does not fit a `Decimal` is
    /// [`BillingError::AmountOutOfRange`] naming this instance.
    pub fn hosting_cost(&self, seconds: i64) -> Result<Decimal, BillingError> {
        if seconds <= 0 {
            return Ok(Decimal::ZERO);
        }
        let uncapped = match self.provider {
            Provider::Hetzner | Provider::Other => {
                Decimal::from(started_hours(seconds)).checked_mul(self.hourly)
            }
            Provider::Digitalocean => Decimal::from(seconds.max(DO_MINIMUM_SECONDS))
                .checked_mul(self.hourly)
                .and_then(|d| d.checked_div(Decimal::from(SECONDS_PER_HOUR))),
        };
        uncapped
            .map(|cost| cost.min(self.monthly))
            .ok_or_else(|| self.out_of_range())
    }

    /// The error naming this instance for an amount of it that does not fit a `Decimal`.
    fn out_of_range(&self) -> BillingError {
        BillingError::AmountOutOfRange {
            instance: self.id,
            name: self.name.clone(),
        }
    }
}

/// Hours begun: 1 second is 1 hour, 3600 seconds is 1 hour, 3601 seconds are 2. Defined (and
/// overflow-free) for every `i64`.
#[must_use]
pub fn started_hours(seconds: i64) -> i64 {
    if seconds <= 0 {
        0
    } else {
        // Not `(seconds + 3599) / 3600`, which overflows near `i64::MAX`.
        seconds / SECONDS_PER_HOUR + i64::from(seconds % SECONDS_PER_HOUR != 0)
    }
}

/// The license fee for one instance active `seconds` in `period`: the monthly fee prorated by
/// started hours, at most the whole fee. Unrounded. A fee so large that the proration does not
/// fit a `Decimal` is [`BillingError::Overflow`] (a report names the instance instead).
pub fn license_fee(
    monthly_fee: Decimal,
    seconds: i64,
    period: Period,
) -> Result<Decimal, BillingError> {
    let month_hours = i64::from(period.hours());
    if month_hours == 0 {
        return Ok(Decimal::ZERO);
    }
    let hours = started_hours(seconds).min(month_hours);
    monthly_fee
        .checked_mul(Decimal::from(hours))
        .and_then(|d| d.checked_div(Decimal::from(month_hours)))
        .ok_or(BillingError::Overflow)
}

/// How a report (and the desk's client list) orders clients, alphabetically as a reader
/// expects and the same on every machine: first by the name transliterated to ASCII and
/// lower-cased ("Łódź" as "lodz", "Émile" as "emile", "Straße" as "strasse", "ΣΟΦΙΑ" as
/// "sophia"), so letters with diacritics sort with their base letter rather than after "z";
/// then by the name lower-cased with Rust's [`str::to_lowercase`]; then by the name exactly as
/// written (names differing only in case); then by the client id (equal names). No locale's
/// collation and no database's `lower()` is involved, so the server and the desk agree.
#[must_use]
pub fn company_order_key(company_name: &str, client_id: Uuid) -> (String, String, String, Uuid) {
    (
        crate::text::fold(company_name),
        company_name.to_lowercase(),
        company_name.to_owned(),
        client_id,
    )
}

/// How a client's bill orders its lines: by the instance's creation time, then by its id.
#[must_use]
pub fn line_order_key(instance: &PricedInstance) -> (DateTime<Utc>, Uuid) {
    (instance.created_at, instance.id)
}

/// [`company_order_key`] as a comparator over billing inputs.
fn company_order(a: &ClientBillingInput, b: &ClientBillingInput) -> Ordering {
    company_order_key(&a.company_name, a.client_id)
        .cmp(&company_order_key(&b.company_name, b.client_id))
}

/// One exchange rate: 1 unit of `currency` is `rate` units of the report currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FxRate {
    /// Serialised as its ISO 4217 code.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "USD"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.92"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub rate: Decimal,
}

/// The MSP's exchange rates into its billing currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FxTable {
    base: Currency,
    rates: BTreeMap<&'static str, Decimal>,
}

impl FxTable {
    #[must_use]
    pub fn new(base: Currency) -> Self {
        Self {
            base,
            rates: BTreeMap::new(),
        }
    }

    /// Adds "1 `currency` = `rate` base units". The base itself is always 1.
    #[must_use]
    pub fn with_rate(mut self, currency: Currency, rate: Decimal) -> Self {
        if currency != self.base {
            self.rates.insert(currency.code(), rate);
        }
        self
    }

    #[must_use]
    pub const fn base(&self) -> Currency {
        self.base
    }

    /// Converts an amount into the base currency (unrounded).
    pub fn convert(&self, amount: Decimal, from: Currency) -> Result<Decimal, BillingError> {
        if from == self.base {
            return Ok(amount);
        }
        let rate = self.rates.get(from.code()).ok_or_else(|| {
            BillingError::MissingRate(from.code().to_owned(), self.base.code().to_owned())
        })?;
        amount.checked_mul(*rate).ok_or(BillingError::Overflow)
    }

    fn rate_of(&self, currency: Currency) -> Option<FxRate> {
        self.rates.get(currency.code()).map(|rate| FxRate {
            currency,
            rate: *rate,
        })
    }
}

/// What billing needs to know about a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientBillingInput {
    pub client_id: Uuid,
    pub company_name: String,
    pub plan_name: String,
    /// The plan's monthly license fee per instance.
    pub license_fee: Money,
    pub instances: Vec<PricedInstance>,
}

/// One instance's line of a client's bill, in the report currency, rounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingLine {
    pub instance_id: Uuid,
    pub instance_name: String,
    pub provider: Provider,
    pub server_type: String,
    /// Hours begun while active in the period.
    pub active_hours: i64,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub hosting_cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub license_fee: Decimal,
    /// `hosting_cost + license_fee`.
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub total: Decimal,
}

/// A client's bill for the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientBill {
    pub client_id: Uuid,
    pub company_name: String,
    pub plan_name: String,
    /// Instances active at any time in the period.
    pub server_count: u64,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub hosting_cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub license_fees: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub total: Decimal,
    pub lines: Vec<BillingLine>,
}

/// A billing report: one client, or all of them, for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BillingReport {
    /// `YYYY-MM`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-11"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub period: Period,
    /// The currency of every amount in the report (serialised as its ISO 4217 code).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub currency: Currency,
    /// Amounts count activity up to this instant (the end of the period, or now for the
    /// current month).
    pub as_of: DateTime<Utc>,
    /// The exchange rates used, if any amount was converted.
    pub fx_rates: Vec<FxRate>,
    pub clients: Vec<ClientBill>,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub hosting_cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub license_fees: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub total: Decimal,
}

impl BillingReport {
    /// Number of line items over all clients.
    #[must_use]
    pub fn line_count(&self) -> usize {
        self.clients.iter().map(|c| c.lines.len()).sum()
    }

    /// `amount` as [`Money::plain_amount`] writes it in the report's currency: exactly its
    /// minor-unit digits ("19.00" EUR, "1000" JPY, "1.234" BHD).
    #[must_use]
    pub fn plain_amount(&self, amount: Decimal) -> String {
        Money::new(amount, self.currency).plain_amount()
    }
}

fn rounded(amount: Decimal, currency: Currency) -> Decimal {
    Money::new(amount, currency).rounded().amount()
}

/// Sums `amounts`, `None` if the sum does not fit a `Decimal`.
fn checked_sum(amounts: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    amounts
        .into_iter()
        .try_fold(Decimal::ZERO, Decimal::checked_add)
}

/// Bills one client for `period`, counting activity up to `as_of`. Lines are in
/// [`line_order_key`] order, whatever the order of `input.instances`.
pub fn bill_client(
    input: &ClientBillingInput,
    period: Period,
    as_of: DateTime<Utc>,
    fx: &FxTable,
    used: &mut Vec<Currency>,
) -> Result<ClientBill, BillingError> {
    let base = fx.base();
    let mut instances: Vec<&PricedInstance> = input.instances.iter().collect();
    instances.sort_by_key(|i| line_order_key(i));
    let mut lines = Vec::new();
    for inst in instances {
        let seconds = inst.active_seconds(period, as_of);
        if seconds == 0 {
            continue;
        }
        // A missing rate stays a missing rate; an overflow anywhere names the instance.
        let name_instance = |e: BillingError| match e {
            BillingError::Overflow => inst.out_of_range(),
            other => other,
        };
        let hosting = fx
            .convert(inst.hosting_cost(seconds)?, inst.currency)
            .map_err(name_instance)?;
        let license = license_fee(input.license_fee.amount(), seconds, period)
            .and_then(|fee| fx.convert(fee, input.license_fee.currency()))
            .map_err(name_instance)?;
        for c in [inst.currency, input.license_fee.currency()] {
            if c != base && !used.contains(&c) {
                used.push(c);
            }
        }
        let hosting_cost = rounded(hosting, base);
        let license_fee = rounded(license, base);
        lines.push(BillingLine {
            instance_id: inst.id,
            instance_name: inst.name.clone(),
            provider: inst.provider,
            server_type: inst.server_type.clone(),
            active_hours: started_hours(seconds),
            hosting_cost,
            license_fee,
            total: hosting_cost
                .checked_add(license_fee)
                .ok_or_else(|| inst.out_of_range())?,
        });
    }
    let client_total_error = || BillingError::ClientTotalOutOfRange {
        client: input.client_id,
        name: input.company_name.clone(),
    };
    let hosting_cost =
        checked_sum(lines.iter().map(|l| l.hosting_cost)).ok_or_else(client_total_error)?;
    let license_fees =
        checked_sum(lines.iter().map(|l| l.license_fee)).ok_or_else(client_total_error)?;
    Ok(ClientBill {
        client_id: input.client_id,
        company_name: input.company_name.clone(),
        plan_name: input.plan_name.clone(),
        server_count: lines.len() as u64,
        hosting_cost,
        license_fees,
        total: hosting_cost
            .checked_add(license_fees)
            .ok_or_else(client_total_error)?,
        lines,
    })
}

/// The report for `clients` in `period`. Activity counts up to `as_of` (pass the period's end,
/// or now, whichever is earlier). Clients are in [`company_order_key`] order and each client's
/// lines in [`line_order_key`] order, whatever order they are passed in, so every caller gets
/// the same report from the same data.
pub fn billing_report(
    clients: &[ClientBillingInput],
    period: Period,
    as_of: DateTime<Utc>,
    fx: &FxTable,
) -> Result<BillingReport, BillingError> {
    let as_of = as_of.min(period.end());
    let mut ordered: Vec<&ClientBillingInput> = clients.iter().collect();
    ordered.sort_by(|a, b| company_order(a, b));
    let mut used = Vec::new();
    let bills = ordered
        .into_iter()
        .map(|c| bill_client(c, period, as_of, fx, &mut used))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut hosting_cost, mut license_fees, mut total) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for bill in &bills {
        let add = |sum: Decimal, amount: Decimal| {
            sum.checked_add(amount)
                .ok_or_else(|| BillingError::ReportTotalOutOfRange {
                    client: bill.client_id,
                    name: bill.company_name.clone(),
                })
        };
        hosting_cost = add(hosting_cost, bill.hosting_cost)?;
        license_fees = add(license_fees, bill.license_fees)?;
        total = add(total, bill.total)?;
    }
    used.sort_by_key(|c| c.code());
    Ok(BillingReport {
        period,
        currency: fx.base(),
        as_of,
        fx_rates: used.into_iter().filter_map(|c| fx.rate_of(c)).collect(),
        clients: bills,
        hosting_cost,
        license_fees,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn inst(
        provider: Provider,
        hourly: Decimal,
        monthly: Decimal,
        created: &str,
        deleted: Option<&str>,
    ) -> PricedInstance {
        PricedInstance {
            id: Uuid::now_v7(),
            name: "i".into(),
            provider,
            server_type: "x".into(),
            hourly,
            monthly,
            currency: Currency::EUR,
            created_at: t(created),
            deleted_at: deleted.map(t),
        }
    }

    fn nov() -> Period {
        Period::parse("2026-11").unwrap()
    }

    #[test]
    fn hetzner_bills_started_hours_capped() {
        let i = inst(
            Provider::Hetzner,
            dec!(0.0121),
            dec!(7.55),
            "2026-11-10T10:00:00Z",
            Some("2026-11-10T12:00:01Z"),
        );
        let secs = i.active_seconds(nov(), nov().end());
        assert_eq!(secs, 7201);
        assert_eq!(started_hours(secs), 3);
        assert_eq!(i.hosting_cost(secs).unwrap(), dec!(0.0363));
        // A whole month hits the cap: 720 h * 0.0121 = 8.712 > 7.55.
        let all = inst(
            Provider::Hetzner,
            dec!(0.0121),
            dec!(7.55),
            "2026-01-01T00:00:00Z",
            None,
        );
        assert_eq!(
            all.hosting_cost(all.active_seconds(nov(), nov().end()))
                .unwrap(),
            dec!(7.55)
        );
        // One second is a started hour.
        assert_eq!(i.hosting_cost(1).unwrap(), dec!(0.0121));
        assert_eq!(i.hosting_cost(0).unwrap(), dec!(0));
    }

    #[test]
    fn lifetime_rules() {
        let now = t("2026-11-28T12:00:00Z");
        assert!(check_lifetime(t("2026-01-01T00:00:00Z"), None, now).is_empty());
        assert!(check_lifetime(now, Some(now), now).is_empty());
        assert_eq!(
            check_lifetime(
                t("2026-12-01T00:00:00Z"),
                Some(t("2026-12-02T00:00:00Z")),
                now
            ),
            [
                LifetimeError::CreatedInFuture,
                LifetimeError::DeletedInFuture
            ]
        );
        assert_eq!(
            check_lifetime(
                t("2026-11-02T00:00:00Z"),
                Some(t("2026-11-01T00:00:00Z")),
                now
            ),
            [LifetimeError::DeletedBeforeCreated]
        );
        assert_eq!(LifetimeError::DeletedBeforeCreated.field(), "deleted_at");
    }

    #[test]
    fn digitalocean_bills_seconds_with_a_minute_minimum() {
        let d = inst(
            Provider::Digitalocean,
            dec!(0.03571),
            dec!(24.00),
            "2026-11-01T00:00:00Z",
            None,
        );
        assert_eq!(
            d.hosting_cost(30).unwrap(),
            dec!(60) * dec!(0.03571) / dec!(3600)
        );
        assert_eq!(
            d.hosting_cost(5400).unwrap(),
            dec!(5400) * dec!(0.03571) / dec!(3600)
        );
        assert_eq!(d.hosting_cost(30 * 24 * 3600).unwrap(), dec!(24.00));
    }

    #[test]
    fn license_fee_prorates_by_started_hours() {
        assert_eq!(
            license_fee(dec!(19.00), 720 * 3600, nov()).unwrap(),
            dec!(19.00)
        );
        assert_eq!(
            license_fee(dec!(19.00), 360 * 3600, nov()).unwrap(),
            dec!(9.50)
        );
        assert_eq!(license_fee(dec!(72.00), 1, nov()).unwrap(), dec!(0.1));
        assert_eq!(license_fee(dec!(19.00), 0, nov()).unwrap(), dec!(0));
        // Never more than a month.
        assert_eq!(
            license_fee(dec!(19.00), 10_000 * 3600, nov()).unwrap(),
            dec!(19.00)
        );
    }

    #[test]
    fn active_window_clips_to_period_and_as_of() {
        let i = inst(
            Provider::Hetzner,
            dec!(1),
            dec!(1000),
            "2026-10-31T23:00:00Z",
            Some("2026-12-01T01:00:00Z"),
        );
        assert_eq!(i.active_seconds(nov(), nov().end()), 720 * 3600);
        assert_eq!(
            i.active_seconds(nov(), t("2026-11-02T00:00:00Z")),
            24 * 3600
        );
        assert_eq!(
            i.active_seconds(Period::parse("2026-09").unwrap(), nov().end()),
            0
        );
        assert_eq!(i.active_seconds(nov(), t("2026-10-01T00:00:00Z")), 0);
    }

    #[test]
    fn report_converts_rounds_and_sums_rounded_lines() {
        let mut usd = inst(
            Provider::Digitalocean,
            dec!(0.00893),
            dec!(6.00),
            "2026-11-01T00:00:00Z",
            None,
        );
        usd.currency = Currency::USD;
        let hz = inst(
            Provider::Hetzner,
            dec!(0.0060),
            dec!(3.79),
            "2026-11-15T08:20:00Z",
            None,
        );
        let client = ClientBillingInput {
            client_id: Uuid::now_v7(),
            company_name: "Müller GmbH".into(),
            plan_name: "Business".into(),
            license_fee: Money::new(dec!(19.00), Currency::EUR),
            instances: vec![usd, hz],
        };
        let fx = FxTable::new(Currency::EUR).with_rate(Currency::USD, dec!(0.92));
        let report =
            billing_report(std::slice::from_ref(&client), nov(), nov().end(), &fx).unwrap();
        let bill = &report.clients[0];
        assert_eq!(bill.lines.len(), 2);
        // 6.00 USD (capped) * 0.92 = 5.52 EUR.
        assert_eq!(bill.lines[0].hosting_cost, dec!(5.52));
        assert_eq!(bill.lines[0].license_fee, dec!(19.00));
        // 15 Nov 08:20 to 1 Dec: 15 days 15 h 40 min -> 376 started hours; 376 * 0.006 = 2.256.
        assert_eq!(bill.lines[1].active_hours, 376);
        assert_eq!(bill.lines[1].hosting_cost, dec!(2.26));
        // 19 * 376 / 720 = 9.9222... -> 9.92
        assert_eq!(bill.lines[1].license_fee, dec!(9.92));
        assert_eq!(
            bill.total,
            dec!(5.52) + dec!(19.00) + dec!(2.26) + dec!(9.92)
        );
        assert_eq!(report.total, bill.total);
        assert_eq!(
            report.fx_rates,
            vec![FxRate {
                currency: Currency::USD,
                rate: dec!(0.92)
            }]
        );

        let no_rate = FxTable::new(Currency::EUR);
        assert_eq!(
            billing_report(&[client], nov(), nov().end(), &no_rate),
            Err(BillingError::MissingRate("USD".into(), "EUR".into()))
        );
    }

    fn arb_provider() -> impl Strategy<Value = Provider> {
        prop_oneof![
            Just(Provider::Hetzner),
            Just(Provider::Digitalocean),
            Just(Provider::Other)
        ]
    }

    prop_compose! {
        fn arb_instance()(
            provider in arb_provider(),
            hourly_milli in 1i64..200_000,
            cap_hours in 400i64..800,
            start in 0i64..(120 * 24 * 3600),
            len in proptest::option::of(0i64..(90 * 24 * 3600)),
        ) -> PricedInstance {
            let hourly = Decimal::new(hourly_milli, 6);
            let origin = Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap();
            let created_at = origin + Duration::seconds(start);
            PricedInstance {
                id: Uuid::nil(),
                name: "p".into(),
                provider,
                server_type: "t".into(),
                hourly,
                monthly: hourly * Decimal::from(cap_hours),
                currency: Currency::EUR,
                created_at,
                deleted_at: len.map(|l| created_at + Duration::seconds(l)),
            }
        }
    }

    fn months() -> Vec<Period> {
        [
            "2026-08", "2026-09", "2026-10", "2026-11", "2026-12", "2027-01",
        ]
        .iter()
        .map(|p| Period::parse(p).unwrap())
        .collect()
    }

    proptest! {
        #[test]
        fn a_line_never_exceeds_its_cap(i in arb_instance()) {
            for p in months() {
                let cost = i.hosting_cost(i.active_seconds(p, p.end())).unwrap();
                prop_assert!(cost <= i.monthly);
                prop_assert!(cost >= Decimal::ZERO);
                prop_assert!(license_fee(dec!(19), i.active_seconds(p, p.end()), p).unwrap() <= dec!(19));
            }
        }

        #[test]
        fn cost_is_monotone_in_time(i in arb_instance(), a in 0i64..(40 * 24 * 3600), b in 0i64..(40 * 24 * 3600)) {
            let p = Period::parse("2026-10").unwrap();
            let (early, late) = (p.start() + Duration::seconds(a.min(b)), p.start() + Duration::seconds(a.max(b)));
            let c1 = i.hosting_cost(i.active_seconds(p, early)).unwrap();
            let c2 = i.hosting_cost(i.active_seconds(p, late)).unwrap();
            prop_assert!(c1 <= c2, "{c1} > {c2}");
            prop_assert!(license_fee(dec!(19), i.active_seconds(p, early), p).unwrap() <= license_fee(dec!(19), i.active_seconds(p, late), p).unwrap());
        }

        #[test]
        fn outside_the_period_costs_nothing(i in arb_instance()) {
            for p in months() {
                let ends_before = i.deleted_at.is_some_and(|d| d <= p.start());
                let starts_after = i.created_at >= p.end();
                if ends_before || starts_after {
                    prop_assert_eq!(i.active_seconds(p, p.end()), 0);
                    prop_assert_eq!(i.hosting_cost(0).unwrap(), Decimal::ZERO);
                }
            }
        }

        /// An instance running across a month boundary costs, over the two months' reports,
        /// exactly what two instances cost if it were deleted at the boundary and re-created
        /// there: billing never double-counts or loses the boundary.
        #[test]
        fn splitting_at_a_month_boundary_changes_nothing(i in arb_instance()) {
            let (oct, nov) = (Period::parse("2026-10").unwrap(), Period::parse("2026-11").unwrap());
            let boundary = nov.start();
            prop_assume!(i.created_at < boundary && i.deleted_at.is_none_or(|d| d > boundary));
            let whole: Decimal = [oct, nov].iter().map(|p| i.hosting_cost(i.active_seconds(*p, p.end())).unwrap()).sum();
            let first = PricedInstance { deleted_at: Some(boundary), ..i.clone() };
            let second = PricedInstance { created_at: boundary, ..i.clone() };
            let split: Decimal = [oct, nov]
                .iter()
                .map(|p| first.hosting_cost(first.active_seconds(*p, p.end())).unwrap() + second.hosting_cost(second.active_seconds(*p, p.end())).unwrap())
                .sum();
            prop_assert_eq!(whole, split);
        }

        #[test]
        fn report_totals_are_sums_of_rounded_lines(instances in proptest::collection::vec(arb_instance(), 0..12)) {
            let client = ClientBillingInput {
                client_id: Uuid::nil(),
                company_name: "c".into(),
                plan_name: "p".into(),
                license_fee: Money::new(dec!(19.99), Currency::EUR),
                instances,
            };
            let p = Period::parse("2026-10").unwrap();
            let r = billing_report(&[client.clone(), client], p, p.end(), &FxTable::new(Currency::EUR)).unwrap();
            let mut sum = Decimal::ZERO;
            for bill in &r.clients {
                for l in &bill.lines {
                    prop_assert!(l.hosting_cost.scale() <= 2 && l.license_fee.scale() <= 2);
                    prop_assert_eq!(l.total, l.hosting_cost + l.license_fee);
                }
                prop_assert_eq!(bill.total, bill.lines.iter().map(|l| l.total).sum::<Decimal>());
                sum += bill.total;
            }
            prop_assert_eq!(r.total, sum);
            prop_assert_eq!(r.total, r.hosting_cost + r.license_fees);
        }
    }

    fn big_instance(n: u128, name: &str, amount: Decimal) -> PricedInstance {
        PricedInstance {
            id: Uuid::from_u128(n),
            name: name.into(),
            provider: Provider::Hetzner,
            server_type: "x".into(),
            hourly: amount,
            monthly: amount,
            currency: Currency::EUR,
            created_at: t("2026-11-10T00:00:00Z"),
            deleted_at: Some(t("2026-11-10T00:30:00Z")),
        }
    }

    fn client_with(
        n: u128,
        name: &str,
        fee: Money,
        instances: Vec<PricedInstance>,
    ) -> ClientBillingInput {
        ClientBillingInput {
            client_id: Uuid::from_u128(n),
            company_name: name.into(),
            plan_name: "p".into(),
            license_fee: fee,
            instances,
        }
    }

    #[test]
    fn an_amount_out_of_range_names_the_instance() {
        let eur = FxTable::new(Currency::EUR);
        let zero_fee = Money::zero(Currency::EUR);
        // The hourly price times the started hours does not fit.
        let mut huge = big_instance(7, "huge-01", Decimal::MAX);
        huge.deleted_at = None;
        let err = billing_report(
            &[client_with(1, "Acme", zero_fee, vec![huge.clone()])],
            nov(),
            nov().end(),
            &eur,
        )
        .unwrap_err();
        assert_eq!(
            err,
            BillingError::AmountOutOfRange {
                instance: huge.id,
                name: "huge-01".into()
            }
        );
        assert_eq!(
            err.to_string(),
            format!("the cost of instance huge-01 ({}) is out of range", huge.id)
        );
        assert_eq!(huge.hosting_cost(720 * 3600), Err(err));

        // The conversion does not fit: the instance is named, not a bare overflow.
        let mut usd = big_instance(8, "usd-01", dec!(1000));
        usd.currency = Currency::USD;
        let fx = FxTable::new(Currency::EUR).with_rate(Currency::USD, Decimal::MAX);
        assert_eq!(
            billing_report(
                &[client_with(1, "Acme", zero_fee, vec![usd.clone()])],
                nov(),
                nov().end(),
                &fx
            ),
            Err(BillingError::AmountOutOfRange {
                instance: usd.id,
                name: "usd-01".into()
            })
        );

        // The license fee's proration does not fit.
        // A whole month: Decimal::MAX * 720 hours does not fit (one hour would: MAX * 1 / 720).
        let mut small = big_instance(9, "small-01", dec!(1));
        small.deleted_at = None;
        let huge_fee = Money::new(Decimal::MAX, Currency::EUR);
        assert_eq!(
            license_fee(Decimal::MAX, 720 * 3600, nov()),
            Err(BillingError::Overflow)
        );
        assert_eq!(
            billing_report(
                &[client_with(1, "Acme", huge_fee, vec![small.clone()])],
                nov(),
                nov().end(),
                &eur
            ),
            Err(BillingError::AmountOutOfRange {
                instance: small.id,
                name: "small-01".into()
            })
        );

        // A missing rate is still reported as such.
        assert_eq!(
            billing_report(
                &[client_with(1, "Acme", zero_fee, vec![usd])],
                nov(),
                nov().end(),
                &eur
            ),
            Err(BillingError::MissingRate("USD".into(), "EUR".into()))
        );
    }

    #[test]
    fn totals_out_of_range_name_the_client() {
        let eur = FxTable::new(Currency::EUR);
        let zero_fee = Money::zero(Currency::EUR);
        // Each line fits (5e28 < Decimal::MAX ~ 7.9e28); two of them do not.
        let half = dec!(50_000_000_000_000_000_000_000_000_000);
        let two = client_with(
            1,
            "Twice GmbH",
            zero_fee,
            vec![big_instance(11, "a", half), big_instance(12, "b", half)],
        );
        let err = billing_report(std::slice::from_ref(&two), nov(), nov().end(), &eur).unwrap_err();
        assert_eq!(
            err,
            BillingError::ClientTotalOutOfRange {
                client: two.client_id,
                name: "Twice GmbH".into()
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "the total of client Twice GmbH ({}) is out of range",
                two.client_id
            )
        );
        // Two clients that each fit: the one whose bill tips the report over is named.
        let first = client_with(2, "Alpha", zero_fee, vec![big_instance(21, "a", half)]);
        let second = client_with(3, "Beta", zero_fee, vec![big_instance(31, "b", half)]);
        assert_eq!(
            billing_report(&[second.clone(), first], nov(), nov().end(), &eur),
            Err(BillingError::ReportTotalOutOfRange {
                client: second.client_id,
                name: "Beta".into()
            })
        );
    }

    #[test]
    fn started_hours_never_overflows() {
        assert_eq!(started_hours(i64::MAX), i64::MAX / 3600 + 1);
        assert_eq!(started_hours(i64::MIN), 0);
        assert_eq!(started_hours(3600), 1);
        assert_eq!(started_hours(3601), 2);
        assert_eq!(started_hours(1), 1);
        let i = big_instance(1, "x", dec!(1));
        assert_eq!(i.hosting_cost(i64::MAX), Ok(dec!(1)));
        assert_eq!(license_fee(dec!(19), i64::MAX, nov()), Ok(dec!(19)));
    }

    /// Names that SQL `lower()` and Rust `to_lowercase()` may order differently, names that
    /// differ only in case, and equal names.
    const TRICKY: [&str; 12] = [
        "Straße",
        "STRASSE",
        "strasse",
        "İstanbul",
        "Istanbul",
        "istanbul",
        "ΣΟΦΙΑ",
        "σοφια",
        "Σοφία",
        "Acme",
        "ACME",
        "Acme",
    ];

    fn tricky_clients() -> Vec<ClientBillingInput> {
        TRICKY
            .iter()
            .zip(1u128..)
            .map(|(name, n)| {
                let mut a = inst(
                    Provider::Hetzner,
                    dec!(0.01),
                    dec!(5),
                    "2026-11-02T00:00:00Z",
                    None,
                );
                let mut b = inst(
                    Provider::Digitalocean,
                    dec!(0.02),
                    dec!(9),
                    "2026-11-01T00:00:00Z",
                    None,
                );
                let mut c = inst(
                    Provider::Hetzner,
                    dec!(0.03),
                    dec!(7),
                    "2026-11-02T00:00:00Z",
                    None,
                );
                // Same creation time as `a`: the id decides.
                a.id = Uuid::from_u128(n * 100 + 2);
                b.id = Uuid::from_u128(n * 100 + 3);
                c.id = Uuid::from_u128(n * 100 + 1);
                client_with(n, name, Money::new(dec!(19), Currency::EUR), vec![a, b, c])
            })
            .collect()
    }

    #[test]
    fn report_order_is_the_domain_rule_whatever_the_input_order() {
        let fx = FxTable::new(Currency::EUR);
        let clients = tricky_clients();
        let expected = billing_report(&clients, nov(), nov().end(), &fx).unwrap();
        let order: Vec<(&str, u128)> = expected
            .clients
            .iter()
            .map(|c| (c.company_name.as_str(), c.client_id.as_u128()))
            .collect();
        assert_eq!(
            order,
            [
                ("ACME", 11),
                ("Acme", 10),
                ("Acme", 12),
                ("Istanbul", 5),
                ("istanbul", 6),
                ("İstanbul", 4),
                ("Σοφία", 9),
                ("ΣΟΦΙΑ", 7),
                ("σοφια", 8),
                ("STRASSE", 2),
                ("strasse", 3),
                ("Straße", 1),
            ]
        );
        for bill in &expected.clients {
            let n = bill.client_id.as_u128();
            let ids: Vec<u128> = bill.lines.iter().map(|l| l.instance_id.as_u128()).collect();
            // Created 1 Nov first, then the two of 2 Nov by id.
            assert_eq!(ids, [n * 100 + 3, n * 100 + 1, n * 100 + 2]);
        }
        // Every rotation and its reverse, each with every client's instances reversed too.
        for k in 0..clients.len() {
            let mut shuffled = clients.clone();
            shuffled.rotate_left(k);
            for reverse in [false, true] {
                if reverse {
                    shuffled.reverse();
                }
                for c in &mut shuffled {
                    c.instances.reverse();
                }
                let report = billing_report(&shuffled, nov(), nov().end(), &fx).unwrap();
                assert_eq!(report, expected, "rotation {k}, reversed {reverse}");
            }
        }
    }

    #[test]
    fn company_order_key_orders_letters_then_case_then_name_then_id() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(company_order_key("acme", b) < company_order_key("Bolt", a));
        assert!(company_order_key("ACME", b) < company_order_key("Acme", a));
        assert!(company_order_key("Acme", a) < company_order_key("Acme", b));
        assert_eq!(company_order_key("Straße", a).0, "strasse");
        // Letters with diacritics sort with their base letter, not after "z".
        assert!(company_order_key("Łódź Hosting", b) < company_order_key("Société", a));
        assert!(company_order_key("Émile", b) < company_order_key("Zeta", a));
        assert!(company_order_key("Müller", b) < company_order_key("Nord", a));
        assert!(company_order_key("Zürich", a) > company_order_key("Zeta", b));
    }

    fn arb_decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            Just(Decimal::MAX),
            Just(Decimal::MIN),
            Just(Decimal::ZERO),
            Just(Decimal::ONE),
            Just(Decimal::new(1, 28)),
            Just(Decimal::new(-1, 28)),
            Just(Decimal::from_parts(u32::MAX, u32::MAX, u32::MAX, false, 28)),
            Just(dec!(50_000_000_000_000_000_000_000_000_000)),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<bool>(),
                0u32..=28
            )
                .prop_map(|(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale)),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        ]
    }

    fn arb_currency() -> impl Strategy<Value = Currency> {
        prop_oneof![
            Just(Currency::EUR),
            Just(Currency::USD),
            Just(Currency::JPY),
            Just(Currency::BHD),
        ]
    }

    fn arb_time() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
            (0i64..(120 * 24 * 3600)).prop_map(|s| {
                Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap() + Duration::seconds(s)
            }),
        ]
    }

    prop_compose! {
        fn arb_extreme_instance()(
            provider in arb_provider(),
            hourly in arb_decimal(),
            monthly in arb_decimal(),
            currency in arb_currency(),
            created_at in arb_time(),
            deleted_at in proptest::option::of(arb_time()),
            n in any::<u128>(),
        ) -> PricedInstance {
            PricedInstance {
                id: Uuid::from_u128(n),
                name: "extreme".into(),
                provider,
                server_type: "t".into(),
                hourly,
                monthly,
                currency,
                created_at,
                deleted_at,
            }
        }
    }

    prop_compose! {
        fn arb_extreme_client()(
            n in any::<u128>(),
            name in proptest::sample::select(TRICKY.to_vec()),
            fee in arb_decimal(),
            fee_currency in arb_currency(),
            instances in proptest::collection::vec(arb_extreme_instance(), 0..4),
        ) -> ClientBillingInput {
            client_with(n, name, Money::new(fee, fee_currency), instances)
        }
    }

    proptest! {
        /// Whatever the prices, fees, rates and times, a report is computed or refused with an
        /// error; it never panics.
        #[test]
        fn billing_report_never_panics(
            clients in proptest::collection::vec(arb_extreme_client(), 0..4),
            base in arb_currency(),
            rates in proptest::collection::vec((arb_currency(), arb_decimal()), 0..4),
            as_of in arb_time(),
            p in proptest::sample::select(months()),
        ) {
            let fx = rates.into_iter().fold(FxTable::new(base), |fx, (c, r)| fx.with_rate(c, r));
            match billing_report(&clients, p, as_of, &fx) {
                Ok(r) => {
                    prop_assert_eq!(r.total, r.clients.iter().map(|c| c.total).sum::<Decimal>());
                    for c in &r.clients {
                        prop_assert_eq!(c.total, c.hosting_cost + c.license_fees);
                    }
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}
