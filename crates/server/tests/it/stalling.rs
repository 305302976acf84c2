//! Nobody on the network can stall the server: silent sockets, slow request bodies and
//! hoarded connections from one address leave every other address answered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use mspdesk_server::Settings;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::*;

/// A client on another loopback address than the attacker's 127.0.0.1.
fn bystander() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A connection from `from` to `to`.
async fn connect_from(from: [u8; 4], to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

/// A request whose body will never finish: the headers promise 1,000 bytes, one is sent.
async fn slow_body(to: SocketAddr) -> std::io::Result<TcpStream> {
    let mut stream = connect_from([127, 0, 0, 1], to).await?;
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        )
        .await?;
    Ok(stream)
}

/// Whether the server has closed `stream` (reads its end, or an error) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // An answer (a 408, say) before the close: keep reading to the end.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn silent_sockets_and_slow_bodies_from_one_address_stall_no_other() {
    // Every attacking socket gets in (the per-address cap has a test of its own): what is
    // tested here is that holding them takes nothing others need.
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            max_connections_per_address: 10_000,
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let operator = msp(&app).await;
    let mut silent = Vec::new();
    for _ in 0..1_100 {
        silent.push(connect_from([127, 0, 0, 1], app.addr).await.unwrap());
    }
    let mut slow = Vec::new();
    for _ in 0..520 {
        slow.push(slow_body(app.addr).await.unwrap());
    }
    // Let the server take them all in.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let client = bystander();
    let started = Instant::now();
    let health = client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let login = client
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&serde_json::json!({"email": operator.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "{:?}", login.text().await);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    drop((silent, slow));
}

#[tokio::test]
async fn one_address_holds_only_its_share_of_connections() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            max_connections_per_address: 4,
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect_from([127, 0, 0, 1], app.addr).await.unwrap());
    }
    // The fifth from the same address is closed at once; another address is served.
    let mut fifth = connect_from([127, 0, 0, 1], app.addr).await.unwrap();
    assert!(closed_within(&mut fifth, Duration::from_secs(2)).await);
    let health = bystander()
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // A connection given back makes room again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect_from([127, 0, 0, 1], app.addr).await.unwrap();
    again
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    again.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn silent_and_slow_connections_are_closed() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            first_byte_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(2),
            min_body_rate: 1_000,
            body_grace: Duration::from_secs(1),
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    // Never a byte: closed after the first-byte timeout.
    let mut silent = connect_from([127, 0, 0, 1], app.addr).await.unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    assert!(started.elapsed() >= Duration::from_millis(900));

    // A body at one byte and then nothing: 408 once the grace is over.
    let mut slow = slow_body(app.addr).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut answer))
        .await
        .expect("an answer within the grace and a little")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A kept-alive connection with nothing in progress: closed after the idle timeout.
    let mut idle = connect_from([127, 0, 0, 1], app.addr).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 256];
    let n = idle.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle, Duration::from_secs(6)).await);
}
