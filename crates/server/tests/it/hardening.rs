//! Hardening, one test per promise: sign-in throttling and bounded password checks, tokens
//! that end (sign-out, deleted clients and users, configurable lifetime), key rotation and
//! revocation across instances, bounded input and paged lists, expiring idempotency keys,
//! timeouts and a bound on concurrent requests, the database's own defences, and a database
//! outage answered with 503.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use mspdesk_api::types::{CreateUser, FxRateInput, QuotasInput, UpdateFx, UpdatePrice};
use mspdesk_api::ProblemCode;
use mspdesk_server::{auth, Settings};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn status_of(app: &TestApp, token: &str, path: &str) -> StatusCode {
    app.api
        .request(Method::GET, path)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

// ---------------------------------------------------------------------------------------------
// Sign-in

#[tokio::test]
async fn a_burst_of_guesses_gets_429s_while_another_account_signs_in() {
    let app = spawn_app().await;
    let victim = msp(&app).await;
    let other = msp(&app).await;
    let guesses = 60;
    let started = Instant::now();
    let burst = futures::future::join_all((0..guesses).map(|i| {
        let api = app.api.clone();
        let email = victim.email.clone();
        async move {
            api.request(Method::POST, "/api/v1/auth/login")
                .json(&serde_json::json!({"email": email, "password": format!("guess {i}")}))
                .send()
                .await
                .unwrap()
                .status()
        }
    }));
    // Meanwhile: another operator signs in, and a signed-in operator reads, both promptly.
    let others = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = Instant::now();
        app.api
            .login(&other.email, &secret(PASSWORD))
            .await
            .unwrap();
        let sign_in = t.elapsed();
        let t = Instant::now();
        other.api.plans().await.unwrap();
        (sign_in, t.elapsed())
    };
    let (statuses, (sign_in, read)) = tokio::join!(burst, others);
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    let (wrong, throttled, busy) = (
        count(StatusCode::UNAUTHORIZED),
        count(StatusCode::TOO_MANY_REQUESTS),
        count(StatusCode::SERVICE_UNAVAILABLE),
    );
    eprintln!(
        "a burst of {guesses} guesses on one account: {wrong} checked (401), {throttled} refused (429), {busy} busy (503) in {:?}; meanwhile another sign-in took {sign_in:?} and a signed-in read {read:?}",
        started.elapsed()
    );
    assert_eq!(wrong + throttled + busy, guesses);
    // Exactly the account's limit was checked; nothing more reached argon2.
    assert_eq!(wrong + busy, 5, "{statuses:?}");
    assert!(throttled >= guesses - 5);
    assert!(
        read < Duration::from_secs(2),
        "a signed-in read took {read:?}"
    );
    // Each checked failure is audited in the victim's MSP.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'operator.sign_in_failed'",
    )
    .bind(victim.tenant.as_uuid())
    .fetch_one(&app.admin)
    .await
    .unwrap();
    assert_eq!(audited, i64::try_from(wrong).unwrap());
    // The victim's own correct password is refused too until the window ends.
    let blocked = app
        .api
        .login(&victim.email, &secret(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Some(ProblemCode::TooManyRequests));
}

#[tokio::test]
async fn password_checks_are_bounded_and_past_the_bound_answer_503() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            password_checks: 1,
            password_wait: Duration::ZERO,
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    // Different (unknown) accounts, so the account limit is not what refuses them.
    let statuses = futures::future::join_all((0..8).map(|i| {
        let api = app.api.clone();
        async move {
            let res = api
                .request(Method::POST, "/api/v1/auth/login")
                .json(&serde_json::json!({"email": format!("nobody{i}@x.example"), "password": "whatever it is"}))
                .send()
                .await
                .unwrap();
            (res.status(), res.headers().get("retry-after").is_some())
        }
    }))
    .await;
    let busy = statuses
        .iter()
        .filter(|(s, retry)| *s == StatusCode::SERVICE_UNAVAILABLE && *retry)
        .count();
    let checked = statuses
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(busy >= 1, "{statuses:?}");
    assert!(checked >= 1, "{statuses:?}");
    assert_eq!(busy + checked, 8, "{statuses:?}");
    // A turned-away attempt is not counted against the address: 20 more failures fit.
    let counted: i32 = sqlx::query_scalar(
        "SELECT coalesce(sum(failures), 0)::int FROM throttle WHERE scope = 'operator-address'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(usize::try_from(counted).unwrap(), checked);
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[tokio::test]
async fn logout_revokes_the_token_on_every_instance() {
    let (db_url, pool) = database(10).await;
    let one = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let two = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let m = msp(&one).await;
    let first = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let second = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let (a, b) = (
        first.token.expose_secret().to_owned(),
        second.token.expose_secret().to_owned(),
    );
    assert_eq!(status_of(&two, &a, "/api/v1/plans").await, StatusCode::OK);
    one.api.with_token(first.token).logout().await.unwrap();
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, &a, "/api/v1/plans").await,
            StatusCode::UNAUTHORIZED
        );
        // The operator's other session goes on.
        assert_eq!(status_of(app, &b, "/api/v1/plans").await, StatusCode::OK);
    }
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'session.logout'")
            .fetch_one(&one.admin)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_deleted_clients_token_gets_401_on_read_and_write() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let gone = client(&m, "Gone", unlimited()).await;
    gone.api.tenant().await.unwrap();
    m.api.delete_client(gone.id).await.unwrap();
    let read = gone.api.tenant().await.unwrap_err();
    assert_eq!(read.code(), Some(ProblemCode::Unauthorized), "{read}");
    let read = gone.api.catalog().await.unwrap_err();
    assert_eq!(read.code(), Some(ProblemCode::Unauthorized), "{read}");
    let write = gone
        .api
        .create_server(&server_body("after", 1), None)
        .await
        .unwrap_err();
    assert_eq!(write.code(), Some(ProblemCode::Unauthorized), "{write}");
    let write = gone
        .api
        .create_user(
            &CreateUser {
                email: "late@x.example".into(),
                name: "Late".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(write.code(), Some(ProblemCode::Unauthorized), "{write}");
    // The MSP's own token is untouched.
    m.api.plans().await.unwrap();
}

#[tokio::test]
async fn deleting_a_user_revokes_what_was_issued_for_it() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Users", unlimited()).await;
    let user = t
        .api
        .create_user(
            &CreateUser {
                email: "bye@x.example".into(),
                name: "Bye".into(),
            },
            None,
        )
        .await
        .unwrap();
    t.api.delete_user(user.id).await.unwrap();
    let listed: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revoked_subjects WHERE subject = $1)")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(listed);
}

#[tokio::test]
async fn the_msp_token_lifetime_is_configurable() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            msp_token_lifetime: chrono::Duration::minutes(10),
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let m = msp(&app).await;
    let login = app.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let left = login.expires_at - chrono::Utc::now();
    assert!(
        left > chrono::Duration::minutes(9) && left <= chrono::Duration::minutes(10),
        "{left}"
    );
    // A client token (an hour otherwise) ends with the session it was minted in.
    let c = client(&m, "Short", unlimited()).await;
    let minted = app
        .api
        .with_token(login.token)
        .client_token(c.id)
        .await
        .unwrap();
    assert!(minted.expires_at <= login.expires_at);
    assert!(minted.expires_at > login.expires_at - chrono::Duration::seconds(5));
}

#[tokio::test]
async fn signing_out_ends_the_client_tokens_minted_in_that_session() {
    let (db_url, pool) = database(10).await;
    let one = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let two = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let m = msp(&one).await;
    let c = client(&m, "Minted", unlimited()).await;
    let first = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let second = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let session = one.api.with_token(first.token.clone());
    let in_first = session.client_token(c.id).await.unwrap();
    let other_session = one.api.with_token(second.token);
    let in_second = other_session.client_token(c.id).await.unwrap();
    let (a, b) = (
        in_first.token.expose_secret().to_owned(),
        in_second.token.expose_secret().to_owned(),
    );
    assert_eq!(status_of(&two, &a, "/api/v1/tenant").await, StatusCode::OK);
    session.logout().await.unwrap();
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, &a, "/api/v1/tenant").await,
            StatusCode::UNAUTHORIZED
        );
        // Minted in the operator's other session: goes on.
        assert_eq!(status_of(app, &b, "/api/v1/tenant").await, StatusCode::OK);
    }
    // Signing a client token out ends that one only, not the session.
    one.api.with_token(in_second.token).logout().await.unwrap();
    assert_eq!(
        status_of(&one, &b, "/api/v1/tenant").await,
        StatusCode::UNAUTHORIZED
    );
    assert!(other_session.client_token(c.id).await.is_ok());
}

#[tokio::test]
async fn rotated_keys_sign_and_a_revoked_key_fails_on_a_second_instance() {
    let (db_url, pool) = database(10).await;
    let fast = Settings {
        key_reload_interval: Duration::from_millis(300),
        ..Settings::default()
    };
    let one = spawn_app_with(AppOptions {
        settings: fast.clone(),
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    let two = spawn_app_with(AppOptions {
        settings: fast,
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    let m = msp(&one).await;
    let old = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let old = old.token.expose_secret().to_owned();
    let old_kid = kid_of(&old);

    let new_kid = auth::rotate_keys(&pool).await.unwrap();
    assert_ne!(new_kid, old_kid);
    // Within three reloads, instance two signs with the new key; the old token still verifies.
    // Every token signed meanwhile verifies on the other instance: it has loaded a key before
    // any instance signs with it.
    let mut signed = String::new();
    for _ in 0..50 {
        let login = two.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
        signed = login.token.expose_secret().to_owned();
        assert_eq!(
            status_of(&one, &signed, "/api/v1/plans").await,
            StatusCode::OK
        );
        if kid_of(&signed) == new_kid {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kid_of(&signed), new_kid);
    assert_eq!(status_of(&two, &old, "/api/v1/plans").await, StatusCode::OK);

    // Revoked: the old key's tokens fail on both instances within a reload.
    assert_eq!(auth::revoke_key(&pool, &old_kid).await.unwrap(), None);
    let started = Instant::now();
    while status_of(&two, &old, "/api/v1/plans").await == StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, &old, "/api/v1/plans").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(app, &signed, "/api/v1/plans").await,
            StatusCode::OK
        );
    }
    // Revoking the last key in force makes a new one, so instances can still sign.
    let replacement = auth::revoke_key(&pool, &new_kid).await.unwrap();
    assert!(replacement.is_some());
    assert!(auth::revoke_key(&pool, &new_kid).await.is_err());
}

// ---------------------------------------------------------------------------------------------
// Bounded input

async fn refused_field(res: reqwest::Response) -> Vec<String> {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: mspdesk_api::Problem = res.json().await.unwrap();
    problem
        .errors
        .unwrap()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[tokio::test]
async fn each_out_of_range_number_gets_422_naming_its_field() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Numbers", unlimited()).await;

    for (rate, why) in [
        ("0.00000000001", "11 decimals"),
        ("99999999999", "11 digits"),
    ] {
        let err = m
            .api
            .set_fx(&UpdateFx {
                currency: "EUR".into(),
                rates: vec![FxRateInput {
                    currency: "USD".into(),
                    rate: rate.into(),
                }],
            })
            .await
            .unwrap_err();
        let fields: Vec<_> = err.problem().unwrap().errors.clone().unwrap();
        assert_eq!(fields[0].field, "rates[0].rate", "{why}");
    }
    for (hourly, monthly, field) in [
        ("100000000", "1", "hourly"),
        ("0.1234567", "1", "hourly"),
        ("1", "10000000000", "monthly"),
        ("1", "1.00001", "monthly"),
    ] {
        let err = m
            .api
            .set_price(
                mspdesk_domain::Provider::Hetzner,
                "cx22",
                &UpdatePrice {
                    description: None,
                    hourly: hourly.into(),
                    monthly: monthly.into(),
                    currency: "EUR".into(),
                },
            )
            .await
            .unwrap_err();
        let fields = refused_fields(&err);
        assert!(
            fields.contains(&field.to_owned()),
            "{hourly}/{monthly}: {fields:?}"
        );
    }
    // A quota of three billion is refused, not stored as 2,147,483,647.
    let res = m
        .api
        .request(Method::PUT, &format!("/api/v1/clients/{}/quotas", t.id))
        .header("If-Match", format!("\"{}\"", t.version))
        .json(&serde_json::json!({"max_servers": 3_000_000_000_i64}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_field(res).await, ["max_servers"]);
    let stored = m.api.get_client(t.id).await.unwrap();
    assert_eq!(stored.quotas.max_servers, None);
    let plans = m.api.plans().await.unwrap();
    let res = m
        .api
        .request(Method::POST, "/api/v1/clients")
        .json(&serde_json::json!({
            "company_name": "Huge", "contact_email": "h@x.example",
            "plan_id": plans.items[0].id, "quotas": {"storage_quota_gb": 2_147_483_648_i64}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_field(res).await, ["quotas.storage_quota_gb"]);
    // The largest value that fits is accepted as it is.
    let ok = m
        .api
        .set_quotas(
            t.id,
            &QuotasInput {
                max_users: Some(2_147_483_647),
                ..QuotasInput::default()
            },
            t.version,
        )
        .await
        .unwrap();
    assert_eq!(ok.quotas.max_users, Some(2_147_483_647));
    let res = t
        .api
        .request(Method::POST, "/api/v1/servers")
        .json(&serde_json::json!({
            "name": "big", "provider": "other", "server_type": "x", "storage_gb": 3_000_000_000_i64,
            "price": {"hourly": "100000000", "monthly": "1", "currency": "EUR"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_field(res).await, ["storage_gb", "price.hourly"]);
}

#[tokio::test]
async fn the_bounds_match_the_schema() {
    let (_, pool) = database(2).await;
    use mspdesk_api::types::bounds::{FX_RATE, HOURLY, MONTHLY};
    for (table, column, bound) in [
        ("prices", "hourly", HOURLY),
        ("servers", "hourly", HOURLY),
        ("prices", "monthly", MONTHLY),
        ("servers", "monthly", MONTHLY),
        ("fx_rates", "rate", FX_RATE),
    ] {
        let (precision, scale): (i32, i32) = sqlx::query_as(
            "SELECT numeric_precision, numeric_scale FROM information_schema.columns
             WHERE table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (precision, scale),
            (
                i32::try_from(bound.precision).unwrap(),
                i32::try_from(bound.scale).unwrap()
            ),
            "{table}.{column}"
        );
    }
    for (table, column) in [
        ("clients", "max_servers"),
        ("clients", "max_users"),
        ("clients", "max_apps_per_server"),
        ("clients", "storage_quota_gb"),
        ("servers", "storage_gb"),
    ] {
        let kind: String = sqlx::query_scalar(
            "SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(kind, "integer", "{table}.{column}");
    }
}

#[tokio::test]
async fn every_list_pages_with_limit_and_cursor() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Pages", unlimited()).await;
    // 60 users and 60 servers (written directly), 3 apps on one server.
    sqlx::query(
        "INSERT INTO users (tenant_id, id, email, name)
         SELECT $1, gen_random_uuid(), 'u' || g || '@x.example', 'U' FROM generate_series(1, 60) g",
    )
    .bind(t.id.as_uuid())
    .execute(&app.admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO servers (tenant_id, id, name, provider, server_type, storage_gb, hourly, monthly, currency, created_at)
         SELECT $1, gen_random_uuid(), 's' || g, 'hetzner', 'cx22', 1, 0, 0, 'EUR', now() - g * interval '1 minute'
         FROM generate_series(1, 60) g",
    )
    .bind(t.id.as_uuid())
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
            assert_eq!(refused_field(res).await, ["limit"], "{path}?limit={bad}");
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
    assert_eq!(refused_field(res).await, ["limit"]);
}

#[tokio::test]
async fn idempotency_keys_expire_after_24_hours() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Keys", unlimited()).await;
    let body = server_body("once", 1);
    let first = t.api.create_server(&body, Some("key-1")).await.unwrap();
    let again = t.api.create_server(&body, Some("key-1")).await.unwrap();
    assert_eq!(first.id, again.id);
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '23 hours 59 minutes'")
        .execute(&app.admin)
        .await
        .unwrap();
    assert_eq!(
        t.api.create_server(&body, Some("key-1")).await.unwrap().id,
        first.id
    );
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute'")
        .execute(&app.admin)
        .await
        .unwrap();
    let later = t.api.create_server(&body, Some("key-1")).await.unwrap();
    assert_ne!(later.id, first.id);
}

// ---------------------------------------------------------------------------------------------
// Timeouts and limits

#[tokio::test]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            header_read_timeout: Duration::from_millis(500),
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(3));
    // A prompt client is served.
    app.api.health().await.unwrap();
}

#[tokio::test]
async fn a_request_that_takes_too_long_gets_503_and_changes_nothing() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            request_timeout: Duration::from_secs(1),
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let m = msp(&app).await;
    let t = client(&m, "Slow", unlimited()).await;
    let blocker = hold_server_lock(&app, &t).await;
    let started = Instant::now();
    let err = t
        .api
        .create_server(&server_body("never", 1), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::Unavailable), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    blocker.rollback().await.unwrap();
    assert!(t.api.servers().await.unwrap().items.is_empty());
}

#[tokio::test]
async fn requests_past_the_concurrency_bound_get_503_at_once() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            max_concurrent_requests: 1,
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let m = msp(&app).await;
    let t = client(&m, "Busy", unlimited()).await;
    let blocker = hold_server_lock(&app, &t).await;
    let waiting = create_waiting_on_lock(&app, &t, "w").await;
    let started = Instant::now();
    let res = app
        .api
        .request(Method::GET, "/health")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(1));
    blocker.commit().await.unwrap();
    waiting.await.unwrap().unwrap();
    app.api.health().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL's own defences

#[tokio::test]
async fn serve_refuses_a_superuser_unless_allowed() {
    let app = spawn_app().await;
    // The tests' own server runs as the owner role, which is neither.
    assert_eq!(
        mspdesk_server::db::privileged_role(&app.pool)
            .await
            .unwrap(),
        None
    );
    let state = mspdesk_server::AppState::new(app.admin.clone())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = mspdesk_server::serve(listener, state.clone(), async {}).await;
    assert!(
        matches!(refused, Err(mspdesk_server::StartError::PrivilegedRole(_))),
        "{refused:?}"
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = state.with_settings(Settings {
        allow_superuser: true,
        ..Settings::default()
    });
    mspdesk_server::serve(listener, allowed, async {})
        .await
        .unwrap();
}

/// Runs `sql` (`$1`: the tenant) as the app role in `tenant`, rolled back; whether it was
/// allowed.
async fn run_as(app: &TestApp, tenant: uuid::Uuid, sql: &str) -> Result<(), sqlx::Error> {
    let mut tx = as_tenant(&app.pool, Some(tenant)).await;
    let result = sqlx::query(sql).bind(tenant).execute(&mut *tx).await;
    tx.rollback().await.unwrap();
    result.map(|_| ())
}

#[tokio::test]
async fn policies_tell_a_provider_tenant_from_a_client_tenant() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Policy", unlimited()).await;
    let c = t.id.as_uuid();
    // A client tenant cannot make itself a provider, nor write a provider's rows.
    for sql in [
        "INSERT INTO providers (id, name) VALUES ($1, 'Sneaky')",
        "INSERT INTO operators (tenant_id, id, email, password_hash) VALUES ($1, gen_random_uuid(), 'x@y.example', 'x')",
        "INSERT INTO plans (tenant_id, id, name, license_fee, currency) VALUES ($1, gen_random_uuid(), 'P', 0, 'EUR')",
        "INSERT INTO prices (tenant_id, provider, server_type, hourly, monthly, currency) VALUES ($1, 'hetzner', 'x', 0, 0, 'EUR')",
        "INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, 'GBP', 1)",
        "INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
         SELECT $1, gen_random_uuid(), 'Sub', 'a@b.example', p.id FROM plans p LIMIT 1",
    ] {
        assert!(run_as(&app, c, sql).await.is_err(), "a client may: {sql}");
    }
    // A provider tenant writes no client-owned rows in its own name.
    let p = m.tenant.as_uuid();
    for sql in [
        "INSERT INTO users (tenant_id, id, email, name) VALUES ($1, gen_random_uuid(), 'u@x.example', 'U')",
        "INSERT INTO catalogs (tenant_id) VALUES ($1)",
        "INSERT INTO branding (tenant_id) VALUES ($1)",
    ] {
        assert!(run_as(&app, p, sql).await.is_err(), "an MSP may: {sql}");
    }
    // What each may do still works.
    run_as(&app, c, "INSERT INTO catalogs (tenant_id) VALUES ($1)")
        .await
        .unwrap();
    run_as(
        &app,
        p,
        "INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, 'GBP', 1)",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn foreign_keys_keep_references_within_a_tenant() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let other = msp(&app).await;
    let a = client(&m, "A", unlimited()).await;
    let b = client(&m, "B", unlimited()).await;
    let b_server = b
        .api
        .create_server(&server_body("b", 1), None)
        .await
        .unwrap();
    // Even the superuser, whom row-level security does not stop, cannot point A's app at B's
    // server, nor give A a plan of another MSP.
    let app_row = sqlx::query(
        "INSERT INTO apps (tenant_id, id, server_id, template_id) VALUES ($1, gen_random_uuid(), $2, 'gitea')",
    )
    .bind(a.id.as_uuid())
    .bind(b_server.id)
    .execute(&app.admin)
    .await
    .unwrap_err();
    assert!(app_row
        .as_database_error()
        .unwrap()
        .is_foreign_key_violation());
    let foreign_plan = other.api.plans().await.unwrap().items[0].id;
    let plan = sqlx::query("UPDATE clients SET plan_id = $2 WHERE id = $1")
        .bind(a.id.as_uuid())
        .bind(foreign_plan)
        .execute(&app.admin)
        .await
        .unwrap_err();
    assert!(plan.as_database_error().unwrap().is_foreign_key_violation());
}

// ---------------------------------------------------------------------------------------------
// A database outage

/// A TCP proxy between the server and PostgreSQL that the test can cut (closing every
/// connection and refusing new ones) and restore.
#[derive(Clone)]
struct DbProxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl DbProxy {
    async fn start(upstream: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            port: listener.local_addr().unwrap().port(),
            up: Arc::new(AtomicBool::new(true)),
            open: Arc::default(),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !p.up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                p.open.lock().unwrap().push(task);
            }
        });
        proxy
    }

    /// Closes every proxied connection; new ones are refused while `stay_down`.
    fn cut(&self, stay_down: bool) {
        self.up.store(!stay_down, Ordering::SeqCst);
        for task in self.open.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_is_a_quick_503_and_service_resumes_by_itself() {
    let direct = empty_database().await;
    let parsed = url::Url::parse(&direct).unwrap();
    let upstream: std::net::SocketAddr = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let proxy = DbProxy::start(upstream).await;
    let mut via = parsed.clone();
    via.set_port(Some(proxy.port)).unwrap();
    let pool = mspdesk_server::db::connect(via.as_str(), 5).await.unwrap();
    mspdesk_server::migrate(&pool).await.unwrap();
    let app = spawn_app_with(AppOptions::on(&direct, &pool)).await;
    let m = msp(&app).await;
    let t = client(&m, "Outage", unlimited()).await;
    t.api
        .create_server(&server_body("before", 1), None)
        .await
        .unwrap();

    // A PostgreSQL restart (every connection dropped, new ones accepted) is transparent.
    proxy.cut(false);
    t.api.servers().await.unwrap();

    // Down: answers come quickly, as 503 `unavailable` with Retry-After.
    proxy.cut(true);
    for (what, result) in [
        ("read", t.api.servers().await.map(|_| ())),
        (
            "write",
            t.api
                .create_server(&server_body("during", 1), None)
                .await
                .map(|_| ()),
        ),
        ("ready", app.api.ready().await.map(|_| ())),
    ] {
        let started = Instant::now();
        let err = result.unwrap_err();
        assert_eq!(err.code(), Some(ProblemCode::Unavailable), "{what}: {err}");
        let _ = started;
    }
    let started = Instant::now();
    let res = t
        .api
        .request(Method::GET, "/api/v1/servers")
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("retry-after").is_some());
    assert!(took < Duration::from_secs(3), "took {took:?}");
    eprintln!("a request during the outage was answered 503 in {took:?}");
    // Liveness does not depend on the database; a token with an unknown key is refused
    // without asking it.
    app.api.health().await.unwrap();
    let forged = format!(
        "{}.{}.x",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"EdDSA","typ":"JWT","kid":"no-such-key"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("{}")
    );
    assert_eq!(
        status_of(&app, &forged, "/api/v1/plans").await,
        StatusCode::UNAUTHORIZED
    );

    // Back: service resumes without a restart, and the write made during the outage is not
    // there (nothing half-done).
    proxy.restore();
    let started = Instant::now();
    let servers = loop {
        match t.api.servers().await {
            Ok(list) => break list.items,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("service did not resume: {e}"),
        }
    };
    assert_eq!(
        servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["before"]
    );
    app.api.ready().await.unwrap();
}
