//! Billing periods: calendar months in UTC.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub const MIN_YEAR: i32 = 1970;
pub const MAX_YEAR: i32 = 9998;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("must be a month written YYYY-MM, as in 2026-11")]
    Format,
    #[error("the month must be between 01 and 12")]
    Month,
    #[error("the year must be between {MIN_YEAR} and {MAX_YEAR}")]
    Year,
}

/// A calendar month in UTC, written `YYYY-MM`. It covers `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: i32,
    month: u32,
}

impl Period {
    pub fn new(year: i32, month: u32) -> Result<Self, PeriodError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(PeriodError::Year);
        }
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month);
        }
        Ok(Self { year, month })
    }

    pub fn parse(input: &str) -> Result<Self, PeriodError> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let shape_ok = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit);
        if !shape_ok {
            return Err(PeriodError::Format);
        }
        let year = s[..4].parse().map_err(|_| PeriodError::Format)?;
        let month = s[5..].parse().map_err(|_| PeriodError::Format)?;
        Self::new(year, month)
    }

    /// The month containing `instant`.
    #[must_use]
    pub fn containing(instant: DateTime<Utc>) -> Self {
        Self {
            year: instant.year().clamp(MIN_YEAR, MAX_YEAR),
            month: instant.month(),
        }
    }

    #[must_use]
    pub const fn year(&self) -> i32 {
        self.year
    }

    #[must_use]
    pub const fn month(&self) -> u32 {
        self.month
    }

    /// The first instant of the month.
    #[must_use]
    pub fn start(&self) -> DateTime<Utc> {
        first_instant(self.year, self.month)
    }

    /// The first instant after the month (exclusive end).
    #[must_use]
    pub fn end(&self) -> DateTime<Utc> {
        let (y, m) = self.next_ym();
        first_instant(y, m)
    }

    /// The number of hours in the month (672 to 744; UTC has no daylight saving).
    #[must_use]
    pub fn hours(&self) -> u32 {
        let hours = (self.end() - self.start()).num_hours();
        u32::try_from(hours).unwrap_or(0)
    }

    #[must_use]
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start() <= instant && instant < self.end()
    }

    /// The following month, or `None` past the last supported year.
    #[must_use]
    pub fn next(&self) -> Option<Self> {
        let (y, m) = self.next_ym();
        Self::new(y, m).ok()
    }

    /// The preceding month, or `None` before the first supported year.
    #[must_use]
    pub fn prev(&self) -> Option<Self> {
        let (y, m) = if self.month == 1 {
            (self.year - 1, 12)
        } else {
            (self.year, self.month - 1)
        };
        Self::new(y, m).ok()
    }

    const fn next_ym(&self) -> (i32, u32) {
        if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        }
    }
}

fn first_instant(year: i32, month: u32) -> DateTime<Utc> {
    // Year and month are validated (and year + 1 stays far inside chrono's range), so the date
    // exists; the fallback is unreachable and only keeps this function total.
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MIN_UTC, |naive| {
            Utc.from_utc_datetime(&naive)
        })
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }

    #[test]
    fn parses_and_displays() {
        assert_eq!(p("2026-11").to_string(), "2026-11");
        assert_eq!(p(" 2024-02 ").month(), 2);
        assert_eq!(serde_json::to_string(&p("2026-01")).unwrap(), "\"2026-01\"");
        assert_eq!(
            serde_json::from_str::<Period>("\"2026-12\"").unwrap(),
            p("2026-12")
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "2026",
            "2026-1",
            "2026-011",
            "26-11",
            "2026/11",
            "2026-1a",
            "+026-11",
            "２０２６-11",
        ] {
            assert_eq!(Period::parse(bad), Err(PeriodError::Format), "{bad:?}");
        }
        assert_eq!(Period::parse("2026-00"), Err(PeriodError::Month));
        assert_eq!(Period::parse("2026-13"), Err(PeriodError::Month));
        assert_eq!(Period::parse("1969-12"), Err(PeriodError::Year));
        assert_eq!(Period::parse("9999-01"), Err(PeriodError::Year));
        assert!(serde_json::from_str::<Period>("\"2026-13\"").is_err());
    }

    #[test]
    fn bounds_and_hours() {
        let nov = p("2026-11");
        assert_eq!(nov.start().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(nov.end().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(nov.hours(), 720);
        assert_eq!(p("2026-12").end().to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert_eq!(p("2026-12").hours(), 744);
        assert_eq!(p("2024-02").hours(), 696); // leap year
        assert_eq!(p("2026-02").hours(), 672);
        assert_eq!(p("2100-02").hours(), 672); // not a leap year
        assert!(nov.contains(nov.start()));
        assert!(!nov.contains(nov.end()));
        assert_eq!(Period::containing(nov.end()), p("2026-12"));
        assert_eq!(p("2026-01").prev(), Some(p("2025-12")));
        assert_eq!(p("1970-01").prev(), None);
        assert_eq!(p("9998-12").next(), None);
    }

    proptest! {
        #[test]
        fn months_tile_time(year in MIN_YEAR..MAX_YEAR, month in 1u32..=12) {
            let period = Period::new(year, month).unwrap();
            prop_assert_eq!(Period::parse(&period.to_string()), Ok(period));
            prop_assert!([672, 696, 720, 744].contains(&period.hours()));
            let next = period.next().unwrap();
            prop_assert_eq!(period.end(), next.start());
            prop_assert_eq!(next.prev(), Some(period));
            prop_assert_eq!(Period::containing(period.start()), period);
            prop_assert_eq!(Period::containing(period.end() - chrono::Duration::seconds(1)), period);
        }

        #[test]
        fn never_panics(s in "\\PC{0,10}") {
            let _ = Period::parse(&s);
        }
    }
}
