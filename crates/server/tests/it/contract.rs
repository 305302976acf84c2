//! The OpenAPI document is the contract: every answer a route test receives is checked against
//! it (a layer on every test server records what the document does not describe, and the
//! test's app fails when it drops), and the document itself must be whole: every `$ref`
//! resolves, every operation lists its errors as problem+json.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use crate::helpers::*;

/// Checks answers against an OpenAPI document and keeps what does not match.
#[derive(Clone)]
pub struct Recorder {
    doc: Arc<Value>,
    violations: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    pub fn new(doc: &Value) -> Self {
        Self {
            doc: Arc::new(doc.clone()),
            violations: Arc::default(),
        }
    }

    /// `router` with a layer that checks each answer.
    pub fn layer(&self, router: axum::Router) -> axum::Router {
        let me = self.clone();
        router.layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let me = me.clone();
                async move { me.check(req, next).await }
            },
        ))
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    async fn check(&self, req: Request, next: Next) -> Response {
        // The contract is the API at the Control Panel's own address; a request for another
        // host (a client's custom domain, an unknown name) meets the host filter's plain 404.
        let own_host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.rsplit_once(':').map_or(Some(h), |(host, _)| Some(host)))
            .is_none_or(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok()
            });
        let method = req.method().as_str().to_lowercase();
        let path = req
            .extensions()
            .get::<MatchedPath>()
            .map(|m| m.as_str().to_owned());
        let response = next.run(req).await;
        if let Some(path) = path.filter(|_| own_host) {
            if let Some(problem) = self.describe(&method, &path, &response) {
                self.violations.lock().unwrap().push(problem);
            }
        }
        response
    }

    /// What is wrong with `response` to `method path`, if anything.
    fn describe(&self, method: &str, path: &str, response: &Response) -> Option<String> {
        let status = response.status().as_u16();
        let Some(operation) = self.doc["paths"].get(path).and_then(|p| p.get(method)) else {
            // The portal's HTML pages are not part of the API.
            return path
                .starts_with(mspdesk_api::API_PREFIX)
                .then(|| format!("{method} {path}: the route is not in the document"));
        };
        let responses = &operation["responses"];
        let Some(documented) = responses.get(status.to_string()) else {
            return Some(format!(
                "{method} {path}: answered {status}, not documented"
            ));
        };
        if status >= 400 {
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if content_type != mspdesk_api::problem::PROBLEM_JSON {
                return Some(format!(
                    "{method} {path}: answered {status} as {content_type:?}, not problem+json"
                ));
            }
            if documented["content"]
                .get(mspdesk_api::problem::PROBLEM_JSON)
                .is_none()
            {
                return Some(format!(
                    "{method} {path}: {status} is documented without a problem+json body"
                ));
            }
        }
        if matches!(status, 429 | 503) && response.headers().get(header::RETRY_AFTER).is_none() {
            return Some(format!("{method} {path}: {status} without Retry-After"));
        }
        None
    }
}

/// Every `"$ref"` in `value` that does not name a component of `doc`.
fn dangling_refs(doc: &Value, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let target = r
                    .strip_prefix("#/")
                    .map(|p| p.split('/').fold(doc, |v, part| &v[part]));
                if target.is_none_or(Value::is_null) {
                    out.push(r.clone());
                }
            }
            for v in map.values() {
                dangling_refs(doc, v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                dangling_refs(doc, v, out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_whole() {
    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    let mut dangling = Vec::new();
    dangling_refs(&doc, &doc, &mut dangling);
    assert_eq!(
        dangling,
        Vec::<String>::new(),
        "references that resolve to nothing"
    );
    assert!(doc["components"]["schemas"]["AssetKind"].is_object());

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for status in ["500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            assert!(
                responses["503"]["headers"].get("Retry-After").is_some(),
                "{method} {path}: 503 without Retry-After"
            );
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            for (status, response) in responses {
                if status.as_str() >= "400" {
                    assert_eq!(
                        response["content"][mspdesk_api::problem::PROBLEM_JSON]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                    assert!(
                        response["content"].get("application/json").is_none(),
                        "{method} {path} {status} is also plain JSON"
                    );
                }
            }
        }
    }
    assert!(operations >= 35, "only {operations} operations");
}

#[tokio::test]
async fn the_recorder_notices_an_undocumented_answer() {
    // The check can fail: a document without the 404 of GET /servers/{id} makes a 404 a
    // violation.
    let app = spawn_app().await;
    let mut doc = app.api.openapi().await.unwrap();
    doc["paths"]["/api/v1/servers/{id}"]["get"]["responses"]
        .as_object_mut()
        .unwrap()
        .remove("404");
    let recorder = Recorder::new(&doc);
    let (db_url, pool) = database(2).await;
    let state = mspdesk_server::AppState::new(pool.clone(), mspdesk_testkit::key_encryption())
        .await
        .unwrap();
    let router = recorder.layer(mspdesk_server::app(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let _ = db_url;
    let msp = {
        let api = mspdesk_api::client::ApiClient::new(&format!("http://{addr}")).unwrap();
        let email = format!("ops-{}@msp.example", uuid::Uuid::now_v7().simple());
        mspdesk_server::store::setup::create_msp(
            &pool,
            "Recorder MSP",
            &mspdesk_domain::Email::parse(&email).unwrap(),
            &secret(PASSWORD),
        )
        .await
        .unwrap();
        let login = api.login(&email, &secret(PASSWORD)).await.unwrap();
        api.with_token(login.token)
    };
    let clients = msp.plans().await.unwrap();
    let plan = clients.items[0].id.to_string();
    let created = msp
        .create_client(
            &mspdesk_api::types::CreateClient {
                company_name: "Recorded".into(),
                contact_email: "c@x.example".into(),
                plan_id: plan,
                quotas: None,
            },
            None,
        )
        .await
        .unwrap();
    let token = msp.client_token(created.id).await.unwrap();
    let tenant = msp.with_token(token.token);
    assert!(
        recorder.violations().is_empty(),
        "{:?}",
        recorder.violations()
    );
    tenant.server(uuid::Uuid::now_v7()).await.unwrap_err();
    assert_eq!(
        recorder.violations(),
        ["get /api/v1/servers/{id}: answered 404, not documented"]
    );
    server.abort();
}
