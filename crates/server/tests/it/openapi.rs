//! The OpenAPI document: every route is in it, and it states what the validation enforces.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut got: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    got.sort();
    let mut want = vec![
        "GET /health",
        "GET /ready",
        "GET /api/v1/openapi.json",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/logout",
        "POST /api/v1/clients/{id}/token",
        "GET /api/v1/msp",
        "GET /api/v1/plans",
        "GET /api/v1/prices",
        "POST /api/v1/clients",
        "GET /api/v1/clients",
        "GET /api/v1/clients/{id}",
        "PATCH /api/v1/clients/{id}",
        "DELETE /api/v1/clients/{id}",
        "PUT /api/v1/clients/{id}/quotas",
        "GET /api/v1/audit",
        "GET /api/v1/tenant",
        "POST /api/v1/servers",
        "GET /api/v1/servers",
        "GET /api/v1/servers/{id}",
        "DELETE /api/v1/servers/{id}",
        "POST /api/v1/users",
        "GET /api/v1/users",
        "DELETE /api/v1/users/{id}",
        "POST /api/v1/users/{id}/invitation",
        "DELETE /api/v1/users/{id}/sign-in-lock",
        "GET /api/v1/catalog/templates",
        "GET /api/v1/catalog",
        "PUT /api/v1/catalog",
        "POST /api/v1/servers/{id}/apps",
        "GET /api/v1/servers/{id}/apps",
        "DELETE /api/v1/servers/{id}/apps/{app_id}",
        "GET /api/v1/branding",
        "PUT /api/v1/branding",
        "POST /api/v1/branding/domain/verify",
        "GET /api/v1/usage",
        "PUT /api/v1/branding/assets/{kind}",
        "GET /api/v1/public/assets/{tenant}/{kind}",
        "PUT /api/v1/prices/{provider}/{server_type}",
        "GET /api/v1/fx",
        "PUT /api/v1/fx",
        "GET /api/v1/billing/report",
        "GET /api/v1/changes",
    ];
    want.sort();
    assert_eq!(got, want);
    // Every documented route is routed on the running server: a wrong method is 405, and an
    // unknown path is the fallback's 404 "no such route" (other 404s are "not found" of a
    // resource).
    let unrouted = app
        .api
        .request(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), StatusCode::NOT_FOUND);
    let problem: mspdesk_api::Problem = unrouted.json().await.unwrap();
    assert_eq!(problem.detail.as_deref(), Some("no such route"));
    for route in &want {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{app_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{tenant}", &uuid::Uuid::now_v7().to_string())
            .replace("{kind}", "logo")
            .replace("{provider}", "hetzner")
            .replace("{server_type}", "cx22");
        let resp = app
            .api
            .request(method.parse().unwrap(), &path)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{route}");
        let text = resp.text().await.unwrap();
        assert!(!text.contains("no such route"), "{route} is not routed");
    }
}

#[tokio::test]
async fn openapi_states_what_the_validation_enforces() {
    use mspdesk_api::openapi::{body_rules, parameter_rule, Rule};

    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    // Every rule lands on a property that exists (a renamed field would lose its rule).
    for (schema, property, rule) in body_rules() {
        let at = format!("/components/schemas/{schema}/properties/{property}");
        let target = doc
            .pointer(&at)
            .unwrap_or_else(|| panic!("{at} is not in the document"));
        let target = match rule {
            Rule::Items(_) => &target["items"],
            _ => target,
        };
        let stated = ["maximum", "pattern", "enum"]
            .iter()
            .any(|k| target.get(k).is_some());
        assert!(stated, "{at} states no bound: {target}");
    }
    assert_eq!(
        doc.pointer("/components/schemas/QuotasInput/properties/max_servers/maximum"),
        Some(&serde_json::json!(mspdesk_api::types::bounds::MAX_INTEGER))
    );
    // Parameters too: every `limit`, `period`, `If-Match` and `Idempotency-Key`.
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                if parameter_rule(path, name).is_none() {
                    continue;
                }
                seen += 1;
                let schema = &parameter["schema"];
                assert!(
                    schema.get("maximum").is_some() || schema.get("pattern").is_some(),
                    "{path} {name}: {schema}"
                );
            }
        }
    }
    assert!(seen >= 14, "only {seen} constrained parameters");
}
