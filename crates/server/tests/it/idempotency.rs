//! `Idempotency-Key`: a retried create is answered from the first, a key reused for another
//! body is refused, and keys expire after 24 hours.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;

use crate::helpers::*;

#[tokio::test]
async fn idempotency_keys() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(&msp, "Idem", unlimited()).await;

    let first = tenant
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    let again = tenant
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(tenant.api.servers().await.unwrap().items.len(), 1);

    // Same key, different body: refused, nothing created.
    let other = tenant
        .api
        .create_server(&server_body("db", 10), Some("key-1"))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Some(ProblemCode::ValidationFailed));
    assert_eq!(tenant.api.servers().await.unwrap().items.len(), 1);

    // Keys are per tenant: another tenant may use the same key.
    let second = client(&msp, "Idem 2", unlimited()).await;
    let theirs = second
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    assert_ne!(theirs.id, first.id);

    // A failed create (quota) does not burn the key.
    let small = client(
        &msp,
        "Small",
        QuotasInput {
            max_servers: Some(0),
            ..unlimited()
        },
    )
    .await;
    assert!(small
        .api
        .create_server(&server_body("x", 1), Some("k"))
        .await
        .is_err());
    let client_now = msp.api.get_client(small.id).await.unwrap();
    msp.api
        .set_quotas(
            small.id,
            &QuotasInput {
                max_servers: Some(1),
                ..unlimited()
            },
            client_now.version,
        )
        .await
        .unwrap();
    assert!(small
        .api
        .create_server(&server_body("x", 1), Some("k"))
        .await
        .is_ok());

    // Client creation honours keys too, and a malformed key is a 400.
    let plans = msp.api.plans().await.unwrap();
    let body = CreateClient {
        company_name: "Once".into(),
        contact_email: "once@example.com".into(),
        plan_id: plans.items[0].id.to_string(),
        quotas: None,
    };
    let a = msp
        .api
        .create_client(&body, Some("create-once"))
        .await
        .unwrap();
    let b = msp
        .api
        .create_client(&body, Some("create-once"))
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    let bad = msp
        .api
        .create_client(&body, Some("has space"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(ProblemCode::BadRequest));

    // Concurrent retries with one key create exactly one.
    let user = CreateUser {
        email: "race@x.example".into(),
        name: "R".into(),
    };
    let futures = (0..10).map(|_| tenant.api.create_user(&user, Some("user-key")));
    let results = futures::future::join_all(futures).await;
    let ids: std::collections::HashSet<_> = results.into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(tenant.api.users().await.unwrap().items.len(), 1);
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
