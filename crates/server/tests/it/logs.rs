//! Logs never contain tokens or passwords, even at the most verbose level.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::CreateUser;

#[tokio::test]
async fn tokens_and_passwords_never_reach_the_logs() {
    let captured = LogCapture::start();

    let app = spawn_app().await;
    let msp = msp(&app).await;
    let login = app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    let wrong = "hunter2-wrong-password";
    assert!(app.api.login(&msp.email, &secret(wrong)).await.is_err());
    let t = client(&msp, "Logged", unlimited()).await;
    let client_token = msp.api.client_token(t.id).await.unwrap().token;
    let user = t
        .api
        .create_user(
            &CreateUser {
                email: "u@x.example".into(),
                name: "U".into(),
            },
            None,
        )
        .await
        .unwrap();
    // An invitation link carries its token in the path; following it is traced.
    let link = t.api.invite_user(user.id).await.unwrap();
    let invitation_token = link.url.rsplit('/').next().unwrap().to_owned();
    let followed = reqwest::get(&link.url).await.unwrap();
    assert!(followed.status().is_success(), "{}", followed.status());
    // An internal error path: a request with a bad token.
    let _ = app
        .api
        .with_token(secret(&format!("{}x", login.token.expose_secret())))
        .plans()
        .await;

    let text = captured.text();
    assert!(
        text.contains("control panel listening"),
        "the capture works"
    );
    assert!(text.contains("/api/v1/auth/login"), "requests are logged");
    assert!(
        text.contains("/invitation/[redacted]"),
        "the invitation request is traced, its token redacted"
    );
    assert!(
        text.contains(&format!("create_user{{tenant={}", t.id)),
        "handlers log in a span that records the tenant"
    );
    for secret in [
        login.token.expose_secret(),
        client_token.expose_secret(),
        PASSWORD,
        wrong,
        &invitation_token,
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    // Not even the signature part of a token.
    let signature = login.token.expose_secret().rsplit('.').next().unwrap();
    assert!(!text.contains(signature));
}
