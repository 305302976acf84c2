//! The change feed (`GET /changes`): every mutation appears once, in commit order, across
//! pages; a snapshot equals what the resources' own routes return; concurrent writers lose
//! nothing; old cursors get 410; bad parameters 400; pages are served from indexes; gzip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;

use crate::helpers::*;
use mspdesk_api::client::ApiClient;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use mspdesk_domain::Provider;
use reqwest::{Method, StatusCode};
use serde_json::Value;

type State = BTreeMap<(ChangeKind, String), Value>;

/// A route's JSON exactly as served.
async fn raw(api: &ApiClient, path: &str) -> Value {
    let resp = api
        .request(Method::GET, &format!("/api/v1{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.unwrap()
}

fn items(list: Value) -> Vec<Value> {
    list["items"].as_array().unwrap().clone()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap().to_owned()
}

/// Everything the MSP's routes show, keyed like the feed.
async fn state_through_routes(msp: &Msp) -> State {
    let mut state = State::new();
    for p in items(raw(&msp.api, "/plans").await) {
        state.insert((ChangeKind::Plan, text(&p["id"])), p);
    }
    for p in items(raw(&msp.api, "/prices").await) {
        let id = format!("{}/{}", text(&p["provider"]), text(&p["server_type"]));
        state.insert((ChangeKind::Price, id), p);
    }
    state.insert((ChangeKind::Fx, "fx".into()), raw(&msp.api, "/fx").await);
    let clients = msp.api.list_clients(None, Some(500), None).await.unwrap();
    assert!(clients.next_cursor.is_none());
    for summary in clients.items {
        let id = summary.id.to_string();
        let record = raw(&msp.api, &format!("/clients/{id}")).await;
        state.insert((ChangeKind::Client, id.clone()), record);
        let token = msp.api.client_token(summary.id).await.unwrap();
        let tenant = msp.api.with_token(token.token);
        state.insert(
            (ChangeKind::Catalog, id.clone()),
            raw(&tenant, "/catalog").await,
        );
        state.insert(
            (ChangeKind::Branding, id.clone()),
            raw(&tenant, "/branding").await,
        );
        for u in items(raw(&tenant, "/users").await) {
            state.insert((ChangeKind::User, text(&u["id"])), u);
        }
        for s in items(raw(&tenant, "/servers").await) {
            let sid = text(&s["id"]);
            assert_eq!(raw(&tenant, &format!("/servers/{sid}")).await, s);
            for a in items(raw(&tenant, &format!("/servers/{sid}/apps")).await) {
                state.insert((ChangeKind::App, text(&a["id"])), a);
            }
            state.insert((ChangeKind::Server, sid), s);
        }
    }
    state
}

/// Pages from `since` until complete, `limit` at a time; returns every item and the cursor.
async fn follow(api: &ApiClient, since: Option<String>, limit: u32) -> (Vec<ChangeItem>, String) {
    let mut cursor = since;
    let mut all = Vec::new();
    loop {
        let page = api.changes(cursor.as_deref(), Some(limit)).await.unwrap();
        assert!(page.items.len() <= limit as usize);
        all.extend(page.items);
        cursor = Some(page.next_cursor);
        if page.complete {
            return (all, cursor.unwrap());
        }
    }
}

/// Applies items to a mirror, last write wins.
fn apply(state: &mut State, items: &[ChangeItem]) {
    for item in items {
        let key = (item.kind, item.id.clone());
        match item.op {
            ChangeOp::Upsert => {
                state.insert(key, item.body.clone().expect("an upsert has a body"));
            }
            ChangeOp::Delete => {
                assert!(item.body.is_none(), "a tombstone has no body");
                state.remove(&key);
            }
        }
    }
}

fn user_body(email: &str) -> CreateUser {
    CreateUser {
        email: email.into(),
        name: "Someone".into(),
    }
}

fn app_body(template: &str) -> InstallApp {
    InstallApp {
        template_id: template.into(),
    }
}

#[tokio::test]
async fn every_change_and_delete_appears_once_in_commit_order() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let (snapshot, start) = follow(&msp.api, None, 3).await;
    let snapshot_kinds: Vec<ChangeKind> = snapshot.iter().map(|i| i.kind).collect();

    let a = client(&msp, "Alpha", unlimited()).await;
    let server = a
        .api
        .create_server(&server_body("alpha-1", 20), None)
        .await
        .unwrap();
    let user = a
        .api
        .create_user(&user_body("ann@alpha.example"), None)
        .await
        .unwrap();
    let installed = a
        .api
        .install_app(server.id, &app_body("gitea"), None)
        .await
        .unwrap();
    a.api
        .set_catalog(
            &UpdateCatalog {
                mode: "custom".into(),
                enabled: vec!["gitea".into(), "nextcloud".into()],
            },
            1,
        )
        .await
        .unwrap();
    a.api
        .set_branding(
            &UpdateBranding {
                company_name: Some("Alpha Branded".into()),
                primary_color: Some("#112233".into()),
                ..UpdateBranding::default()
            },
            1,
        )
        .await
        .unwrap();
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../icons/32x32.png"
    ))
    .unwrap();
    a.api
        .upload_asset(mspdesk_domain::AssetKind::Logo, png, 2)
        .await
        .unwrap();
    let updated = msp
        .api
        .update_client(
            a.id,
            &UpdateClient {
                company_name: Some("Alpha Renamed".into()),
                ..UpdateClient::default()
            },
            a.version,
        )
        .await
        .unwrap();
    msp.api
        .set_quotas(
            a.id,
            &QuotasInput {
                max_servers: Some(50),
                ..QuotasInput::default()
            },
            updated.version,
        )
        .await
        .unwrap();
    msp.api
        .set_price(
            Provider::Hetzner,
            "cx22",
            &UpdatePrice {
                description: None,
                hourly: "0.0100".into(),
                monthly: "5.00".into(),
                currency: "EUR".into(),
            },
        )
        .await
        .unwrap();
    msp.api
        .set_fx(&UpdateFx {
            currency: "EUR".into(),
            rates: vec![FxRateInput {
                currency: "USD".into(),
                rate: "0.9".into(),
            }],
        })
        .await
        .unwrap();
    let b = client(&msp, "Beta", unlimited()).await;
    let b_user = b
        .api
        .create_user(&user_body("bob@beta.example"), None)
        .await
        .unwrap();
    msp.api.delete_client(b.id).await.unwrap();
    a.api.uninstall_app(server.id, installed.id).await.unwrap();
    a.api.delete_user(user.id).await.unwrap();
    a.api.delete_server(server.id).await.unwrap();

    let (items, end) = follow(&msp.api, Some(start.clone()), 3).await;
    let got: Vec<(ChangeKind, String, ChangeOp)> =
        items.iter().map(|i| (i.kind, i.id.clone(), i.op)).collect();
    let (ai, bi) = (a.id.to_string(), b.id.to_string());
    use ChangeKind as K;
    use ChangeOp::{Delete as D, Upsert as U};
    // One entry per resource (its latest change), ordered by the commit of that change.
    let want = vec![
        (K::Catalog, ai.clone(), U),
        (K::Branding, ai.clone(), U),
        (K::Price, "hetzner/cx22".to_owned(), U),
        (K::Fx, "fx".to_owned(), U),
        (K::User, b_user.id.to_string(), D),
        (K::Catalog, bi.clone(), D),
        (K::Branding, bi.clone(), D),
        (K::Client, bi.clone(), D),
        (K::App, installed.id.to_string(), D),
        (K::User, user.id.to_string(), D),
        (K::Server, server.id.to_string(), U),
        (K::Client, ai.clone(), U),
    ];
    assert_eq!(got, want);
    let of_b = [bi.clone(), b_user.id.to_string()];
    for item in &items {
        let owner = match item.kind {
            K::Plan | K::Price | K::Fx => None,
            _ if of_b.contains(&item.id) => Some(b.id),
            _ => Some(a.id),
        };
        assert_eq!(item.client_id, owner, "{item:?}");
    }
    // The bodies are the routes' own.
    let routes = state_through_routes(&msp).await;
    for item in items.iter().filter(|i| i.op == U) {
        assert_eq!(
            item.body.as_ref(),
            routes.get(&(item.kind, item.id.clone())),
            "{:?} {}",
            item.kind,
            item.id
        );
    }
    let logo = items.iter().find(|i| i.kind == K::Branding).unwrap();
    assert!(logo.body.as_ref().unwrap()["logo_url"]
        .as_str()
        .unwrap()
        .contains("/logo"));

    // Every kind is produced: the MSP's plans, prices and fx at its creation, the rest since.
    let mut kinds: Vec<ChangeKind> = snapshot_kinds;
    kinds.extend(items.iter().map(|i| i.kind));
    kinds.extend([K::Server, K::User, K::App]); // created above, now coalesced into deletes
    for kind in ChangeKind::ALL {
        assert!(kinds.contains(&kind), "{kind:?} never produced");
    }
    // Creates of each kind show up as upserts too, when read in between.
    let c = client(&msp, "Gamma", unlimited()).await;
    let s = c
        .api
        .create_server(&server_body("gamma-1", 10), None)
        .await
        .unwrap();
    let u = c
        .api
        .create_user(&user_body("cy@gamma.example"), None)
        .await
        .unwrap();
    let ap = c
        .api
        .install_app(s.id, &app_body("gitea"), None)
        .await
        .unwrap();
    let (more, end2) = follow(&msp.api, Some(end.clone()), 2).await;
    let got: Vec<(ChangeKind, String, ChangeOp)> =
        more.iter().map(|i| (i.kind, i.id.clone(), i.op)).collect();
    let ci = c.id.to_string();
    assert_eq!(
        got,
        vec![
            (K::Catalog, ci.clone(), U),
            (K::Branding, ci.clone(), U),
            (K::Server, s.id.to_string(), U),
            (K::User, u.id.to_string(), U),
            (K::App, ap.id.to_string(), U),
            (K::Client, ci.clone(), U),
        ]
    );
    // Nothing changed: an empty page at the same cursor.
    let idle = msp.api.changes(Some(&end2), None).await.unwrap();
    assert!(idle.items.is_empty() && idle.complete);
    assert_eq!(idle.next_cursor, end2);
}

#[tokio::test]
async fn a_snapshot_lists_the_current_state_as_the_routes_do() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "Alpha", unlimited()).await;
    let b = client(&msp, "Beta", unlimited()).await;
    let gone = client(&msp, "Gone", unlimited()).await;
    for (i, t) in [&a, &b].into_iter().enumerate() {
        let s = t
            .api
            .create_server(&server_body(&format!("srv-{i}"), 10), None)
            .await
            .unwrap();
        t.api
            .install_app(s.id, &app_body("gitea"), None)
            .await
            .unwrap();
        let u = t
            .api
            .create_user(&user_body(&format!("u{i}@x.example")), None)
            .await
            .unwrap();
        t.api
            .create_user(&user_body(&format!("v{i}@x.example")), None)
            .await
            .unwrap();
        t.api.delete_user(u.id).await.unwrap();
    }
    let old = b
        .api
        .create_server(&server_body("old", 10), None)
        .await
        .unwrap();
    b.api.delete_server(old.id).await.unwrap();
    msp.api.delete_client(gone.id).await.unwrap();

    let (items, _) = follow(&msp.api, None, 3).await;
    assert!(items.iter().all(|i| i.op == ChangeOp::Upsert));
    let mut seen = std::collections::HashSet::new();
    for i in &items {
        assert!(seen.insert((i.kind, i.id.clone())), "twice: {i:?}");
    }
    let mut feed = State::new();
    apply(&mut feed, &items);
    assert_eq!(feed, state_through_routes(&msp).await);
    assert!(!feed.contains_key(&(ChangeKind::Client, gone.id.to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_during_a_paged_read_lose_nothing() {
    let app = spawn_app_with(AppOptions {
        pool_size: 16,
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let mut tenants = Vec::new();
    for i in 0..3 {
        tenants.push(client(&msp, &format!("Busy {i}"), unlimited()).await);
    }
    let (items, mut cursor) = follow(&msp.api, None, 3).await;
    let mut mirror = State::new();
    apply(&mut mirror, &items);

    let mut writers = Vec::new();
    for (c, t) in tenants.iter().enumerate() {
        let api = t.api.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..8 {
                let s = api
                    .create_server(&server_body(&format!("w{c}-{i}"), 5), None)
                    .await
                    .unwrap();
                let u = api
                    .create_user(&user_body(&format!("w{c}-{i}@x.example")), None)
                    .await
                    .unwrap();
                let a = api
                    .install_app(s.id, &app_body("gitea"), None)
                    .await
                    .unwrap();
                if i % 3 == 0 {
                    api.delete_user(u.id).await.unwrap();
                    api.uninstall_app(s.id, a.id).await.unwrap();
                }
                if i % 4 == 1 {
                    api.delete_server(s.id).await.unwrap();
                }
            }
        }));
    }
    let mut pages_during = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        let page = msp.api.changes(Some(&cursor), Some(3)).await.unwrap();
        apply(&mut mirror, &page.items);
        cursor = page.next_cursor;
        pages_during += 1;
    }
    for w in writers {
        w.await.unwrap();
    }
    let (rest, _) = follow(&msp.api, Some(cursor), 3).await;
    apply(&mut mirror, &rest);
    assert!(pages_during > 1, "the reader paged while writers wrote");
    let routes = state_through_routes(&msp).await;
    assert_eq!(
        mirror.keys().collect::<Vec<_>>(),
        routes.keys().collect::<Vec<_>>()
    );
    assert_eq!(mirror, routes);
}

#[tokio::test]
async fn a_cursor_older_than_the_kept_tombstones_must_resync() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Churn", unlimited()).await;
    let (_, before) = follow(&msp.api, None, 100).await;
    let u = t
        .api
        .create_user(&user_body("gone@x.example"), None)
        .await
        .unwrap();
    t.api.delete_user(u.id).await.unwrap();
    let (items, after) = follow(&msp.api, Some(before.clone()), 100).await;
    assert!(items
        .iter()
        .any(|i| i.op == ChangeOp::Delete && i.id == u.id.to_string()));

    // Tombstones of 29 days are kept; of 31 days purged on the next read.
    sqlx::query("UPDATE changes SET changed_at = now() - interval '29 days' WHERE op = 'delete'")
        .execute(&app.admin)
        .await
        .unwrap();
    msp.api.changes(Some(&before), None).await.unwrap();
    sqlx::query("UPDATE changes SET changed_at = now() - interval '31 days' WHERE op = 'delete'")
        .execute(&app.admin)
        .await
        .unwrap();
    let err = msp.api.changes(Some(&before), None).await.unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::ResyncRequired));
    let status = msp
        .api
        .request(Method::GET, "/api/v1/changes")
        .query(&[("since", before.as_str())])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::GONE);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM changes WHERE op = 'delete'")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
    // A cursor past the purged tombstone, and a fresh snapshot (even one paged a row at a
    // time), are fine.
    msp.api.changes(Some(&after), None).await.unwrap();
    let (snapshot, _) = follow(&msp.api, None, 1).await;
    assert!(snapshot.iter().all(|i| i.op == ChangeOp::Upsert));
    assert!(!snapshot.iter().any(|i| i.id == u.id.to_string()));
}

#[tokio::test]
async fn bad_parameters_are_400_and_a_client_token_403() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Params", unlimited()).await;
    for query in [
        "since=nope",
        "since=1:x",
        "since=2:5",
        "since=1:-3",
        "since=",
        "limit=ten",
    ] {
        let resp = msp
            .api
            .request(Method::GET, "/api/v1/changes")
            .query(
                &query
                    .split_once('=')
                    .map(|(k, v)| vec![(k, v)])
                    .unwrap_or_default(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{query}");
        let problem: mspdesk_api::Problem = resp.json().await.unwrap();
        assert_eq!(problem.code, ProblemCode::BadRequest);
    }
    // Out of range: 422 naming `limit`, as on every list (never clamped).
    for limit in ["0", "5001", "-1"] {
        let resp = msp
            .api
            .request(Method::GET, "/api/v1/changes")
            .query(&[("limit", limit)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{limit}");
        let problem: mspdesk_api::Problem = resp.json().await.unwrap();
        assert_eq!(problem.errors.unwrap()[0].field, "limit");
    }
    for limit in [1, 5000] {
        msp.api.changes(None, Some(limit)).await.unwrap();
    }
    let page = msp.api.changes(None, None).await.unwrap();
    assert!(page.complete && page.items.len() < CHANGES_DEFAULT_LIMIT as usize);
    let err = t.api.changes(None, None).await.unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::Forbidden));
}

#[tokio::test]
async fn pages_are_gzipped_when_the_client_accepts_it() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let login = app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let url = format!("{}/api/v1/changes", app.url);
    let gz = raw
        .get(&url)
        .bearer_auth(login.token.expose_secret())
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), StatusCode::OK);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = raw
        .get(&url)
        .bearer_auth(login.token.expose_secret())
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let body: ChangesPage = plain.json().await.unwrap();
    // The typed client asks for gzip and decodes it.
    assert_eq!(msp.api.changes(None, None).await.unwrap(), body);
}

/// Every "Seq Scan" on `changes` in an EXPLAIN (FORMAT JSON) plan.
fn seq_scans_of_changes(plan: &Value, found: &mut Vec<String>) {
    match plan {
        Value::Object(node) => {
            if node.get("Node Type") == Some(&Value::from("Seq Scan"))
                && node.get("Relation Name") == Some(&Value::from("changes"))
            {
                found.push(plan.to_string());
            }
            node.values().for_each(|v| seq_scans_of_changes(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| seq_scans_of_changes(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn pages_are_served_from_indexes_at_100000_rows() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let other = msp_other(&app).await;
    for (tenant, rows) in [(msp.tenant.as_uuid(), 100_000), (other, 20_000)] {
        sqlx::query(
            "INSERT INTO changes (msp_id, tenant_id, kind, id, client_id, op, seq)
             SELECT $1, $1, 'plan', 'bulk-' || g, NULL,
                    CASE WHEN g % 10 = 0 THEN 'delete' ELSE 'upsert' END, 1000 + g
             FROM generate_series(1, $2) g",
        )
        .bind(tenant)
        .bind(rows)
        .execute(&app.admin)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE changes")
        .execute(&app.pool)
        .await
        .unwrap();
    // As a request runs it: the app role, in the MSP's tenant, under RLS.
    let mut tx = as_tenant(&app.pool, Some(msp.tenant.as_uuid())).await;
    let page_query = mspdesk_server::store::changes::PAGE_QUERY;
    // (since, floor): a sync from mid-feed, and a snapshot's first page.
    for (since, floor) in [(50_000_i64, 0_i64), (0, 101_000)] {
        let explain = |format: &str| format!("EXPLAIN ({format}) {page_query}");
        let plan: Value = sqlx::query_scalar(&explain("FORMAT JSON"))
            .bind(msp.tenant.as_uuid())
            .bind(since)
            .bind(floor)
            .bind(1001_i64)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let text: Vec<String> = sqlx::query_scalar(&explain("ANALYZE, COSTS, BUFFERS"))
            .bind(msp.tenant.as_uuid())
            .bind(since)
            .bind(floor)
            .bind(1001_i64)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        println!(
            "page query plan at 100,000 rows (since {since}, floor {floor}):\n{}\n{}",
            text.join("\n"),
            serde_json::to_string_pretty(&plan).unwrap()
        );
        let mut scans = Vec::new();
        seq_scans_of_changes(&plan, &mut scans);
        assert!(scans.is_empty(), "sequential scan of changes: {scans:?}");
        assert!(plan.to_string().contains("changes_msp_seq"), "{plan}");
    }
    // And through the API, a full page comes back.
    drop(tx);
    let page = msp.api.changes(Some("1:50000"), Some(5000)).await.unwrap();
    assert_eq!(page.items.len(), 5000);
    assert!(!page.complete);
}

/// A second MSP's tenant id (for rows of another MSP in the same table).
async fn msp_other(app: &TestApp) -> uuid::Uuid {
    msp(app).await.tenant.as_uuid()
}

#[tokio::test]
async fn the_migration_backfills_the_feed_of_an_existing_database() {
    use mspdesk_server::db::MIGRATOR;
    // The schema as it was before the feed, with data written then.
    let db_url = empty_database().await;
    let pool = mspdesk_server::db::connect(&db_url, 10).await.unwrap();
    let before = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            MIGRATOR
                .migrations
                .iter()
                .filter(|m| m.version < 4)
                .cloned()
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    before.run(&pool).await.unwrap();
    mspdesk_server::store::setup::sync_templates(&pool)
        .await
        .unwrap();
    let (msp_id, client_id, server_id) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let email = format!("old-{}@msp.example", msp_id.simple());
    let hash = mspdesk_server::auth::hash_password(&secret(PASSWORD)).unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO providers (id, name) VALUES ('{msp_id}', 'Old MSP');
         INSERT INTO operators (tenant_id, id, email, password_hash)
             VALUES ('{msp_id}', '{op}', '{email}', '{hash}');
         INSERT INTO plans (tenant_id, id, name, license_fee, currency)
             VALUES ('{msp_id}', '{plan}', 'Basic', 5, 'EUR');
         INSERT INTO prices (tenant_id, provider, server_type, hourly, monthly, currency)
             VALUES ('{msp_id}', 'hetzner', 'cx22', 0.01, 5, 'EUR');
         INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ('{msp_id}', 'USD', 0.9);
         INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
             VALUES ('{msp_id}', '{client_id}', 'Old Client', 'c@old.example', '{plan}');
         INSERT INTO servers (tenant_id, id, name, provider, server_type, storage_gb, hourly,
                              monthly, currency, created_at)
             VALUES ('{client_id}', '{server_id}', 'old-1', 'hetzner', 'cx22', 20, 0.01, 5, 'EUR', now());
         INSERT INTO users (tenant_id, id, email, name)
             VALUES ('{client_id}', '{user}', 'u@old.example', 'U');
         INSERT INTO apps (tenant_id, id, server_id, template_id)
             VALUES ('{client_id}', '{app}', '{server_id}', 'gitea');
         INSERT INTO catalogs (tenant_id, mode, enabled, version)
             VALUES ('{client_id}', 'custom', '{{gitea}}', 3);",
        op = uuid::Uuid::now_v7(),
        plan = uuid::Uuid::now_v7(),
        user = uuid::Uuid::now_v7(),
        app = uuid::Uuid::now_v7(),
    ))
    .execute(&as_superuser(&pool).await)
    .await
    .unwrap();

    // The feed's migration, then the server on that database.
    mspdesk_server::migrate(&pool).await.unwrap();
    let app = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let login = app.api.login(&email, &secret(PASSWORD)).await.unwrap();
    let old = Msp {
        tenant: login.tenant_id,
        api: app.api.with_token(login.token),
        email,
    };
    let (items, cursor) = follow(&old.api, None, 2).await;
    let mut feed = State::new();
    apply(&mut feed, &items);
    let routes = state_through_routes(&old).await;
    assert_eq!(routes.len(), 9, "{routes:#?}");
    assert_eq!(feed, routes);

    // Writes continue the backfilled numbering.
    let token = old
        .api
        .client_token(mspdesk_domain::ClientId::try_from(client_id).unwrap())
        .await
        .unwrap();
    let tenant = old.api.with_token(token.token);
    let s = tenant
        .create_server(&server_body("new-1", 10), None)
        .await
        .unwrap();
    let (more, _) = follow(&old.api, Some(cursor), 2).await;
    let got: Vec<(ChangeKind, String)> = more.iter().map(|i| (i.kind, i.id.clone())).collect();
    assert_eq!(
        got,
        vec![
            (ChangeKind::Server, s.id.to_string()),
            (ChangeKind::Client, client_id.to_string()),
        ]
    );
}
