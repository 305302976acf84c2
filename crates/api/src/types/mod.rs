//! Request and response bodies of every route.
//!
//! Request bodies hold raw JSON values (`String`, `i64`) so that a wrong *value* is reported per
//! field with `422`, while a wrong JSON *type* or an unknown field is `400`. Each request type has
//! a `validate` method that applies the domain rules (crates/domain) and returns the validated
//! values, or every field error at once.

mod apps;
mod audit;
mod auth;
mod billing;
mod billing_input;
pub mod bounds;
mod branding;
mod catalog;
mod changes;
mod clients;
mod msp;
mod servers;
mod users;

pub use apps::*;
pub use audit::*;
pub use auth::*;
pub use billing::*;
pub use billing_input::*;
pub use branding::*;
pub use catalog::*;
pub use changes::*;
pub use clients::*;
pub use msp::*;
pub use servers::*;
pub use users::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::FieldError;

/// Gathers field errors while validating a body.
#[derive(Debug, Default)]
struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    fn check<T, E: std::fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(FieldError::new(field, e));
                None
            }
        }
    }

    fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            // Every field parsed, so `value` has all it needs.
            value().ok_or(self.errors)
        } else {
            Err(self.errors)
        }
    }
}

fn parse_uuid(s: &str) -> Result<Uuid, &'static str> {
    Uuid::parse_str(s.trim()).map_err(|_| "is not a UUID")
}

/// Optional text: `None` and blank both mean "not set".
fn optional<T, E>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, E> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

/// A complete list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct List<T> {
    pub items: Vec<T>,
}

/// One page of a longer list; pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn catalog_and_branding_and_users() {
        let c = UpdateCatalog {
            mode: "custom".into(),
            enabled: vec!["gitea".into(), "nextcloud".into(), "gitea".into()],
        };
        assert_eq!(c.validate().unwrap().enabled, ["gitea", "nextcloud"]);
        let bad = UpdateCatalog {
            mode: "some".into(),
            enabled: vec!["nope".into()],
        };
        assert_eq!(fields(bad.validate().unwrap_err()), ["mode", "enabled"]);

        let tenant = mspdesk_domain::TenantId::new();
        let b = UpdateBranding {
            company_name: Some("".into()),
            logo_url: Some("http://x.example/logo.png".into()),
            favicon_url: Some("ftp://x".into()),
            primary_color: Some("#12".into()),
            secondary_color: Some("blue".into()),
            accent_color: Some("#GGG".into()),
            custom_domain: Some("10.0.0.1".into()),
            custom_css: Some("a".repeat(CUSTOM_CSS_MAX_BYTES + 1)),
        };
        // A blank company name means "not set", so it is not an error.
        assert_eq!(
            fields(b.validate(tenant).unwrap_err()),
            [
                "logo_url",
                "favicon_url",
                "primary_color",
                "secondary_color",
                "accent_color",
                "custom_domain",
                "custom_css"
            ]
        );
        let good = UpdateBranding {
            primary_color: Some("#abc".into()),
            custom_domain: Some("Portal.Example.COM".into()),
            ..Default::default()
        };
        let v = good.validate(tenant).unwrap();
        assert_eq!(v.primary_color.unwrap().to_string(), "#AABBCC");
        assert_eq!(v.custom_domain.unwrap().as_str(), "portal.example.com");

        // Custom CSS is stored as the sanitiser prints it, and refused with where it fails.
        let css = UpdateBranding {
            custom_css: Some("h1 { color: red }".into()),
            ..Default::default()
        };
        let v = css.validate(tenant).unwrap();
        assert_eq!(
            v.custom_css.unwrap().as_str(),
            ".mspdesk-portal h1 {\n  color: red;\n}\n"
        );
        let css = UpdateBranding {
            custom_css: Some("h1 { color: red }\n@import url(https://evil.example/x.css);".into()),
            ..Default::default()
        };
        let errors = css.validate(tenant).unwrap_err();
        assert_eq!(errors[0].field, "custom_css");
        assert!(
            errors[0].message.starts_with("line 2, column 1:"),
            "{}",
            errors[0].message
        );

        let u = CreateUser {
            email: "x".into(),
            name: "".into(),
        };
        assert_eq!(fields(u.validate().unwrap_err()), ["email", "name"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CreateUser>(
            r#"{"email":"a@b.co","name":"A","admin":true}"#
        )
        .is_err());
        assert!(serde_json::from_str::<QuotasInput>(r#"{"max_server":1}"#).is_err());
    }
}
