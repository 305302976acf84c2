//! Operators signing in: a wrong password and an unknown e-mail get the same answer, guesses
//! are throttled per account and per address, and password checks are bounded (past the
//! bound, 503).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use mspdesk_api::ProblemCode;
use mspdesk_server::Settings;
use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn health_and_login_errors() {
    let app = spawn_app().await;
    assert_eq!(app.api.health().await.unwrap().status, "ok");
    let msp = msp(&app).await;

    let wrong = app
        .api
        .login(&msp.email, &secret("wrong password"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(ProblemCode::Unauthorized));
    let unknown = app
        .api
        .login("nobody@msp.example", &secret(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some(ProblemCode::Unauthorized));
    // Same answer for both: nothing tells which e-mails exist.
    assert_eq!(
        wrong.problem().unwrap().detail,
        unknown.problem().unwrap().detail
    );
    // E-mail matching ignores case.
    assert!(app
        .api
        .login(&msp.email.to_uppercase(), &secret(PASSWORD))
        .await
        .is_ok());
}

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
    // From the guessing address, even the right password waits.
    let blocked = app
        .api
        .login(&victim.email, &secret(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Some(ProblemCode::TooManyRequests));
    // But nobody can lock another person out: the victim on another address signs in at once.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = elsewhere
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&serde_json::json!({"email": victim.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_further_failure_from_one_address_waits_longer() {
    let app = spawn_app().await;
    let operator = msp(&app).await;
    let guess = secret("wrong password!!");
    let wrong = || app.api.login(&operator.email, &guess);
    let retry_after = async || {
        let res = app
            .api
            .request(Method::POST, "/api/v1/auth/login")
            .json(&serde_json::json!({"email": operator.email, "password": "wrong password!!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(
            wrong().await.unwrap_err().code(),
            Some(ProblemCode::Unauthorized)
        );
    }
    let first = retry_after().await;
    assert!((55..=60).contains(&first), "{first}");
    // The wait over (moved to the past here), one more failure waits twice as long.
    sqlx::query("UPDATE throttle SET blocked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        wrong().await.unwrap_err().code(),
        Some(ProblemCode::Unauthorized)
    );
    let second = retry_after().await;
    assert!((115..=120).contains(&second), "{second}");
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
