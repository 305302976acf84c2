//! A careful desk, against servers that misbehave: a tiny HTTP responder plays the Control
//! Panel and answers what each test needs (a redirect to another origin, a huge body, a token
//! for another tenant, a feed that never ends); and the store's files are private.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use mspdesk_api::client::ApiError;
use mspdesk_desk::{Desk, DeskError, PlainHttp, SignOut};
use mspdesk_domain::TenantId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::*;

/// An answer: status, extra header lines, body.
type Answer = (u16, Vec<String>, Vec<u8>);

/// Serves every request with `answer(method, path)` (one request per connection) and counts
/// the requests it got.
async fn responder(
    answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = Arc::clone(&answer);
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as it announces.
                let head_end = loop {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let mut first = head.split_whitespace();
                let method = first.next().unwrap_or_default().to_owned();
                let path = first.next().unwrap_or_default().to_owned();
                let (status, headers, body) = answer(&method, &path);
                let mut response = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n");
                for h in headers {
                    response.push_str(&h);
                    response.push_str("\r\n");
                }
                if !response.to_lowercase().contains("content-length") {
                    response.push_str(&format!("content-length: {}\r\n", body.len()));
                }
                response.push_str("\r\n");
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, hits)
}

fn json(status: u16, value: serde_json::Value) -> Answer {
    (
        status,
        vec!["content-type: application/json".to_owned()],
        value.to_string().into_bytes(),
    )
}

/// A JWT-shaped token (unsigned; the desk only reads its payload) for `tenant`.
fn token_for(tenant: TenantId) -> String {
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let exp = chrono::Utc::now().timestamp() + 3600;
    format!(
        "{}.{}.sig",
        b64(serde_json::json!({"alg": "EdDSA", "typ": "JWT"})),
        b64(serde_json::json!({"tid": tenant, "exp": exp, "sub": uuid::Uuid::now_v7()}))
    )
}

/// A signed-in answer for the MSP `msp`.
fn login_answer(msp: TenantId) -> Answer {
    json(
        200,
        serde_json::json!({
            "token": token_for(msp), "expires_at": chrono::Utc::now() + chrono::Duration::hours(1),
            "tenant_id": msp, "role": "msp_admin"
        }),
    )
}

async fn login(url: &str) -> Result<Desk, DeskError> {
    Desk::login(
        &mspdesk_testkit::data_dir(),
        url,
        "ops@x.example",
        &secret("a password for the test"),
        keyring(),
        PlainHttp::LoopbackOnly,
    )
    .await
}

#[tokio::test]
async fn sign_in_needs_https_away_from_this_machine() {
    let refused = Desk::login(
        &mspdesk_testkit::data_dir(),
        "http://cp.example.com",
        "ops@x.example",
        &secret("a password for the test"),
        keyring(),
        PlainHttp::LoopbackOnly,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&refused, DeskError::Invalid(e) if e[0].field == "server"),
        "{refused}"
    );
}

#[tokio::test]
async fn sign_in_follows_no_redirect_to_another_origin() {
    let (elsewhere, elsewhere_hits) = responder(|_, _| json(200, serde_json::json!({}))).await;
    let target = format!("{elsewhere}/api/v1/auth/login");
    let (url, _) =
        responder(move |_, _| (307, vec![format!("location: {target}")], Vec::new())).await;
    let err = login(&url).await.unwrap_err();
    assert!(
        matches!(
            err,
            DeskError::Api(ApiError::Unexpected { status: 307, .. })
        ),
        "{err}"
    );
    // The password was never sent anywhere else.
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_oversized_answer_is_refused_unread() {
    let (url, _) = responder(|_, _| {
        (
            200,
            vec![format!(
                "content-length: {}",
                mspdesk_api::client::MAX_RESPONSE_BYTES + 1
            )],
            b"{".to_vec(),
        )
    })
    .await;
    let err = login(&url).await.unwrap_err();
    assert!(matches!(err, DeskError::Api(ApiError::TooLarge)), "{err}");
}

#[tokio::test]
async fn a_client_token_for_another_tenant_is_refused() {
    let msp = TenantId::new();
    let stranger = TenantId::new();
    let (url, _) = responder(move |_, path| {
        if path.ends_with("/auth/login") {
            login_answer(msp)
        } else if path.ends_with("/token") {
            // Says it is for the client asked for; the token itself is for another tenant.
            let asked = path.split('/').nth(4).unwrap_or_default().to_owned();
            json(
                200,
                serde_json::json!({
                    "token": token_for(stranger), "expires_at": chrono::Utc::now(),
                    "tenant_id": asked
                }),
            )
        } else {
            json(404, serde_json::json!({}))
        }
    })
    .await;
    let desk = login(&url).await.unwrap();
    let client = mspdesk_domain::ClientId::new();
    let err = desk
        .invite_user(client, uuid::Uuid::now_v7())
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::Foreign(_)), "{err}");
    desk.logout(SignOut::IfNothingUnsent).await.unwrap();
}

#[tokio::test]
async fn a_feed_that_never_ends_is_stopped() {
    let msp = TenantId::new();
    let (url, hits) = responder(move |_, path| {
        if path.ends_with("/auth/login") {
            login_answer(msp)
        } else if path.contains("/changes") {
            // Never complete, and the cursor never moves.
            json(
                200,
                serde_json::json!({"items": [], "next_cursor": "same", "complete": false}),
            )
        } else {
            json(200, serde_json::json!({"items": []}))
        }
    })
    .await;
    let desk = login(&url).await.unwrap();
    let before = hits.load(Ordering::SeqCst);
    let err = desk.sync(|_| {}, &never()).await.unwrap_err();
    assert!(
        matches!(err, DeskError::Api(ApiError::EndlessList(_))),
        "{err}"
    );
    // It stopped after the page that did not move the cursor, not after thousands.
    assert!(hits.load(Ordering::SeqCst) - before < 10);
    desk.logout(SignOut::IfNothingUnsent).await.unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn the_store_is_private_to_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&w.data), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&w.data).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(mspdesk_desk::STORE_FILE) {
            files += 1;
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    assert!(files >= 1);
    desk.logout(SignOut::IfNothingUnsent).await.unwrap();
}
