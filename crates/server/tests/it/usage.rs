//! Servers imported with their history and prices, the usage they count, and the audit log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;

#[tokio::test]
async fn usage_imports_and_audit() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(&msp, "Usage", unlimited()).await;
    let t = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };

    let mut old = server_body("old", 10);
    old.created_at = Some(t("2026-01-10T00:00:00Z"));
    old.deleted_at = Some(t("2026-02-15T00:00:00Z"));
    tenant.api.create_server(&old, None).await.unwrap();
    let mut other = server_body("do", 10);
    other.provider = "digitalocean".into();
    other.server_type = "s-1vcpu-1gb".into();
    other.created_at = Some(t("2026-02-20T00:00:00Z"));
    let droplet = tenant.api.create_server(&other, None).await.unwrap();
    assert_eq!(droplet.price.currency.code(), "USD");
    assert_eq!(droplet.price.monthly.to_string(), "6.0000");
    let mut custom = server_body("own", 10);
    custom.provider = "other".into();
    custom.server_type = "bare-metal".into();
    custom.price = Some(PriceInput {
        hourly: "0.05".into(),
        monthly: "30".into(),
        currency: "EUR".into(),
    });
    custom.created_at = Some(t("2026-03-01T00:00:00Z"));
    tenant.api.create_server(&custom, None).await.unwrap();

    let names = |r: UsageReport| r.instances.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names(tenant.api.usage("2026-01").await.unwrap()), ["old"]);
    assert_eq!(
        names(tenant.api.usage("2026-02").await.unwrap()),
        ["old", "do"]
    );
    assert_eq!(
        names(tenant.api.usage("2026-03").await.unwrap()),
        ["do", "own"]
    );
    assert!(names(tenant.api.usage("2025-12").await.unwrap()).is_empty());
    let bad = tenant.api.usage("2026-13").await.unwrap_err();
    assert_eq!(bad.code(), Some(ProblemCode::BadRequest));

    // Historical (deleted) imports take no quota now.
    let usage = tenant.api.tenant().await.unwrap().usage;
    assert_eq!(usage.servers, 2);

    // Every mutation left an audit row, visible to the MSP.
    let audit = msp.api.audit(Some(100), None).await.unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "server.create").count(), 3);
    assert!(actions.contains(&"client.create"));
    assert!(actions.contains(&"client.token"));
    let op = audit
        .items
        .iter()
        .find(|e| e.action.as_str() == "server.create")
        .unwrap();
    assert_eq!(op.tenant_id, tenant.id.into());
    // Paging.
    let page = msp.api.audit(Some(2), None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let next = msp
        .api
        .audit(Some(100), page.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(next.items.len() + 2, audit.items.len());
}
