//! Free-text values: company names and e-mail addresses.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Text folded for matching and ordering names as a reader expects, the same on every machine:
/// transliterated to ASCII and lower-cased ("Łódź" is "lodz", "Émile" is "emile", "Straße" is
/// "strasse"). The client list's search, the company order and the uniqueness of names that
/// users type (plans) all fold with this, never with a locale's or a database's rules.
#[must_use]
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The longest company name we accept, in characters (not bytes).
pub const COMPANY_NAME_MAX_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyNameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {COMPANY_NAME_MAX_CHARS} characters, this one has {0}")]
    TooLong(usize),
    #[error("must not contain control characters such as line breaks or tabs")]
    ControlCharacter,
}

/// A client's business name: surrounding blanks trimmed, 1..=200 characters, no control
/// characters. Any script is welcome ("Müller GmbH", "Łódź Hosting", "株式会社").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CompanyName(String);

impl CompanyName {
    pub fn parse(input: &str) -> Result<Self, CompanyNameError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(CompanyNameError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(CompanyNameError::ControlCharacter);
        }
        let chars = name.chars().count();
        if chars > COMPANY_NAME_MAX_CHARS {
            return Err(CompanyNameError::TooLong(chars));
        }
        Ok(Self(name.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CompanyName {
    type Error = CompanyNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CompanyName> for String {
    fn from(n: CompanyName) -> String {
        n.0
    }
}

impl fmt::Display for CompanyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest address SMTP can carry (RFC 5321 path limit less the angle brackets).
pub const EMAIL_MAX_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {EMAIL_MAX_CHARS} characters, this one has {0}")]
    TooLong(usize),
    #[error("is not a valid e-mail address ({0})")]
    Invalid(String),
}

/// A mailbox address such as `ops@example.com`: trimmed, at most 254 characters, a plain
/// `local@domain` (no display name, no IP literal) whose domain has a dot. The domain part is
/// stored in lower case, as DNS is case-insensitive; the local part is kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let address = input.trim();
        if address.is_empty() {
            return Err(EmailError::Empty);
        }
        let chars = address.chars().count();
        if chars > EMAIL_MAX_CHARS {
            return Err(EmailError::TooLong(chars));
        }
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        let parsed = email_address::EmailAddress::parse_with_options(address, options)
            .map_err(|e| EmailError::Invalid(e.to_string()))?;
        Ok(Self(format!(
            "{}@{}",
            parsed.local_part(),
            parsed.domain().to_lowercase()
        )))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address's identity: what accounts are looked up, kept unique and throttled by. The
    /// address with ASCII letters lower-cased and nothing else changed (the domain is lower
    /// case already), so no two lower-casings can disagree on it: Rust's and PostgreSQL's
    /// (whose `lower(x COLLATE "C")` is the same ASCII rule) give the same text, and "İ" stays
    /// a letter of its own rather than becoming a second spelling of "i".
    #[must_use]
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// The identity key of what someone typed as an e-mail (see [`Email::key`]), also when it is
/// no valid address: a sign-in throttles by this whatever was typed.
#[must_use]
pub fn email_key(typed: &str) -> String {
    Email::parse(typed).map_or_else(|_| typed.trim().to_ascii_lowercase(), |e| e.key())
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_email_has_one_key_whatever_the_case_rules() {
        let plain = Email::parse("Ops.Team@Example.COM").unwrap();
        assert_eq!(plain.key(), "ops.team@example.com");
        // Letters whose lower case differs between Unicode and ASCII rules stay themselves: "İ"
        // is not a second way to write "i".
        assert_ne!(email_key("İnfo@example.com"), email_key("info@example.com"));
        assert_ne!(
            email_key("K@example.com"),
            email_key("\u{212A}@example.com")
        );
        assert_eq!(email_key(" INFO@example.com "), "info@example.com");
        assert_eq!(email_key("not an address"), "not an address");
    }

    #[test]
    fn folding_puts_letters_with_their_base_letter() {
        assert_eq!(fold("Łódź Hosting"), "lodz hosting");
        assert_eq!(fold("Société Générale"), "societe generale");
        assert_eq!(fold("STRASSE"), fold("Straße"));
        assert!(fold("Łódź") < fold("Société"));
    }

    #[test]
    fn company_name_accepts_and_trims() {
        assert_eq!(
            CompanyName::parse("  Acme Ltd ").unwrap().as_str(),
            "Acme Ltd"
        );
        for name in [
            "Müller GmbH",
            "Łódź Hosting",
            "Société Générale",
            "株式会社テスト",
            "A",
        ] {
            assert_eq!(CompanyName::parse(name).unwrap().as_str(), name);
        }
        // 200 multi-byte characters are fine: the limit counts characters, not bytes.
        let long = "ł".repeat(200);
        assert_eq!(CompanyName::parse(&long).unwrap().as_str(), long);
    }

    #[test]
    fn company_name_rejects() {
        assert_eq!(CompanyName::parse(""), Err(CompanyNameError::Empty));
        assert_eq!(CompanyName::parse(" \t\n "), Err(CompanyNameError::Empty));
        assert_eq!(
            CompanyName::parse(&"x".repeat(201)),
            Err(CompanyNameError::TooLong(201))
        );
        assert_eq!(
            CompanyName::parse("Acme\nLtd"),
            Err(CompanyNameError::ControlCharacter)
        );
        assert_eq!(
            CompanyName::parse("Acme\u{0}"),
            Err(CompanyNameError::ControlCharacter)
        );
        assert_eq!(
            CompanyNameError::TooLong(201).to_string(),
            "must be at most 200 characters, this one has 201"
        );
    }

    #[test]
    fn company_name_serde_validates() {
        let n: CompanyName = serde_json::from_str("\" Acme \"").unwrap();
        assert_eq!(n.as_str(), "Acme");
        assert!(serde_json::from_str::<CompanyName>("\"\"").is_err());
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"Acme\"");
    }

    #[test]
    fn email_accepts_and_normalises_domain() {
        assert_eq!(
            Email::parse("ops@example.com").unwrap().as_str(),
            "ops@example.com"
        );
        assert_eq!(
            Email::parse(" Jane.Doe+billing@Example.CO.UK ")
                .unwrap()
                .as_str(),
            "Jane.Doe+billing@example.co.uk"
        );
    }

    #[test]
    fn email_rejects() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        for bad in [
            "plainaddress",
            "@example.com",
            "jane@",
            "jane@localhost",
            "jane@[127.0.0.1]",
            "Jane <jane@example.com>",
            "jane@@example.com",
            "jane doe@example.com",
        ] {
            assert!(
                matches!(Email::parse(bad), Err(EmailError::Invalid(_))),
                "{bad} should be rejected"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong(262)));
    }

    proptest! {
        #[test]
        fn company_name_never_panics_and_is_trimmed(s in "\\PC{0,250}") {
            if let Ok(n) = CompanyName::parse(&s) {
                prop_assert_eq!(n.as_str(), n.as_str().trim());
                prop_assert!((1..=200).contains(&n.as_str().chars().count()));
                // Parsing is idempotent.
                prop_assert_eq!(CompanyName::parse(n.as_str()), Ok(n.clone()));
            }
        }

        #[test]
        fn email_never_panics_and_is_idempotent(s in ".{0,80}") {
            if let Ok(e) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
            }
        }

        #[test]
        fn simple_addresses_are_accepted(local in "[a-z0-9._%+-]{1,20}", host in "[a-z0-9]{1,20}", tld in "[a-z]{2,6}") {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            let address = format!("{local}@{host}.{tld}");
            prop_assert_eq!(Email::parse(&address).map(String::from), Ok(address.clone()));
        }
    }
}

/// The longest [`Label`], in characters.
pub const LABEL_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {LABEL_MAX_CHARS} characters, this one has {0}")]
    TooLong(usize),
    #[error("must not contain control characters such as line breaks or tabs")]
    ControlCharacter,
}

/// A short single-line name: a server's name, a person's name, a region or a server type.
/// Trimmed, 1..=100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    pub fn parse(input: &str) -> Result<Self, LabelError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(LabelError::Empty);
        }
        if text.chars().any(char::is_control) {
            return Err(LabelError::ControlCharacter);
        }
        let chars = text.chars().count();
        if chars > LABEL_MAX_CHARS {
            return Err(LabelError::TooLong(chars));
        }
        Ok(Self(text.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = LabelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn accepts_and_rejects() {
        assert_eq!(Label::parse("  web-01 ").unwrap().as_str(), "web-01");
        assert_eq!(Label::parse("Zoë Müller").unwrap().as_str(), "Zoë Müller");
        assert_eq!(Label::parse(""), Err(LabelError::Empty));
        assert_eq!(Label::parse("a\tb"), Err(LabelError::ControlCharacter));
        assert_eq!(
            Label::parse(&"x".repeat(101)),
            Err(LabelError::TooLong(101))
        );
        assert!(Label::parse(&"x".repeat(100)).is_ok());
    }
}
