//! Quotas hold under concurrency: N simultaneous creates against a limit of k create exactly k,
//! every time, for servers, storage, users and apps per server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::client::ApiError;
use mspdesk_api::types::{CreateUser, InstallApp, QuotasInput};
use mspdesk_api::ProblemCode;

const ROUNDS: usize = 20;
const CONCURRENT: usize = 40;

/// Runs the creates at once; returns how many succeeded, after checking that every failure was
/// a quota refusal.
async fn race<F, Fut, T>(create: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let results = futures::future::join_all((0..CONCURRENT).map(create)).await;
    let mut ok = 0;
    for r in results {
        match r {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code(), Some(ProblemCode::QuotaExceeded), "{e}"),
        }
    }
    ok
}

#[tokio::test]
async fn servers_race_creates_exactly_the_quota() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let mut created = Vec::new();
    for round in 0..ROUNDS {
        let t = client(
            &msp,
            &format!("Race {round}"),
            QuotasInput {
                max_servers: Some(5),
                ..unlimited()
            },
        )
        .await;
        let ok = race(|i| {
            let api = t.api.clone();
            async move {
                api.create_server(&server_body(&format!("s{i}"), 1), None)
                    .await
            }
        })
        .await;
        let stored = t.api.servers().await.unwrap().items.len();
        created.push((ok, stored));
    }
    assert_eq!(created, vec![(5, 5); ROUNDS]);
}

#[tokio::test]
async fn storage_race_stays_within_the_quota() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    for round in 0..5 {
        let t = client(
            &msp,
            &format!("Storage {round}"),
            QuotasInput {
                storage_quota_gb: Some(100),
                ..unlimited()
            },
        )
        .await;
        let ok = race(|i| {
            let api = t.api.clone();
            async move {
                api.create_server(&server_body(&format!("s{i}"), 30), None)
                    .await
            }
        })
        .await;
        assert_eq!(ok, 3);
        assert_eq!(t.api.tenant().await.unwrap().usage.storage_gb, 90);
    }
}

#[tokio::test]
async fn users_race_creates_exactly_the_quota() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    for round in 0..ROUNDS {
        let t = client(
            &msp,
            &format!("Users {round}"),
            QuotasInput {
                max_users: Some(5),
                ..unlimited()
            },
        )
        .await;
        let ok = race(|i| {
            let api = t.api.clone();
            async move {
                api.create_user(
                    &CreateUser {
                        email: format!("u{i}@race.example"),
                        name: format!("User {i}"),
                    },
                    None,
                )
                .await
            }
        })
        .await;
        assert_eq!(ok, 5, "round {round}");
        assert_eq!(t.api.users().await.unwrap().items.len(), 5);
    }
}

#[tokio::test]
async fn apps_race_creates_exactly_the_quota_per_server() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let templates: Vec<String> = {
        let t = client(&msp, "Templates", unlimited()).await;
        t.api
            .templates()
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    for round in 0..ROUNDS {
        let t = client(
            &msp,
            &format!("Apps {round}"),
            QuotasInput {
                max_apps_per_server: Some(5),
                ..unlimited()
            },
        )
        .await;
        let server = t
            .api
            .create_server(&server_body("apps", 10), None)
            .await
            .unwrap();
        let ok = race(|i| {
            let api = t.api.clone();
            let template = templates[i % templates.len()].clone();
            async move {
                api.install_app(
                    server.id,
                    &InstallApp {
                        template_id: template,
                    },
                    None,
                )
                .await
            }
        })
        .await;
        assert_eq!(ok, 5, "round {round}");
        assert_eq!(t.api.apps(server.id).await.unwrap().items.len(), 5);
        // The limit is per server: another server has room of its own.
        let second = t
            .api
            .create_server(&server_body("apps-2", 10), None)
            .await
            .unwrap();
        t.api
            .install_app(
                second.id,
                &InstallApp {
                    template_id: "gitea".into(),
                },
                None,
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn lowering_quotas_removes_nothing_and_blocks_new_users_and_apps() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Lowered", unlimited()).await;
    let server = t
        .api
        .create_server(&server_body("s", 10), None)
        .await
        .unwrap();
    for i in 0..3 {
        t.api
            .create_user(
                &CreateUser {
                    email: format!("u{i}@x.example"),
                    name: "U".into(),
                },
                None,
            )
            .await
            .unwrap();
    }
    for template in ["gitea", "grafana", "redis"] {
        t.api
            .install_app(
                server.id,
                &InstallApp {
                    template_id: template.into(),
                },
                None,
            )
            .await
            .unwrap();
    }
    let current = msp.api.get_client(t.id).await.unwrap();
    let lowered = msp
        .api
        .set_quotas(
            t.id,
            &QuotasInput {
                max_users: Some(1),
                max_apps_per_server: Some(2),
                ..unlimited()
            },
            current.version,
        )
        .await
        .unwrap();
    assert_eq!(
        lowered.compliance.status,
        mspdesk_domain::ComplianceStatus::OverQuota
    );
    assert_eq!(t.api.users().await.unwrap().items.len(), 3);
    assert_eq!(t.api.apps(server.id).await.unwrap().items.len(), 3);
    let user = t
        .api
        .create_user(
            &CreateUser {
                email: "new@x.example".into(),
                name: "N".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(user.code(), Some(ProblemCode::QuotaExceeded));
    let app_err = t
        .api
        .install_app(
            server.id,
            &InstallApp {
                template_id: "minio".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(app_err.code(), Some(ProblemCode::QuotaExceeded));
    let summary = &msp.api.list_clients(None, None, None).await.unwrap().items[0];
    assert_eq!(
        summary.compliance.status,
        mspdesk_domain::ComplianceStatus::OverQuota
    );
    assert_eq!(summary.user_count, 3);
}
