//! Lists page with `limit` and a cursor: every list, and the client list's search and order,
//! each client exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn client_list_search_and_pages() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo 50%"] {
        client(&msp, name, unlimited()).await;
    }
    let first = msp.api.list_clients(None, Some(2), None).await.unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        ["alpha", "bravo"]
    );
    let second = msp
        .api
        .list_clients(None, Some(2), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        ["Charlie", "Delta"]
    );
    let third = msp
        .api
        .list_clients(None, Some(2), second.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.next_cursor, None);

    let found = msp
        .api
        .list_clients(Some("HARL"), None, None)
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].company_name, "Charlie");
    // LIKE wildcards in the search are literal.
    let pct = msp.api.list_clients(Some("%"), None, None).await.unwrap();
    assert_eq!(pct.items.len(), 1);

    // A page size out of range is a 422 naming `limit` (never clamped); a limit that is no
    // number and a cursor the server did not hand out are malformed (400).
    for (bad, status) in [
        (("limit", "0"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "501"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "-1"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "x"), StatusCode::BAD_REQUEST),
        (("cursor", "garbage"), StatusCode::BAD_REQUEST),
    ] {
        let resp = msp
            .api
            .request(Method::GET, "/api/v1/clients")
            .query(&[bad])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{bad:?}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let problem: mspdesk_api::Problem = resp.json().await.unwrap();
            assert_eq!(problem.errors.unwrap()[0].field, "limit");
        }
    }
}

#[tokio::test]
async fn client_list_pages_every_client_exactly_once() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let names = [
        "Straße",
        "STRASSE",
        "strasse",
        "İstanbul",
        "istanbul",
        "ΣΟΦΙΑ",
        "σοφια",
        "Acme",
        "acme",
        "Acme",
    ];
    for name in names {
        client(&msp, name, unlimited()).await;
    }
    let whole = msp.api.list_clients(None, Some(500), None).await.unwrap();
    assert_eq!(whole.items.len(), names.len());
    assert_eq!(whole.next_cursor, None);

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = msp
            .api
            .list_clients(None, Some(1), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 1);
        paged.extend(page.items.into_iter().map(|c| c.id));
        assert!(paged.len() <= names.len(), "the cursor repeats clients");
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<_> = whole.items.iter().map(|c| c.id).collect();
    assert_eq!(
        paged, expected,
        "every client once, in the order of one big page"
    );
}

#[tokio::test]
async fn every_list_pages_with_limit_and_cursor() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Pages", unlimited()).await;
    // 60 users and 60 servers (written directly), 3 apps on one server.
    sqlx::query(
        "INSERT INTO users (msp_id, tenant_id, id, email, email_key, name)
         SELECT $2, $1, gen_random_uuid(), 'u' || g || '@x.example', 'u' || g || '@x.example', 'U'
         FROM generate_series(1, 60) g",
    )
    .bind(t.id.as_uuid())
    .bind(m.tenant.as_uuid())
    .execute(&app.admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO servers (msp_id, tenant_id, id, name, provider, server_type, storage_gb, hourly, monthly, currency, created_at)
         SELECT $2, $1, gen_random_uuid(), 's' || g, 'hetzner', 'cx22', 1, 0, 0, 'EUR', now() - g * interval '1 minute'
         FROM generate_series(1, 60) g",
    )
    .bind(t.id.as_uuid())
    .bind(m.tenant.as_uuid())
    .execute(&app.admin)
    .await
    .unwrap();
    let server = t
        .api
        .create_server(&server_body("apps", 1), None)
        .await
        .unwrap();
    for template in ["gitea", "nextcloud", "wordpress"] {
        t.api
            .install_app(
                server.id,
                &mspdesk_api::types::InstallApp {
                    template_id: template.into(),
                },
                None,
            )
            .await
            .unwrap();
    }
    // Defaults: 50 a page.
    let first = t.api.users_page(None, None).await.unwrap();
    assert_eq!(first.items.len(), 50);
    let rest = t.api.users_page(None, first.next_cursor).await.unwrap();
    assert_eq!(rest.items.len(), 10);
    assert!(rest.next_cursor.is_none());
    let first = t.api.servers_page(None, None).await.unwrap();
    assert_eq!(first.items.len(), 50);
    // The typed client follows the cursors, and the pages neither skip nor repeat.
    let all = t.api.servers().await.unwrap().items;
    assert_eq!(all.len(), 61);
    let mut ids: Vec<_> = all.iter().map(|s| s.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 61);
    assert!(all.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    assert_eq!(t.api.users().await.unwrap().items.len(), 60);
    let apps = t.api.apps_page(server.id, Some(2), None).await.unwrap();
    assert_eq!(apps.items.len(), 2);
    let more = t
        .api
        .apps_page(server.id, Some(2), apps.next_cursor)
        .await
        .unwrap();
    assert_eq!(more.items.len(), 1);
    assert!(more.next_cursor.is_none());
    let audit = m.api.audit(None, None).await.unwrap();
    assert!(audit.items.len() <= 50);
    // At most 500; 0 and 501 are refused with 422 naming `limit`, never clamped.
    for path in [
        "/api/v1/servers".to_owned(),
        "/api/v1/users".to_owned(),
        format!("/api/v1/servers/{}/apps", server.id),
    ] {
        for bad in ["0", "501"] {
            let res = t
                .api
                .request(Method::GET, &path)
                .query(&[("limit", bad)])
                .send()
                .await
                .unwrap();
            assert_eq!(
                refused_fields_in(res).await,
                ["limit"],
                "{path}?limit={bad}"
            );
        }
        let res = t
            .api
            .request(Method::GET, &path)
            .query(&[("limit", "500")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = m
        .api
        .request(Method::GET, "/api/v1/audit")
        .query(&[("limit", "501")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused_fields_in(res).await, ["limit"]);
}
