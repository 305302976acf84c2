//! Money: an exact decimal amount in an ISO 4217 currency. Never floating point.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

pub use iso_currency::Currency;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is not a decimal amount such as 12.34")]
    InvalidAmount,
    #[error("{0:?} is not an ISO 4217 currency code such as EUR")]
    UnknownCurrency(String),
    #[error("cannot combine amounts in {0} and {1}")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("the amount is too large")]
    Overflow,
}

/// An amount of money. On the wire: `{"amount": "12.34", "currency": "EUR"}` (the amount is a
/// decimal string, so JSON number precision never enters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    /// A decimal string, e.g. "12.34".
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12.34"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    amount: Decimal,
    /// ISO 4217 code, e.g. "EUR".
    #[serde(with = "currency_code")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    currency: Currency,
}

impl Money {
    #[must_use]
    pub const fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// Parses an amount such as `"12.34"` and a currency code such as `"EUR"`.
    pub fn parse(amount: &str, currency: &str) -> Result<Self, MoneyError> {
        let amount: Decimal = amount
            .trim()
            .parse()
            .map_err(|_| MoneyError::InvalidAmount)?;
        Ok(Self::new(amount, parse_currency(currency)?))
    }

    #[must_use]
    pub const fn amount(&self) -> Decimal {
        self.amount
    }

    #[must_use]
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// The number of decimal places of the currency's minor unit (2 for EUR, 0 for JPY).
    #[must_use]
    pub fn minor_unit_places(&self) -> u32 {
        self.currency.exponent().map_or(2, u32::from)
    }

    /// Rounded half-even (banker's rounding) to the currency's minor unit, e.g. cents.
    #[must_use]
    pub fn rounded(&self) -> Self {
        let places = self.minor_unit_places();
        Self::new(
            self.amount
                .round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven),
            self.currency,
        )
    }

    /// The amount as a plain decimal with exactly the currency's minor-unit digits, rounded
    /// half-even first if it has more: 19 EUR is `"19.00"`, 19.5 EUR `"19.50"`, 1000 JPY
    /// `"1000"`, 1.2 BHD `"1.200"`. No grouping, no localisation, a `-` for negatives. The one
    /// format for amounts in files (CSV, and PDF with thousands separators added).
    #[must_use]
    pub fn plain_amount(&self) -> String {
        fixed_places(self.amount, self.minor_unit_places())
    }

    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Self::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(&self, factor: Decimal) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(factor)
            .map(|amount| Self::new(amount, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Sums amounts of one currency; an empty list sums to zero in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, MoneyError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

/// `amount` rounded half-even to `places` decimals and written with exactly that many.
pub(crate) fn fixed_places(amount: Decimal, places: u32) -> String {
    let rounded = amount.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    // No "-0.00" for a tiny negative amount.
    let rounded = if rounded.is_zero() {
        Decimal::ZERO
    } else {
        rounded
    };
    // After rounding the scale is at most `places`: pad the fraction with zeros. (Padding the
    // text rather than rescaling works even where the padded mantissa would not fit.)
    let text = rounded.to_string();
    // Already exactly `places` digits (amounts in reports are rounded lines and their sums):
    // the text is the answer, no second allocation.
    if rounded.scale() == places {
        return text;
    }
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    if places == 0 {
        int.to_owned()
    } else {
        format!("{int}.{frac:0<width$}", width = places as usize)
    }
}

/// Every ISO 4217 currency [`parse_currency`] knows.
pub fn currencies() -> impl Iterator<Item = Currency> {
    use iso_currency::IntoEnumIterator;
    Currency::iter()
}

/// Parses an ISO 4217 code, case-insensitively.
pub fn parse_currency(code: &str) -> Result<Currency, MoneyError> {
    let code = code.trim();
    Currency::from_code(&code.to_ascii_uppercase())
        .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
}

mod currency_code {
    use super::Currency;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.code())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(d)?;
        super::parse_currency(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn eur(amount: Decimal) -> Money {
        Money::new(amount, Currency::EUR)
    }

    #[test]
    fn rounds_half_even_to_cents() {
        assert_eq!(eur(dec!(0.125)).rounded().amount(), dec!(0.12));
        assert_eq!(eur(dec!(0.135)).rounded().amount(), dec!(0.14));
        assert_eq!(eur(dec!(2.675)).rounded().amount(), dec!(2.68));
        assert_eq!(eur(dec!(-0.125)).rounded().amount(), dec!(-0.12));
        assert_eq!(eur(dec!(0.1251)).rounded().amount(), dec!(0.13));
        assert_eq!(eur(dec!(7)).rounded().amount(), dec!(7));
        // Yen has no minor unit.
        assert_eq!(
            Money::new(dec!(12.5), Currency::JPY).rounded().amount(),
            dec!(12)
        );
        assert_eq!(
            Money::new(dec!(13.5), Currency::JPY).rounded().amount(),
            dec!(14)
        );
    }

    #[test]
    fn adds_only_one_currency() {
        let a = eur(dec!(1.10));
        let b = eur(dec!(2.20));
        assert_eq!(a.checked_add(&b).unwrap().amount(), dec!(3.30));
        let usd = Money::new(dec!(1), Currency::USD);
        assert_eq!(
            a.checked_add(&usd),
            Err(MoneyError::CurrencyMismatch("EUR", "USD"))
        );
        assert_eq!(Money::sum(Currency::EUR, []).unwrap(), eur(dec!(0)));
        assert_eq!(
            Money::sum(Currency::EUR, [&a, &b, &a]).unwrap().amount(),
            dec!(4.40)
        );
        assert_eq!(
            eur(Decimal::MAX).checked_add(&eur(dec!(1))),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            eur(dec!(0.10)).checked_mul(dec!(3)).unwrap().amount(),
            dec!(0.30)
        );
    }

    #[test]
    fn plain_amount_has_exactly_the_minor_digits() {
        assert_eq!(eur(dec!(19)).plain_amount(), "19.00");
        assert_eq!(eur(dec!(19.5)).plain_amount(), "19.50");
        assert_eq!(eur(dec!(19.00)).plain_amount(), "19.00");
        assert_eq!(eur(dec!(0)).plain_amount(), "0.00");
        assert_eq!(eur(dec!(-3.1)).plain_amount(), "-3.10");
        assert_eq!(eur(dec!(-0.001)).plain_amount(), "0.00");
        assert_eq!(eur(dec!(2.675)).plain_amount(), "2.68");
        assert_eq!(eur(dec!(0.125)).plain_amount(), "0.12");
        assert_eq!(Money::new(dec!(1000), Currency::JPY).plain_amount(), "1000");
        assert_eq!(
            Money::new(dec!(1000.00), Currency::JPY).plain_amount(),
            "1000"
        );
        assert_eq!(
            Money::new(dec!(1.234), Currency::BHD).plain_amount(),
            "1.234"
        );
        assert_eq!(Money::new(dec!(1.2), Currency::KWD).plain_amount(), "1.200");
        assert_eq!(Money::new(dec!(7), Currency::BHD).plain_amount(), "7.000");
        // Padding never overflows, even where rescaling the mantissa would.
        assert_eq!(
            eur(Decimal::MAX).plain_amount(),
            "79228162514264337593543950335.00"
        );
        assert_eq!(
            eur(Decimal::MIN).plain_amount(),
            "-79228162514264337593543950335.00"
        );
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Money::parse(" 12.34 ", "eur").unwrap(), eur(dec!(12.34)));
        assert_eq!(Money::parse("12,34", "EUR"), Err(MoneyError::InvalidAmount));
        assert_eq!(Money::parse("", "EUR"), Err(MoneyError::InvalidAmount));
        assert_eq!(Money::parse("NaN", "EUR"), Err(MoneyError::InvalidAmount));
        assert_eq!(
            Money::parse("1", "EURO"),
            Err(MoneyError::UnknownCurrency("EURO".into()))
        );
    }

    #[test]
    fn wire_shape_is_decimal_string() {
        let m = eur(dec!(12.30));
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "12.30", "currency": "EUR"})
        );
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_value::<Money>(
            serde_json::json!({"amount": "x", "currency": "EUR"})
        )
        .is_err());
        assert!(serde_json::from_value::<Money>(
            serde_json::json!({"amount": "1", "currency": "XYZ1"})
        )
        .is_err());
        assert_eq!(m.to_string(), "12.30 EUR");
    }

    proptest! {
        #[test]
        fn plain_amount_parses_back_to_the_rounded_amount(lo: u32, mid: u32, hi: u32, neg: bool, scale in 0u32..=28) {
            let x = Decimal::from_parts(lo, mid, hi, neg, scale);
            for currency in [Currency::EUR, Currency::JPY, Currency::BHD] {
                let m = Money::new(x, currency);
                let text = m.plain_amount();
                let places = m.minor_unit_places() as usize;
                prop_assert_eq!(text.split_once('.').map_or(0, |(_, f)| f.len()), places);
                prop_assert_eq!(text.parse::<Decimal>().unwrap(), m.rounded().amount());
            }
        }

        #[test]
        fn rounding_is_to_the_nearest_cent(mantissa in -10_000_000_000i64..10_000_000_000, scale in 0u32..8) {
            let x = Decimal::new(mantissa, scale);
            let r = eur(x).rounded().amount();
            prop_assert!(r.scale() <= 2);
            prop_assert!((r - x).abs() <= dec!(0.005));
            // Rounding twice changes nothing.
            prop_assert_eq!(eur(r).rounded().amount(), r);
        }

        #[test]
        fn sum_of_rounded_lines_is_exact(lines in proptest::collection::vec(0i64..1_000_000, 0..50)) {
            let money: Vec<Money> = lines.iter().map(|&c| eur(Decimal::new(c, 2))).collect();
            let total = Money::sum(Currency::EUR, &money).unwrap();
            prop_assert_eq!(total.amount(), Decimal::new(lines.iter().sum(), 2));
        }
    }
}
