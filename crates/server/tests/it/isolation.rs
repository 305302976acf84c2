//! Tenant isolation: another tenant's ids are "not found" on every route that takes an id, and
//! the owner's data is unchanged afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::client::etag;
use mspdesk_api::types::*;
use reqwest::{Method, StatusCode};

async fn status(
    api: &mspdesk_api::client::ApiClient,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> StatusCode {
    let mut req = api.request(method, path).header("If-Match", etag(1));
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn tenant_scope_ids_of_another_client_are_not_found() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "Tenant A", unlimited()).await;
    let b = client(&msp, "Tenant B", unlimited()).await;

    let server = a
        .api
        .create_server(&server_body("a-server", 20), None)
        .await
        .unwrap();
    let user = a
        .api
        .create_user(
            &CreateUser {
                email: "alice@a.example".into(),
                name: "Alice".into(),
            },
            None,
        )
        .await
        .unwrap();
    let installed = a
        .api
        .install_app(
            server.id,
            &InstallApp {
                template_id: "gitea".into(),
            },
            None,
        )
        .await
        .unwrap();
    let before = (
        a.api.servers().await.unwrap(),
        a.api.users().await.unwrap(),
        a.api.apps(server.id).await.unwrap(),
    );

    let s = server.id;
    let app_body = serde_json::json!({"template_id": "nextcloud"});
    let matrix: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/servers/{s}"), None),
        (Method::DELETE, format!("/api/v1/servers/{s}"), None),
        (Method::GET, format!("/api/v1/servers/{s}/apps"), None),
        (
            Method::POST,
            format!("/api/v1/servers/{s}/apps"),
            Some(app_body),
        ),
        (
            Method::DELETE,
            format!("/api/v1/servers/{s}/apps/{}", installed.id),
            None,
        ),
        (Method::DELETE, format!("/api/v1/users/{}", user.id), None),
        (
            Method::POST,
            format!("/api/v1/users/{}/invitation", user.id),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/{}/sign-in-lock", user.id),
            None,
        ),
    ];
    for (method, path, body) in &matrix {
        let got = status(&b.api, method.clone(), path, body.clone()).await;
        assert_eq!(got, StatusCode::NOT_FOUND, "{method} {path}");
    }
    // B's own lists do not show A's rows.
    assert!(b.api.servers().await.unwrap().items.is_empty());
    assert!(b.api.users().await.unwrap().items.is_empty());
    // A's data is unchanged.
    assert_eq!(
        before,
        (
            a.api.servers().await.unwrap(),
            a.api.users().await.unwrap(),
            a.api.apps(server.id).await.unwrap()
        )
    );
    assert!(a.api.server(s).await.unwrap().deleted_at.is_none());
}

#[tokio::test]
async fn msp_scope_ids_of_another_msp_are_not_found() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    let second = msp(&app).await;
    let theirs = client(&first, "First's client", unlimited()).await;
    let before = first.api.get_client(theirs.id).await.unwrap();

    let id = theirs.id;
    let matrix: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/clients/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/clients/{id}"),
            Some(serde_json::json!({"company_name": "Hijacked"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/clients/{id}/quotas"),
            Some(serde_json::json!({"max_servers": 0})),
        ),
        (Method::DELETE, format!("/api/v1/clients/{id}"), None),
        (Method::POST, format!("/api/v1/clients/{id}/token"), None),
    ];
    for (method, path, body) in &matrix {
        let got = status(&second.api, method.clone(), path, body.clone()).await;
        assert_eq!(got, StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert!(second
        .api
        .list_clients(None, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(first.api.get_client(id).await.unwrap(), before);
    // The second MSP's audit shows nothing of the first's.
    assert!(second.api.audit(None, None).await.unwrap().items.is_empty());
    // Nor does its change feed: only its own plans, prices and exchange rates, none of the
    // first MSP's ids.
    let server = theirs
        .api
        .create_server(&server_body("first-only", 10), None)
        .await
        .unwrap();
    let theirs_feed = first.api.changes(None, Some(5000)).await.unwrap();
    let mine = second.api.changes(None, Some(5000)).await.unwrap();
    assert!(mine.complete && theirs_feed.complete);
    assert!(mine.items.iter().all(|i| i.client_id.is_none()
        && matches!(
            i.kind,
            ChangeKind::Plan | ChangeKind::Price | ChangeKind::Fx
        )));
    let their_ids: Vec<&str> = theirs_feed
        .items
        .iter()
        .filter(|i| i.kind != ChangeKind::Price && i.kind != ChangeKind::Fx)
        .map(|i| i.id.as_str())
        .collect();
    assert!(their_ids.contains(&server.id.to_string().as_str()));
    assert!(their_ids.contains(&id.to_string().as_str()));
    assert!(mine
        .items
        .iter()
        .all(|i| !their_ids.contains(&i.id.as_str())));
    // Paging the second MSP's feed from the first's cursor shows nothing of the first's
    // either (a cursor is only a position).
    let from_theirs = second.api.changes(Some("1:0"), Some(5000)).await.unwrap();
    assert!(from_theirs
        .items
        .iter()
        .all(|i| !their_ids.contains(&i.id.as_str())));
}

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(&msp, "Roles", unlimited()).await;
    // A client token on MSP routes: 403. An MSP token on tenant routes: 403.
    for path in [
        "/api/v1/msp",
        "/api/v1/plans",
        "/api/v1/clients",
        "/api/v1/audit",
        "/api/v1/prices",
        "/api/v1/changes",
    ] {
        assert_eq!(
            status(&tenant.api, Method::GET, path, None).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let own = format!("/api/v1/clients/{}/token", tenant.id);
    assert_eq!(
        status(&tenant.api, Method::POST, &own, None).await,
        StatusCode::FORBIDDEN
    );
    for path in [
        "/api/v1/tenant",
        "/api/v1/servers",
        "/api/v1/branding",
        "/api/v1/catalog",
    ] {
        assert_eq!(
            status(&msp.api, Method::GET, path, None).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}
