//! One identity per account: an address spelled with letters that Rust's and PostgreSQL's
//! lower-casings treat differently ("İ" for "i") is no second way into the account, and gets no
//! guesses of its own against it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use mspdesk_api::ProblemCode;
use mspdesk_domain::Email;
use mspdesk_server::store;

use crate::helpers::*;

#[tokio::test]
async fn a_dotted_capital_i_is_no_second_spelling_of_an_operators_address() {
    let app = spawn_app().await;
    let email = format!("info-{}@msp.example", uuid::Uuid::now_v7().simple());
    store::setup::create_msp(
        &app.pool,
        "Dotted MSP",
        &Email::parse(&email).unwrap(),
        &secret(PASSWORD),
    )
    .await
    .unwrap();
    // The database's own lower() takes "İ" for "i" (glibc's C.UTF-8 and most locales do);
    // without that the spelling below would not even have reached the account before.
    let dotted = email.replacen('i', "İ", 1);
    let same: bool = sqlx::query_scalar("SELECT lower($1) = lower($2)")
        .bind(&dotted)
        .bind(&email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        same,
        "this database's lower() does not fold İ to i: the test proves nothing here"
    );

    // The other spelling never signs in, not even with the right password.
    let refused = app.api.login(&dotted, &secret(PASSWORD)).await.unwrap_err();
    assert_eq!(refused.code(), Some(ProblemCode::Unauthorized));

    // Five wrong guesses lock the account; the other spelling then gets no fresh five.
    for _ in 0..5 {
        let wrong = app.api.login(&email, &secret("wrong password!")).await;
        assert_eq!(wrong.unwrap_err().code(), Some(ProblemCode::Unauthorized));
    }
    let locked = app.api.login(&email, &secret(PASSWORD)).await.unwrap_err();
    assert_eq!(locked.code(), Some(ProblemCode::TooManyRequests));
    let dotted_attempt = app.api.login(&dotted, &secret(PASSWORD)).await;
    assert!(
        dotted_attempt.is_err(),
        "the locked account signed in by another spelling"
    );

    // Upper case ASCII is the same identity, throttle included.
    let shouted = app
        .api
        .login(&email.to_ascii_uppercase(), &secret(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(shouted.code(), Some(ProblemCode::TooManyRequests));
}

#[tokio::test]
async fn an_operators_address_is_one_identity_across_msps() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    // The same address in other case: the same identity, taken.
    let again = store::setup::create_msp(
        &app.pool,
        "Second MSP",
        &Email::parse(&first.email.to_ascii_uppercase()).unwrap(),
        &secret(PASSWORD),
    )
    .await;
    assert!(
        matches!(
            again,
            Err(mspdesk_server::error::AppError::Conflict { field: "email", .. })
        ),
        "{again:?}"
    );
    // And it signs in, in any ASCII case.
    let upper = app
        .api
        .login(&first.email.to_ascii_uppercase(), &secret(PASSWORD))
        .await
        .unwrap();
    assert_eq!(upper.tenant_id, first.tenant);
}
