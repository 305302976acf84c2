//! Figures: runs of one measurement, their median and spread, and how they print.

use anyhow::{bail, Context, Result};

/// The runs of one measurement, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Runs(Vec<f64>);

impl Runs {
    /// Runs from values in any order; an error when there is none (a failed measurement must
    /// not print as a figure).
    pub fn new(mut xs: Vec<f64>) -> Result<Self> {
        xs.retain(|x| x.is_finite());
        if xs.is_empty() {
            bail!("no runs");
        }
        xs.sort_by(f64::total_cmp);
        Ok(Self(xs))
    }

    /// The runs in a driver's JSON answer under `key` (an array of numbers).
    pub fn from_json(v: &serde_json::Value, key: &str) -> Result<Self> {
        let xs = v[key]
            .as_array()
            .with_context(|| format!("{key} missing"))?
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect();
        Self::new(xs).with_context(|| format!("{key}: no runs"))
    }

    pub fn median(&self) -> f64 {
        let n = self.0.len();
        if n % 2 == 1 {
            self.0[n / 2]
        } else {
            (self.0[n / 2 - 1] + self.0[n / 2]) / 2.0
        }
    }

    pub fn min(&self) -> f64 {
        self.0[0]
    }

    pub fn max(&self) -> f64 {
        self.0[self.0.len() - 1]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The same runs with every value mapped (seconds to milliseconds, counts to rates).
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        let mut xs: Vec<f64> = self.0.iter().copied().map(f).collect();
        xs.sort_by(f64::total_cmp);
        Self(xs)
    }

    /// `median (min – max)` with `unit` formatting each value.
    pub fn show(&self, unit: Unit) -> String {
        if self.len() == 1 {
            return unit.show(self.median());
        }
        format!(
            "{} ({} – {})",
            unit.show(self.median()),
            unit.show(self.min()),
            unit.show(self.max())
        )
    }
}

/// How a value prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Seconds, printed as ms below one second.
    Seconds,
    /// Milliseconds.
    Millis,
    /// A rate per second (requests/s, transactions/s).
    PerSecond,
    /// Bytes, printed in MB (10^6) or kB.
    Bytes,
}

impl Unit {
    pub fn show(self, x: f64) -> String {
        match self {
            Self::Seconds if x >= 1.0 => format!("{x:.2} s"),
            Self::Seconds => Self::Millis.show(x * 1000.0),
            Self::Millis if x >= 1000.0 => format!("{:.2} s", x / 1000.0),
            Self::Millis if x >= 100.0 => format!("{x:.0} ms"),
            Self::Millis if x >= 10.0 => format!("{x:.1} ms"),
            Self::Millis => format!("{x:.2} ms"),
            Self::PerSecond => format!("{}/s", thousands(x)),
            Self::Bytes if x >= 1e6 => format!("{:.1} MB", x / 1e6),
            Self::Bytes => format!("{:.0} kB", x / 1e3),
        }
    }
}

/// A number rounded to an integer, with thin thousands separators: `12,345`.
pub fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < -0.5 {
        out.insert(0, '-');
    }
    out
}

/// A ratio as `12x` (at least 10), `2.3x`, or a percentage below 1.
pub fn ratio(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}x")
    } else if x >= 1.0 {
        format!("{x:.1}x")
    } else {
        format!("{:.0} %", x * 100.0)
    }
}

/// ✓ or ✗.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "✓"
    } else {
        "✗ missed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread_of_odd_and_even_runs() {
        let r = Runs::new(vec![3.0, 1.0, 2.0, 5.0, 4.0]).unwrap();
        assert_eq!((r.median(), r.min(), r.max()), (3.0, 1.0, 5.0));
        let r = Runs::new(vec![4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(r.median(), 2.5);
        assert!(Runs::new(vec![f64::NAN]).is_err());
        assert!(Runs::from_json(&serde_json::json!({"a": []}), "a").is_err());
    }

    #[test]
    fn values_print_in_their_units() {
        let r = Runs::new(vec![0.02, 0.01, 0.03]).unwrap();
        assert_eq!(r.show(Unit::Seconds), "20.0 ms (10.0 ms – 30.0 ms)");
        assert_eq!(Unit::Seconds.show(1.234), "1.23 s");
        assert_eq!(Unit::Millis.show(3.456), "3.46 ms");
        assert_eq!(Unit::Millis.show(1090.0), "1.09 s");
        assert_eq!(Unit::PerSecond.show(56_612.4), "56,612/s");
        assert_eq!(Unit::Bytes.show(12_345_678.0), "12.3 MB");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_000_000.0), "1,000,000");
        assert_eq!(ratio(12.2), "12x");
        assert_eq!(ratio(2.25), "2.2x");
        assert_eq!(ratio(0.123), "12 %");
    }
}
