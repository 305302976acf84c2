//! Hostile input at the edge: NUL and other control characters through every text parameter of
//! every route (path, query, JSON body; the portal's forms) are answered 4xx, never 5xx; a
//! header is built from parsed values only; custom CSS reaches nothing but the client's exact
//! asset paths.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// What is sent in place of text: NUL (which PostgreSQL refuses in text), other control
/// characters, and NUL alone.
const PROBES: [&str; 5] = ["a\u{0}b", "\u{0}", "a\u{1}b\u{7f}", "\t\r\n", "a\u{1b}[2Jb"];

/// `text` for a URL (path segment or query value).
fn encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// A body of `schema` (a JSON schema of the document) with `probe` for every text.
fn body_of(doc: &Value, schema: &Value, probe: &str, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/components/schemas/");
        return body_of(doc, &doc["components"]["schemas"][name], probe, depth + 1);
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let chosen = options
            .iter()
            .find(|o| o.get("type") != Some(&json!("null")))
            .unwrap_or(&Value::Null);
        return body_of(doc, chosen, probe, depth + 1);
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "string".to_owned(),
    };
    match kind.as_str() {
        "object" => {
            let mut object = serde_json::Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), body_of(doc, property, probe, depth + 1));
            }
            Value::Object(object)
        }
        "array" => json!([body_of(doc, &schema["items"], probe, depth + 1)]),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => json!(probe),
    }
}

#[tokio::test]
async fn control_characters_in_any_text_of_any_route_are_never_a_5xx() {
    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    let m = msp(&app).await;
    let t = client(&m, "Hostile Input", unlimited()).await;
    let server = t
        .api
        .create_server(&server_body("victim", 1), None)
        .await
        .unwrap();
    let client_id = t.id.to_string();
    let server_id = server.id.to_string();
    let mut failures = Vec::new();
    let mut sent = 0usize;

    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let parameters: Vec<&Value> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .collect();
            let body_schema = operation
                .pointer("/requestBody/content/application~1json/schema")
                .cloned();
            for probe in PROBES {
                // Each path parameter once as the probe, the others real; then all real.
                let names: Vec<&str> = parameters
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                let real = |name: &str| match name {
                    "kind" => "logo".to_owned(),
                    "provider" => "hetzner".to_owned(),
                    "server_type" => "cx22".to_owned(),
                    "tenant" => client_id.clone(),
                    "app_id" => server_id.clone(),
                    _ if path.starts_with("/api/v1/servers") => server_id.clone(),
                    _ => client_id.clone(),
                };
                let mut targets: Vec<String> = Vec::new();
                for probed in names.iter().copied().chain(std::iter::once("")) {
                    let mut target = path.clone();
                    for name in &names {
                        let value = if *name == probed {
                            encoded(probe)
                        } else {
                            real(name)
                        };
                        target = target.replace(&format!("{{{name}}}"), &value);
                    }
                    targets.push(target);
                }
                // Every query parameter as the probe.
                let query: Vec<String> = parameters
                    .iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .map(|name| format!("{name}={}", encoded(probe)))
                    .collect();
                let body = body_schema
                    .as_ref()
                    .map(|schema| body_of(&doc, schema, probe, 0));
                for target in targets {
                    let url = if query.is_empty() {
                        target.clone()
                    } else {
                        format!("{target}?{}", query.join("&"))
                    };
                    for api in [&m.api, &t.api] {
                        let mut request = api
                            .request(method.clone(), &url)
                            .header("If-Match", "\"1\"")
                            .header("Idempotency-Key", format!("probe-{sent}"));
                        if let Some(body) = &body {
                            request = request.json(body);
                        }
                        let status = request.send().await.unwrap().status();
                        sent += 1;
                        if status.is_server_error() {
                            failures.push(format!("{method} {url} ({probe:?}): {status}"));
                        }
                    }
                }
            }
        }
    }
    assert!(sent > 500, "only {sent} requests");
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn control_characters_in_the_portals_forms_are_the_ordinary_answers() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Portal Input", unlimited()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let home = format!("{}/portal/{}", app.url, t.id);
    for probe in PROBES {
        // The sign-in form, with its form cookie and token, as a browser sends it.
        let page = http.get(&home).send().await.unwrap();
        let cookies: Vec<String> = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect();
        let cookie = cookies.join("; ");
        let page = page.text().await.unwrap();
        let start = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        let csrf = &page[start..start + page[start..].find('"').unwrap()];
        let status = http
            .post(format!("{home}/sign-in"))
            .header("cookie", &cookie)
            .form(&[("email", probe), ("password", probe), ("csrf", csrf)])
            .send()
            .await
            .unwrap()
            .status();
        // An unknown account: the ordinary refusal.
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{probe:?}");
        let with_address = format!("{probe}@acme.example");
        let status = http
            .post(format!("{home}/sign-in"))
            .header("cookie", &cookie)
            .form(&[
                ("email", with_address.as_str()),
                ("password", "x"),
                ("csrf", csrf),
            ])
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{probe:?}");
        for path in [
            format!("/portal/{}", encoded(probe)),
            format!("/portal/{}/invitation/{}", t.id, encoded(probe)),
            format!("/portal/{}/branding.css", encoded(probe)),
        ] {
            let status = http
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap()
                .status();
            assert!(!status.is_server_error(), "{path}: {status}");
        }
        let status = http
            .post(format!("{home}/invitation/{}", encoded(probe)))
            .header("cookie", &cookie)
            .form(&[("password", probe), ("confirm", probe), ("csrf", csrf)])
            .send()
            .await
            .unwrap()
            .status();
        assert!(!status.is_server_error(), "{probe:?}: {status}");
    }
}

#[tokio::test]
async fn a_logo_address_cannot_write_into_the_portals_policy() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Policy Writer", unlimited()).await;
    let current = t.api.branding().await.unwrap();
    for logo in [
        "https://evil.example;sandbox/x.png",
        "https://evil.example;script-src/x.png",
        "https://evil.example,x/x.png",
    ] {
        let refused = t
            .api
            .set_branding(
                &mspdesk_api::types::UpdateBranding {
                    logo_url: Some(logo.into()),
                    ..Default::default()
                },
                current.version,
            )
            .await
            .unwrap_err();
        assert_eq!(refused_fields(&refused), ["logo_url"], "{logo}");
    }
    // Stored by other means, such a value is dropped, never put in the header.
    sqlx::query("UPDATE branding SET logo_url = $2 WHERE tenant_id = $1")
        .bind(t.id.as_uuid())
        .bind("https://evil.example;sandbox/x.png")
        .execute(&app.admin)
        .await
        .unwrap();
    let page = reqwest::get(format!("{}/portal/{}", app.url, t.id))
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !policy.contains("sandbox") && !policy.contains("evil"),
        "{policy}"
    );
}

#[tokio::test]
async fn custom_css_may_name_only_the_exact_asset_paths() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Css Signaller", unlimited()).await;
    let current = t.api.branding().await.unwrap();
    let asset = format!("/api/v1/public/assets/{}", t.id);
    // Attribute selectors choosing among addresses would write the form token into logs.
    let signalling = format!(
        "input[value^=a] {{ background: url({asset}/logo?v=61) }}\n\
         input[value^=b] {{ background: url({asset}/logo?v=62) }}"
    );
    let refused = t
        .api
        .set_branding(
            &mspdesk_api::types::UpdateBranding {
                custom_css: Some(signalling),
                ..Default::default()
            },
            current.version,
        )
        .await
        .unwrap_err();
    assert_eq!(refused_fields(&refused), ["custom_css"]);
    // The exact paths are fine.
    t.api
        .set_branding(
            &mspdesk_api::types::UpdateBranding {
                custom_css: Some(format!(".a {{ background: url({asset}/logo) }}")),
                ..Default::default()
            },
            current.version,
        )
        .await
        .unwrap();
}
