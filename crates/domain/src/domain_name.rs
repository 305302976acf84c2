//! DNS names, e.g. a client's custom domain.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub const DOMAIN_MAX_LEN: usize = 253;
pub const LABEL_MAX_LEN: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be a domain name, not an IP address")]
    IpLiteral,
    #[error("is not a valid domain name (only letters, digits and hyphens in dot-separated labels; no label may start or end with a hyphen)")]
    Invalid,
    #[error("must be at most {DOMAIN_MAX_LEN} characters once encoded, this one has {0}")]
    TooLong(usize),
    #[error("has an empty label (two dots in a row, or a leading dot)")]
    EmptyLabel,
    #[error("has a label longer than {LABEL_MAX_LEN} characters once encoded")]
    LabelTooLong,
    #[error("must have at least two labels, as in portal.example.com")]
    SingleLabel,
    #[error("must end in a name, not a number")]
    NumericTld,
}

/// A fully qualified domain name in its ASCII (IDNA/punycode) form, lower case, without a
/// trailing dot. International names are converted: `bücher.example` -> `xn--bcher-kva.example`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(input: &str) -> Result<Self, DomainNameError> {
        let trimmed = input.trim();
        let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if name.is_empty() {
            return Err(DomainNameError::Empty);
        }
        let unbracketed = name.trim_start_matches('[').trim_end_matches(']');
        if unbracketed.parse::<IpAddr>().is_ok() {
            return Err(DomainNameError::IpLiteral);
        }
        // Check for empty labels before IDNA, which would report them only as "invalid".
        if name.split('.').any(str::is_empty) {
            return Err(DomainNameError::EmptyLabel);
        }
        // The lenient mapping gives the encoded form so lengths can be reported precisely; the
        // strict one (STD3 character rules, DNS lengths) then decides validity.
        let encoded = idna::domain_to_ascii(name).map_err(|_| DomainNameError::Invalid)?;
        if encoded.len() > DOMAIN_MAX_LEN {
            return Err(DomainNameError::TooLong(encoded.len()));
        }
        let labels: Vec<&str> = encoded.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return Err(DomainNameError::EmptyLabel);
        }
        if labels.iter().any(|l| l.len() > LABEL_MAX_LEN) {
            return Err(DomainNameError::LabelTooLong);
        }
        let ascii = idna::domain_to_ascii_strict(name).map_err(|_| DomainNameError::Invalid)?;
        if labels.len() < 2 {
            return Err(DomainNameError::SingleLabel);
        }
        // "1.2.3", "0x7f.1" and friends are read as IPv4 by some resolvers: a real top-level
        // domain is never all digits.
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()) || tld.starts_with("0x"))
        {
            return Err(DomainNameError::NumericTld);
        }
        Ok(Self(ascii))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this name is `parent` itself or a name under it (`a.b.example` is under
    /// `b.example`; `notexample.com` is not under `example.com`).
    #[must_use]
    pub fn is_at_or_under(&self, parent: &DomainName) -> bool {
        self.0 == parent.0
            || self
                .0
                .strip_suffix(parent.0.as_str())
                .is_some_and(|prefix| prefix.ends_with('.'))
    }
}

impl TryFrom<String> for DomainName {
    type Error = DomainNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DomainName> for String {
    fn from(d: DomainName) -> String {
        d.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        DomainName::parse(s).unwrap().to_string()
    }

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(ok("portal.example.com"), "portal.example.com");
        assert_eq!(ok(" Portal.Example.COM. "), "portal.example.com");
        assert_eq!(ok("bücher.example"), "xn--bcher-kva.example");
        assert_eq!(ok("xn--bcher-kva.example"), "xn--bcher-kva.example");
        assert_eq!(ok("a-b.c-d.io"), "a-b.c-d.io");
        assert_eq!(ok("123.example.com"), "123.example.com");
        let label63 = "a".repeat(63);
        assert_eq!(ok(&format!("{label63}.com")), format!("{label63}.com"));
    }

    #[test]
    fn at_or_under() {
        let d = |s: &str| DomainName::parse(s).unwrap();
        let cp = d("cp.example.com");
        assert!(d("cp.example.com").is_at_or_under(&cp));
        assert!(d("CP.Example.com.").is_at_or_under(&cp));
        assert!(d("a.cp.example.com").is_at_or_under(&cp));
        assert!(d("x.y.cp.example.com").is_at_or_under(&cp));
        assert!(!d("example.com").is_at_or_under(&cp));
        assert!(!d("xcp.example.com").is_at_or_under(&cp));
        assert!(!d("cp.example.com.evil.example").is_at_or_under(&cp));
    }

    #[test]
    fn rejects() {
        use DomainNameError::*;
        let cases: &[(&str, DomainNameError)] = &[
            ("", Empty),
            (".", Empty),
            ("127.0.0.1", IpLiteral),
            ("::1", IpLiteral),
            ("[2001:db8::1]", IpLiteral),
            ("localhost", SingleLabel),
            ("example..com", EmptyLabel),
            (".example.com", EmptyLabel),
            ("-bad.example.com", Invalid),
            ("bad-.example.com", Invalid),
            ("under_score.example.com", Invalid),
            ("spa ce.example.com", Invalid),
            ("https://example.com", Invalid),
            ("example.com/path", Invalid),
            ("1.2.3", NumericTld),
            ("0x7f.0x1", NumericTld),
        ];
        for (input, want) in cases {
            assert_eq!(DomainName::parse(input).as_ref(), Err(want), "{input:?}");
        }
        let label64 = "a".repeat(64);
        assert_eq!(
            DomainName::parse(&format!("{label64}.com")),
            Err(LabelTooLong)
        );
        let long = vec!["abcdefghi"; 26].join("."); // 26*9 + 25 = 259
        assert_eq!(DomainName::parse(&long), Err(TooLong(259)));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            if let Ok(d) = DomainName::parse(&s) {
                prop_assert!(d.as_str().len() <= DOMAIN_MAX_LEN);
                prop_assert!(d.as_str().is_ascii());
                prop_assert!(d.as_str().split('.').count() >= 2);
                prop_assert_eq!(DomainName::parse(d.as_str()), Ok(d.clone()));
            }
        }

        #[test]
        fn plain_names_pass_through(labels in proptest::collection::vec("[a-z][a-z0-9]{0,10}", 2..5)) {
            let name = labels.join(".");
            prop_assert_eq!(DomainName::parse(&name).map(String::from), Ok(name.clone()));
        }
    }
}
