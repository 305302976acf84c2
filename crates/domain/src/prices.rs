//! Hosting providers and the default price table.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where a Cloud OS instance runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Hetzner,
    Digitalocean,
    /// Anything else; the instance carries its own price.
    Other,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Hetzner, Provider::Digitalocean, Provider::Other];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Hetzner => "hetzner",
            Provider::Digitalocean => "digitalocean",
            Provider::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hetzner" => Some(Provider::Hetzner),
            "digitalocean" => Some(Provider::Digitalocean),
            "other" => Some(Provider::Other),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a price cannot go into a price table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ListPriceError {
    #[error("must be more than zero")]
    ZeroHourly,
    #[error("must be at least the hourly price (it caps a month of hours)")]
    CapBelowHourly,
}

impl ListPriceError {
    /// The field the error is about: `hourly` or `monthly`.
    #[must_use]
    pub const fn field(self) -> &'static str {
        match self {
            ListPriceError::ZeroHourly => "hourly",
            ListPriceError::CapBelowHourly => "monthly",
        }
    }
}

/// A price-table entry is billable: an hourly price above zero and a monthly cap of at least
/// one hour. (Non-negative amounts are checked where they are parsed.)
pub fn check_list_price(hourly: Decimal, monthly: Decimal) -> Result<(), ListPriceError> {
    if hourly.is_zero() {
        Err(ListPriceError::ZeroHourly)
    } else if monthly < hourly {
        Err(ListPriceError::CapBelowHourly)
    } else {
        Ok(())
    }
}

/// One row of the default price table: a provider's server type, its hourly price and the
/// monthly cap, in the provider's currency (ISO 4217 code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPrice {
    pub provider: Provider,
    pub server_type: &'static str,
    pub description: &'static str,
    /// Hourly price as a decimal string (kept as text so this table is `const`).
    pub hourly: &'static str,
    pub monthly: &'static str,
    pub currency: &'static str,
}

impl ListPrice {
    /// The hourly price and monthly cap as decimals.
    #[must_use]
    pub fn amounts(&self) -> (Decimal, Decimal) {
        let parse = |s: &str| s.parse().unwrap_or(Decimal::ZERO);
        (parse(self.hourly), parse(self.monthly))
    }
}

const fn p(
    provider: Provider,
    server_type: &'static str,
    description: &'static str,
    hourly: &'static str,
    monthly: &'static str,
    currency: &'static str,
) -> ListPrice {
    ListPrice {
        provider,
        server_type,
        description,
        hourly,
        monthly,
        currency,
    }
}

use Provider::{Digitalocean as DO, Hetzner as HZ};

/// The price table a new MSP starts with; the MSP edits its own copy on the server.
///
/// Figures: Hetzner Cloud list prices (EUR, excluding VAT, locations in Germany and Finland,
/// IPv4 included) and DigitalOcean Basic/General Purpose Droplet list prices (USD), as published
/// on the providers' pricing pages (hetzner.com/cloud, digitalocean.com/pricing/droplets) and
/// recorded here in January 2025. Providers change prices; MSPs should check theirs.
pub const DEFAULT_PRICES: &[ListPrice] = &[
    p(
        HZ,
        "cx22",
        "2 vCPU (Intel), 4 GB RAM, 40 GB disk",
        "0.0060",
        "3.79",
        "EUR",
    ),
    p(
        HZ,
        "cx32",
        "4 vCPU (Intel), 8 GB RAM, 80 GB disk",
        "0.0109",
        "6.80",
        "EUR",
    ),
    p(
        HZ,
        "cx42",
        "8 vCPU (Intel), 16 GB RAM, 160 GB disk",
        "0.0263",
        "16.40",
        "EUR",
    ),
    p(
        HZ,
        "cx52",
        "16 vCPU (Intel), 32 GB RAM, 320 GB disk",
        "0.0519",
        "32.40",
        "EUR",
    ),
    p(
        HZ,
        "cpx11",
        "2 vCPU (AMD), 2 GB RAM, 40 GB disk",
        "0.0070",
        "4.35",
        "EUR",
    ),
    p(
        HZ,
        "cpx21",
        "3 vCPU (AMD), 4 GB RAM, 80 GB disk",
        "0.0121",
        "7.55",
        "EUR",
    ),
    p(
        HZ,
        "cpx31",
        "4 vCPU (AMD), 8 GB RAM, 160 GB disk",
        "0.0218",
        "13.60",
        "EUR",
    ),
    p(
        HZ,
        "cpx41",
        "8 vCPU (AMD), 16 GB RAM, 240 GB disk",
        "0.0403",
        "25.20",
        "EUR",
    ),
    p(
        HZ,
        "cpx51",
        "16 vCPU (AMD), 32 GB RAM, 360 GB disk",
        "0.0806",
        "50.30",
        "EUR",
    ),
    p(
        HZ,
        "cax11",
        "2 vCPU (Arm), 4 GB RAM, 40 GB disk",
        "0.0060",
        "3.79",
        "EUR",
    ),
    p(
        HZ,
        "cax21",
        "4 vCPU (Arm), 8 GB RAM, 80 GB disk",
        "0.0104",
        "6.49",
        "EUR",
    ),
    p(
        HZ,
        "cax31",
        "8 vCPU (Arm), 16 GB RAM, 160 GB disk",
        "0.0200",
        "12.49",
        "EUR",
    ),
    p(
        HZ,
        "cax41",
        "16 vCPU (Arm), 32 GB RAM, 320 GB disk",
        "0.0392",
        "24.49",
        "EUR",
    ),
    p(
        DO,
        "s-1vcpu-512mb-10gb",
        "1 vCPU, 512 MB RAM, 10 GB SSD",
        "0.00595",
        "4.00",
        "USD",
    ),
    p(
        DO,
        "s-1vcpu-1gb",
        "1 vCPU, 1 GB RAM, 25 GB SSD",
        "0.00893",
        "6.00",
        "USD",
    ),
    p(
        DO,
        "s-1vcpu-2gb",
        "1 vCPU, 2 GB RAM, 50 GB SSD",
        "0.01786",
        "12.00",
        "USD",
    ),
    p(
        DO,
        "s-2vcpu-2gb",
        "2 vCPU, 2 GB RAM, 60 GB SSD",
        "0.02679",
        "18.00",
        "USD",
    ),
    p(
        DO,
        "s-2vcpu-4gb",
        "2 vCPU, 4 GB RAM, 80 GB SSD",
        "0.03571",
        "24.00",
        "USD",
    ),
    p(
        DO,
        "s-4vcpu-8gb",
        "4 vCPU, 8 GB RAM, 160 GB SSD",
        "0.07143",
        "48.00",
        "USD",
    ),
    p(
        DO,
        "s-8vcpu-16gb",
        "8 vCPU, 16 GB RAM, 320 GB SSD",
        "0.14286",
        "96.00",
        "USD",
    ),
    p(
        DO,
        "c-2",
        "CPU-Optimized: 2 vCPU, 4 GB RAM, 25 GB SSD",
        "0.06250",
        "42.00",
        "USD",
    ),
    p(
        DO,
        "g-2vcpu-8gb",
        "General Purpose: 2 vCPU, 8 GB RAM, 25 GB SSD",
        "0.09375",
        "63.00",
        "USD",
    ),
    p(
        DO,
        "m-2vcpu-16gb",
        "Memory-Optimized: 2 vCPU, 16 GB RAM, 50 GB SSD",
        "0.12500",
        "84.00",
        "USD",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_is_well_formed() {
        for provider in [Provider::Hetzner, Provider::Digitalocean] {
            let rows: Vec<_> = DEFAULT_PRICES
                .iter()
                .filter(|r| r.provider == provider)
                .collect();
            assert!(rows.len() >= 8, "{provider}: {} types", rows.len());
        }
        let mut keys: Vec<_> = DEFAULT_PRICES
            .iter()
            .map(|r| (r.provider, r.server_type))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), DEFAULT_PRICES.len(), "duplicate server types");
        for row in DEFAULT_PRICES {
            let (hourly, monthly) = row.amounts();
            assert!(hourly > Decimal::ZERO && monthly > Decimal::ZERO, "{row:?}");
            // The cap is reached within the month: somewhere between 500 and 744 hours.
            let hours_to_cap = monthly / hourly;
            assert!(
                hours_to_cap > Decimal::from(500) && hours_to_cap <= Decimal::from(745),
                "{}: cap after {hours_to_cap} h",
                row.server_type
            );
            assert!(crate::parse_currency(row.currency).is_ok());
        }
    }

    #[test]
    fn list_price_rules() {
        use rust_decimal_macros::dec;
        assert_eq!(check_list_price(dec!(0.01), dec!(5)), Ok(()));
        assert_eq!(check_list_price(dec!(1), dec!(1)), Ok(()));
        assert_eq!(
            check_list_price(dec!(0), dec!(5)),
            Err(ListPriceError::ZeroHourly)
        );
        assert_eq!(
            check_list_price(dec!(1), dec!(0.5)),
            Err(ListPriceError::CapBelowHourly)
        );
        assert_eq!(ListPriceError::CapBelowHourly.field(), "monthly");
        for row in DEFAULT_PRICES {
            let (h, m) = row.amounts();
            assert_eq!(check_list_price(h, m), Ok(()), "{}", row.server_type);
        }
    }

    #[test]
    fn provider_names() {
        for p in [Provider::Hetzner, Provider::Digitalocean, Provider::Other] {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::parse("aws"), None);
    }
}
