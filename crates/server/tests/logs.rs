//! Logs never contain tokens or passwords, even at the most verbose level.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use mspdesk_api::types::CreateUser;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_and_passwords_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let app = spawn_app().await;
    let msp = msp(&app).await;
    let login = app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    let wrong = "hunter2-wrong-password";
    assert!(app.api.login(&msp.email, &secret(wrong)).await.is_err());
    let t = client(&msp, "Logged", unlimited()).await;
    let client_token = msp.api.client_token(t.id).await.unwrap().token;
    t.api
        .create_user(
            &CreateUser {
                email: "u@x.example".into(),
                name: "U".into(),
            },
            None,
        )
        .await
        .unwrap();
    // An internal error path: a request with a bad token.
    let _ = app
        .api
        .with_token(secret(&format!("{}x", login.token.expose_secret())))
        .plans()
        .await;

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("control panel listening"),
        "the capture works"
    );
    assert!(text.contains("/api/v1/auth/login"), "requests are logged");
    assert!(
        text.contains(&format!("create_user{{tenant={}", t.id)),
        "handlers log in a span that records the tenant"
    );
    for secret in [
        login.token.expose_secret(),
        client_token.expose_secret(),
        PASSWORD,
        wrong,
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    // Not even the signature part of a token.
    let signature = login.token.expose_secret().rsplit('.').next().unwrap();
    assert!(!text.contains(signature));
}
