//! A client's life through the API: plans' default quotas, versions with ETag and If-Match,
//! quotas set and lowered below usage, servers and users within them, and deletion (refused
//! while the client has servers).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use mspdesk_domain::{ComplianceStatus, QuotaKind};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn client_lifecycle_with_quotas_and_versions() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let plans = msp.api.plans().await.unwrap().items;
    assert_eq!(
        plans.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Starter", "Business", "Enterprise"]
    );
    let starter = &plans[0];

    // Omitted quotas take the plan's defaults.
    let body = CreateClient {
        company_name: "Müller GmbH".into(),
        contact_email: "it@mueller.example".into(),
        plan_id: starter.id.to_string(),
        quotas: None,
    };
    let created = msp.api.create_client(&body, None).await.unwrap();
    assert_eq!(created.quotas, starter.default_quotas);
    assert_eq!(created.plan_name, "Starter");
    assert_eq!(created.version, 1);
    assert_eq!(created.compliance.status, ComplianceStatus::Compliant);

    // ETag on GET.
    let resp = msp
        .api
        .request(Method::GET, &format!("/api/v1/clients/{}", created.id))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["etag"], "\"1\"");

    // PATCH needs If-Match: missing 428, stale 412 with the current version.
    let missing = msp
        .api
        .request(Method::PATCH, &format!("/api/v1/clients/{}", created.id))
        .json(&UpdateClient {
            company_name: Some("X".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let renamed = msp
        .api
        .update_client(
            created.id,
            &UpdateClient {
                company_name: Some("Müller & Söhne GmbH".into()),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(renamed.company_name, "Müller & Söhne GmbH");
    assert_eq!(renamed.version, 2);
    let stale = msp
        .api
        .update_client(created.id, &UpdateClient::default(), 1)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some(ProblemCode::VersionConflict));
    assert_eq!(stale.problem().unwrap().current_version, Some(2));
    // The stale write changed nothing.
    assert_eq!(
        msp.api.get_client(created.id).await.unwrap().company_name,
        "Müller & Söhne GmbH"
    );

    // Quotas: set, then lower below usage.
    let quotas = QuotasInput {
        max_servers: Some(2),
        max_users: None,
        max_apps_per_server: None,
        storage_quota_gb: Some(100),
    };
    let updated = msp.api.set_quotas(created.id, &quotas, 2).await.unwrap();
    assert_eq!(updated.quotas.max_servers, Some(2));
    assert_eq!(updated.quotas.max_users, None);

    let token = msp.api.client_token(created.id).await.unwrap();
    let tenant = msp.api.with_token(token.token);
    let s1 = tenant
        .create_server(&server_body("a", 40), None)
        .await
        .unwrap();
    tenant
        .create_server(&server_body("b", 40), None)
        .await
        .unwrap();
    let over = tenant
        .create_server(&server_body("c", 10), None)
        .await
        .unwrap_err();
    let p = over.problem().unwrap();
    assert_eq!(p.code, ProblemCode::QuotaExceeded);
    assert_eq!(
        (p.quota, p.limit, p.usage),
        (Some(QuotaKind::MaxServers), Some(2), Some(2))
    );

    // Storage quota: 80 used of 100.
    let client = msp.api.get_client(created.id).await.unwrap();
    assert_eq!(client.usage.storage_gb, 80);
    assert_eq!(client.compliance.status, ComplianceStatus::Approaching);

    let lowered = msp
        .api
        .set_quotas(
            created.id,
            &QuotasInput {
                max_servers: Some(1),
                ..quotas.clone()
            },
            client.version,
        )
        .await
        .unwrap();
    // Nothing removed; the client is over quota and cannot add servers.
    assert_eq!(lowered.usage.servers, 2);
    assert_eq!(lowered.compliance.status, ComplianceStatus::OverQuota);
    assert_eq!(lowered.compliance.over, [QuotaKind::MaxServers]);
    assert_eq!(tenant.servers().await.unwrap().items.len(), 2);
    let blocked = tenant
        .create_server(&server_body("d", 1), None)
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Some(ProblemCode::QuotaExceeded));
    // Deleting one brings usage to the limit: still no room for another.
    let deleted = tenant.delete_server(s1.id).await.unwrap();
    assert!(deleted.deleted_at.is_some());
    assert!(tenant
        .create_server(&server_body("e", 1), None)
        .await
        .is_err());

    // A client with servers (even deleted ones) cannot be deleted.
    let refused = msp.api.delete_client(created.id).await.unwrap_err();
    assert_eq!(refused.code(), Some(ProblemCode::Conflict));
    assert_eq!(refused.problem().unwrap().field.as_deref(), Some("servers"));

    // A client without servers can; its users go with it.
    let other = client_named(&msp, "Empty Ltd").await;
    let other_api = msp
        .api
        .with_token(msp.api.client_token(other).await.unwrap().token);
    other_api
        .create_user(
            &CreateUser {
                email: "a@empty.example".into(),
                name: "A".into(),
            },
            None,
        )
        .await
        .unwrap();
    msp.api.delete_client(other).await.unwrap();
    assert_eq!(
        msp.api.get_client(other).await.unwrap_err().code(),
        Some(ProblemCode::NotFound)
    );
}

async fn client_named(msp: &Msp, name: &str) -> mspdesk_domain::ClientId {
    client(msp, name, unlimited()).await.id
}
