//! What the request bodies' validation enforces, written into the OpenAPI document: integer
//! bounds, text lengths and patterns, and the closed sets of values, each built from the
//! constants the validators use. A client generated from the document then refuses what the
//! server would answer with 422, instead of finding out by sending it.
//!
//! A pattern here may be narrower than what the server accepts (it must never be wider): the
//! tests generate strings from every pattern and check the server's own validation takes them.
//! Rules across fields (a currency listed twice, the MSP's own host as a custom domain, a plan
//! that does not exist) cannot be said in a schema and stay 422/404 answers.

use serde_json::{json, Value};

use crate::types::bounds::{DecimalColumn, FX_RATE, HOURLY, MAX_INTEGER, MONTHLY};
use mspdesk_domain::{
    CatalogMode, Provider, COMPANY_NAME_MAX_CHARS, EMAIL_MAX_CHARS, LABEL_MAX_CHARS, TEMPLATES,
};

/// Page sizes of the lists (`limit`): 1 to this, 50 when absent.
pub const PAGE_MAX_LIMIT: u32 = 500;
/// A list's page size when `limit` is absent.
pub const PAGE_DEFAULT_LIMIT: u32 = 50;

/// One rule of a property or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// A whole number from `min` to `max`.
    Integer { min: i64, max: i64 },
    /// Text of `min_chars` to `max_chars` characters that matches `pattern` (ECMA-262 syntax,
    /// which this crate's tests read as Rust regex syntax: only their common subset is used).
    Text {
        min_chars: usize,
        max_chars: usize,
        pattern: String,
    },
    /// One of these strings.
    OneOf(Vec<String>),
    /// Every item of an array follows the rule.
    Items(Box<Rule>),
}

/// A name, person's name, region or server type ([`mspdesk_domain::Label`]): some character
/// that is not white space, no control character.
fn single_line(max_chars: usize) -> Rule {
    Rule::Text {
        min_chars: 1,
        max_chars,
        pattern: r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$".into(),
    }
}

/// A plain address such as `ops@example.com` (a subset of what [`mspdesk_domain::Email`]
/// takes: dot-atoms of common characters and a domain of letters, digits and hyphens).
fn email() -> Rule {
    Rule::Text {
        min_chars: 3,
        max_chars: EMAIL_MAX_CHARS,
        pattern: r"^[A-Za-z0-9_%+-]{1,32}(\.[A-Za-z0-9_%+-]{1,16}){0,2}@([A-Za-z0-9]{1,20}(-[A-Za-z0-9]{1,20}){0,2}\.){1,4}[A-Za-z]{2,20}$".into(),
    }
}

/// A DNS name in ASCII: labels of letters and digits joined by single hyphens (so never an
/// IDNA-invalid `ab--cd`), and a top-level label of letters.
const DOMAIN_PATTERN: &str = r"^([a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}\.){1,4}[a-z]{2,20}$";

/// `#RGB` or `#RRGGBB`.
const COLOR_PATTERN: &str = r"^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$";

/// An https URL of a plain host name and path.
const HTTPS_PATTERN: &str = r"^https://([a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}\.){1,4}[a-z]{2,20}(/[A-Za-z0-9._~-]{1,40}){0,4}$";

/// `YYYY-MM` from 1970-01 to 9998-12 ([`mspdesk_domain::Period`]'s range).
pub const PERIOD_PATTERN: &str =
    r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$";

/// A positive decimal that `column` holds exactly (at most its digits before and after the
/// point): a non-zero whole part, or zero and a fraction ending in a non-zero digit. (Every
/// decimal of the API is a price or a rate, which zero is not.)
fn positive_decimal(column: DecimalColumn) -> Rule {
    let int = column.integer_digits().saturating_sub(1);
    let scale = column.scale;
    let zeros = scale.saturating_sub(1);
    Rule::Text {
        min_chars: 1,
        max_chars: usize::try_from(column.precision + 1).unwrap_or(usize::MAX),
        pattern: format!(
            r"^([1-9][0-9]{{0,{int}}}(\.[0-9]{{1,{scale}}})?|0\.[0-9]{{0,{zeros}}}[1-9])$"
        ),
    }
}

/// A UUID in its hyphenated form (which plan it names is for the server to say).
fn uuid() -> Rule {
    Rule::Text {
        min_chars: 36,
        max_chars: 36,
        pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
            .into(),
    }
}

fn quota() -> Rule {
    Rule::Integer {
        min: 0,
        max: MAX_INTEGER,
    }
}

fn one_of<T: AsRef<str>>(values: impl IntoIterator<Item = T>) -> Rule {
    Rule::OneOf(values.into_iter().map(|v| v.as_ref().to_owned()).collect())
}

/// The ISO 4217 codes the server knows.
fn currency() -> Rule {
    one_of(mspdesk_domain::currencies().map(|c| c.code()))
}

fn template_id() -> Rule {
    one_of(TEMPLATES.iter().map(|t| t.id))
}

/// The rules of the request bodies' properties: (schema, property, rule).
#[must_use]
pub fn body_rules() -> Vec<(&'static str, &'static str, Rule)> {
    let mut rules = Vec::new();
    for q in [
        "max_servers",
        "max_users",
        "max_apps_per_server",
        "storage_quota_gb",
    ] {
        rules.push(("QuotasInput", q, quota()));
    }
    for schema in ["CreateClient", "UpdateClient"] {
        rules.push((schema, "company_name", single_line(COMPANY_NAME_MAX_CHARS)));
        rules.push((schema, "contact_email", email()));
        rules.push((schema, "plan_id", uuid()));
    }
    rules.push((
        "CreateServer",
        "provider",
        one_of(Provider::ALL.map(Provider::as_str)),
    ));
    for p in ["name", "server_type", "region"] {
        rules.push(("CreateServer", p, single_line(LABEL_MAX_CHARS)));
    }
    rules.push(("CreateServer", "storage_gb", quota()));
    for schema in ["PriceInput", "UpdatePrice"] {
        rules.push((schema, "hourly", positive_decimal(HOURLY)));
        rules.push((schema, "monthly", positive_decimal(MONTHLY)));
        rules.push((schema, "currency", currency()));
    }
    rules.push(("UpdateFx", "currency", currency()));
    rules.push(("FxRateInput", "currency", currency()));
    rules.push(("FxRateInput", "rate", positive_decimal(FX_RATE)));
    rules.push(("CreateUser", "email", email()));
    rules.push(("CreateUser", "name", single_line(LABEL_MAX_CHARS)));
    rules.push((
        "UpdateBranding",
        "company_name",
        single_line(COMPANY_NAME_MAX_CHARS),
    ));
    for c in ["primary_color", "secondary_color", "accent_color"] {
        rules.push((
            "UpdateBranding",
            c,
            Rule::Text {
                min_chars: 4,
                max_chars: 7,
                pattern: COLOR_PATTERN.into(),
            },
        ));
    }
    for u in ["logo_url", "favicon_url"] {
        rules.push((
            "UpdateBranding",
            u,
            Rule::Text {
                min_chars: 12,
                max_chars: mspdesk_domain::URL_MAX_LEN,
                pattern: HTTPS_PATTERN.into(),
            },
        ));
    }
    rules.push((
        "UpdateBranding",
        "custom_domain",
        Rule::Text {
            min_chars: 4,
            max_chars: mspdesk_domain::DOMAIN_MAX_LEN,
            pattern: DOMAIN_PATTERN.into(),
        },
    ));
    rules.push((
        "UpdateCatalog",
        "mode",
        one_of([CatalogMode::All.as_str(), CatalogMode::Custom.as_str()]),
    ));
    rules.push((
        "UpdateCatalog",
        "enabled",
        Rule::Items(Box::new(template_id())),
    ));
    rules.push(("InstallApp", "template_id", template_id()));
    rules
}

/// The rule of the query or header parameter `name` of the operation at `path`, if it has
/// one.
#[must_use]
pub fn parameter_rule(path: &str, name: &str) -> Option<Rule> {
    match name {
        // A version as the server's ETags name it.
        "If-Match" => Some(Rule::Text {
            min_chars: 3,
            max_chars: 20,
            pattern: r#"^"[0-9]{1,18}"$"#.into(),
        }),
        "Idempotency-Key" => Some(Rule::Text {
            min_chars: 1,
            max_chars: 200,
            pattern: r"^[\x21-\x7e]{1,200}$".into(),
        }),
        "limit" => Some(Rule::Integer {
            min: 1,
            max: i64::from(if path.ends_with("/changes") {
                crate::types::CHANGES_MAX_LIMIT
            } else {
                PAGE_MAX_LIMIT
            }),
        }),
        "period" => Some(Rule::Text {
            min_chars: 7,
            max_chars: 7,
            pattern: PERIOD_PATTERN.into(),
        }),
        _ => None,
    }
}

/// Writes `rule` into the JSON schema `schema`.
fn write(schema: &mut Value, rule: &Rule) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let nullable = object
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    match rule {
        Rule::Integer { min, max } => {
            object.insert("minimum".into(), json!(min));
            object.insert("maximum".into(), json!(max));
        }
        Rule::Text {
            min_chars,
            max_chars,
            pattern,
        } => {
            object.insert("minLength".into(), json!(min_chars));
            object.insert("maxLength".into(), json!(max_chars));
            object.insert("pattern".into(), json!(pattern));
        }
        Rule::OneOf(values) => {
            let mut values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
            if nullable {
                values.push(Value::Null);
            }
            object.insert("enum".into(), Value::Array(values));
        }
        Rule::Items(item) => {
            if let Some(items) = object.get_mut("items") {
                write(items, item);
            }
        }
    }
}

/// Writes every rule into the OpenAPI document `doc` (as JSON): the request bodies' component
/// schemas and the operations' query and header parameters. (Cursors stay plain strings: they
/// are opaque, valid only as a previous page handed them out.)
pub fn constrain(doc: &mut Value) {
    for (schema, property, rule) in body_rules() {
        if let Some(target) = doc.pointer_mut(&format!(
            "/components/schemas/{schema}/properties/{property}"
        )) {
            write(target, &rule);
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(operations) = item.as_object_mut() else {
            continue;
        };
        for operation in operations.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                if !matches!(
                    parameter.get("in").and_then(Value::as_str),
                    Some("query" | "header")
                ) {
                    continue;
                }
                let Some(rule) = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .and_then(|name| parameter_rule(path, name))
                else {
                    continue;
                };
                if let Some(schema) = parameter.get_mut("schema") {
                    write(schema, &rule);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use mspdesk_domain::{Period, TenantId};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use uuid::Uuid;

    use super::*;
    use crate::types::{
        CreateClient, CreateServer, CreateUser, QuotasInput, UpdateBranding, UpdateCatalog,
        UpdateClient, UpdateFx, UpdatePrice,
    };
    use crate::FieldError;

    fn refused<T: serde::de::DeserializeOwned, V>(
        body: Value,
        validate: impl FnOnce(&T) -> Result<V, Vec<FieldError>>,
    ) -> Vec<String> {
        let parsed: T = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("{body} does not parse: {e}"));
        validate(&parsed)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }

    /// What the server's validation refuses in a valid body of `schema` whose `property` is
    /// set to `value`.
    fn refusals(schema: &str, property: &str, value: Value) -> Vec<String> {
        // Monthly at its largest, hourly at its smallest: each is tested against the other's
        // extreme (monthly must be at least hourly, a rule across fields).
        let price = json!({"hourly": "0.000001", "monthly": "9999999999.9999", "currency": "EUR"});
        let server = json!({"name": "web-1", "provider": "hetzner", "server_type": "cx22", "storage_gb": 10});
        let set = |mut body: Value, pointer: &str| {
            if let Some(slot) = body.pointer_mut(pointer) {
                *slot = value.clone();
            }
            body
        };
        let at = format!("/{property}");
        let now = Utc::now();
        match schema {
            "QuotasInput" => refused(json!({property: value}), QuotasInput::validate),
            "CreateClient" => refused(
                set(
                    json!({"company_name": "Acme", "contact_email": "it@acme.example",
                           "plan_id": Uuid::now_v7().to_string()}),
                    &at,
                ),
                CreateClient::validate,
            ),
            "UpdateClient" => refused(json!({property: value}), UpdateClient::validate),
            "CreateServer" => {
                let mut body = set(server, &at);
                // `other` carries its own price (a rule across fields).
                if body["provider"] == "other" {
                    body["price"] = price;
                }
                refused(body, |s: &CreateServer| s.validate(now))
            }
            "PriceInput" => {
                let mut other = server;
                other["provider"] = json!("other");
                other["price"] = price;
                refused(set(other, &format!("/price{at}")), |s: &CreateServer| {
                    s.validate(now)
                })
            }
            "UpdatePrice" => refused(set(price, &at), UpdatePrice::validate),
            "UpdateFx" => refused(json!({"currency": value, "rates": []}), UpdateFx::validate),
            "FxRateInput" => {
                // The billing currency itself is refused as a rate (a rule across fields).
                let base = if value == json!("EUR") { "JPY" } else { "EUR" };
                let body = json!({"currency": base, "rates": [{"currency": "USD", "rate": "0.9"}]});
                refused(set(body, &format!("/rates/0{at}")), UpdateFx::validate)
            }
            "CreateUser" => refused(
                set(json!({"email": "ann@acme.example", "name": "Ann"}), &at),
                CreateUser::validate,
            ),
            "UpdateBranding" => refused(json!({property: value}), |b: &UpdateBranding| {
                b.validate(TenantId::new())
            }),
            "UpdateCatalog" => {
                let body = match property {
                    "enabled" => json!({"mode": "custom", "enabled": [value]}),
                    _ => json!({"mode": value, "enabled": []}),
                };
                refused(body, UpdateCatalog::validate)
            }
            // No validation of its own: the server looks the template up (this set is its
            // library, exactly).
            "InstallApp" => Vec::new(),
            other => panic!("no sample body for {other}"),
        }
    }

    /// Strings the pattern allows within the length bounds, generated as a schema-driven
    /// client would.
    fn allowed_strings(pattern: &str, min_chars: usize, max_chars: usize) -> Vec<String> {
        // The generator makes whole strings: it takes the pattern without its anchors.
        let whole = pattern.trim_start_matches('^').trim_end_matches('$');
        let strategy =
            proptest::string::string_regex(whole).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let mut runner = TestRunner::deterministic();
        let mut out = Vec::new();
        for _ in 0..300 {
            let value = strategy
                .new_tree(&mut runner)
                .unwrap_or_else(|e| panic!("{e}"))
                .current();
            let chars = value.chars().count();
            if (min_chars..=max_chars).contains(&chars) {
                out.push(value);
            }
        }
        assert!(out.len() > 100, "{pattern} gave too few strings in bounds");
        out
    }

    fn check_allowed(schema: &str, property: &str, rule: &Rule) {
        match rule {
            Rule::Integer { min, max } => {
                for ok in [*min, *max] {
                    let refused = refusals(schema, property, json!(ok));
                    assert!(
                        refused.is_empty(),
                        "{schema}.{property} = {ok}: {refused:?}"
                    );
                }
                // The bound is the server's, not a narrower one.
                for bad in [min - 1, max + 1] {
                    assert!(
                        !refusals(schema, property, json!(bad)).is_empty(),
                        "{schema}.{property} = {bad} is accepted past the document's bound"
                    );
                }
            }
            Rule::Text {
                min_chars,
                max_chars,
                pattern,
            } => {
                for value in allowed_strings(pattern, *min_chars, *max_chars) {
                    let refused = refusals(schema, property, json!(value));
                    assert!(
                        refused.is_empty(),
                        "{schema}.{property} = {value:?} matches {pattern} but is refused: {refused:?}"
                    );
                }
            }
            Rule::OneOf(values) => {
                for value in values {
                    let refused = refusals(schema, property, json!(value));
                    assert!(
                        refused.is_empty(),
                        "{schema}.{property} = {value:?}: {refused:?}"
                    );
                }
            }
            Rule::Items(item) => check_allowed(schema, property, item),
        }
    }

    #[test]
    fn whatever_the_document_allows_the_validation_accepts() {
        for (schema, property, rule) in body_rules() {
            check_allowed(schema, property, &rule);
        }
    }

    #[test]
    fn query_parameters_allowed_by_the_document_are_accepted() {
        let Some(Rule::Text {
            pattern,
            min_chars,
            max_chars,
        }) = parameter_rule("/api/v1/billing/report", "period")
        else {
            panic!("period has a pattern")
        };
        for value in allowed_strings(&pattern, min_chars, max_chars) {
            assert!(Period::parse(&value).is_ok(), "{value}");
        }
        // The first and last months Period takes are in the pattern too.
        for edge in ["1970-01", "9998-12"] {
            assert!(Period::parse(edge).is_ok());
            assert!(
                regex_matches(&pattern, edge),
                "{edge} is a period the pattern misses"
            );
        }
        for outside in ["1969-12", "9999-01", "2026-13", "2026-00"] {
            assert!(Period::parse(outside).is_err());
            assert!(!regex_matches(&pattern, outside), "{outside}");
        }
        assert_eq!(
            parameter_rule("/api/v1/servers", "limit"),
            Some(Rule::Integer {
                min: 1,
                max: i64::from(PAGE_MAX_LIMIT)
            })
        );
    }

    fn regex_matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .is_match(text)
    }
}
