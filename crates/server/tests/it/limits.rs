//! Timeouts and the bound on requests at once: a client slow to send its headers is cut off, a
//! request that takes too long gets 503 and changes nothing, and requests past the bound get
//! 503 at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use mspdesk_api::ProblemCode;
use mspdesk_server::Settings;
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

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
    let res = m
        .api
        .request(Method::GET, "/api/v1/plans")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().get("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(1));
    // Health checks take no place among the requests at once: they answer all the same.
    app.api.health().await.unwrap();
    blocker.commit().await.unwrap();
    waiting.await.unwrap().unwrap();
    app.api.health().await.unwrap();
}
