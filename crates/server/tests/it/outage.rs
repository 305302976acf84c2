//! A database outage is answered with a quick 503, and service resumes by itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use mspdesk_api::ProblemCode;
use reqwest::{Method, StatusCode};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

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
        status_of(&app, Some(&forged), "/api/v1/plans").await,
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
