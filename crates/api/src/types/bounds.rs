//! What the Control Panel's columns can hold, so that a request body is refused (422 naming
//! the field) rather than failing in the database (500) or being clamped to fit. A server test
//! compares these figures with the schema (`information_schema`), so they cannot drift apart.

use rust_decimal::Decimal;

/// The largest value of an `integer` column (quotas, `storage_gb`).
pub const MAX_INTEGER: i64 = i32::MAX as i64;

/// A `numeric(precision, scale)` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalColumn {
    /// The table and column, as in the schema (`prices.hourly`).
    pub column: &'static str,
    /// Significant digits in all.
    pub precision: u32,
    /// Digits after the decimal point.
    pub scale: u32,
}

/// `prices.hourly` and `servers.hourly`: `numeric(14, 6)`.
pub const HOURLY: DecimalColumn = DecimalColumn {
    column: "hourly",
    precision: 14,
    scale: 6,
};
/// `prices.monthly` and `servers.monthly`: `numeric(14, 4)`.
pub const MONTHLY: DecimalColumn = DecimalColumn {
    column: "monthly",
    precision: 14,
    scale: 4,
};
/// `fx_rates.rate`: `numeric(20, 10)`.
pub const FX_RATE: DecimalColumn = DecimalColumn {
    column: "rate",
    precision: 20,
    scale: 10,
};

impl DecimalColumn {
    /// Digits allowed before the decimal point.
    #[must_use]
    pub const fn integer_digits(self) -> u32 {
        self.precision - self.scale
    }

    /// Whether the column holds `value` exactly: at most `scale` decimal places (trailing
    /// zeros do not count) and at most `precision - scale` digits before the point. The error
    /// is a sentence about the value.
    pub fn check(self, value: Decimal) -> Result<(), String> {
        let value = value.normalize();
        if value.scale() > self.scale {
            return Err(format!(
                "has more than {} decimal places (nothing is rounded: send at most {})",
                self.scale, self.scale
            ));
        }
        let digits = value
            .trunc()
            .abs()
            .to_string()
            .trim_start_matches('0')
            .len();
        let digits = u32::try_from(digits).unwrap_or(u32::MAX);
        if digits > self.integer_digits() {
            return Err(format!(
                "is too large: at most {} digits before the decimal point",
                self.integer_digits()
            ));
        }
        Ok(())
    }
}

/// Whether an `integer` column holds `value`; the error is a sentence about the value.
pub fn check_integer(value: i64) -> Result<(), String> {
    if value > MAX_INTEGER {
        Err(format!("is too large (at most {MAX_INTEGER})"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn decimals_fit_or_are_refused() {
        assert!(FX_RATE.check(d("0.0000000001")).is_ok());
        assert!(FX_RATE.check(d("0.00000000001")).is_err());
        assert!(FX_RATE.check(d("9999999999.9999999999")).is_ok());
        assert!(FX_RATE.check(d("99999999999")).is_err());
        assert!(HOURLY.check(d("99999999.999999")).is_ok());
        assert!(HOURLY.check(d("100000000")).is_err());
        assert!(HOURLY.check(d("0.1234567")).is_err());
        // Trailing zeros are not decimal places that matter.
        assert!(HOURLY.check(d("1.50000000")).is_ok());
        assert!(MONTHLY.check(d("0.00001")).is_err());
        assert!(MONTHLY.check(d("0")).is_ok());
    }

    #[test]
    fn integers_fit_or_are_refused() {
        assert!(check_integer(2_147_483_647).is_ok());
        assert!(check_integer(2_147_483_648).is_err());
        assert!(check_integer(3_000_000_000).is_err());
    }
}
