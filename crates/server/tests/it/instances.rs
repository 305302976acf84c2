//! Several server instances on one database behave as one: they share signing keys, and the
//! quota lock holds across them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::QuotasInput;
use mspdesk_api::ProblemCode;

#[tokio::test]
async fn instances_share_keys_and_quota_locks() {
    let (db_url, pool) = database(10).await;
    // Both start at once on an empty key table: exactly one key is created.
    let (one, two) = tokio::join!(
        spawn_app_with(AppOptions::on(&db_url, &pool)),
        spawn_app_with(AppOptions::on(&db_url, &pool))
    );
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM signing_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(keys, 1);

    // A token from one instance works on the other.
    let msp = msp(&one).await;
    let login = one.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    let on_two = two.api.with_token(login.token);
    assert_eq!(on_two.plans().await.unwrap().items.len(), 3);

    // A quota race split across both instances still creates exactly the quota.
    for round in 0..5 {
        let t = client(
            &msp,
            &format!("Split {round}"),
            QuotasInput {
                max_servers: Some(5),
                ..unlimited()
            },
        )
        .await;
        let token = msp.api.client_token(t.id).await.unwrap().token;
        let apis = [one.api.with_token(token.clone()), two.api.with_token(token)];
        let results = futures::future::join_all((0..40).map(|i| {
            let api = apis[i % 2].clone();
            async move {
                api.create_server(&server_body(&format!("s{i}"), 1), None)
                    .await
            }
        }))
        .await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert!(results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| e.code() == Some(ProblemCode::QuotaExceeded)));
        assert_eq!(ok, 5, "round {round}");
        assert_eq!(t.api.servers().await.unwrap().items.len(), 5);
    }
}
