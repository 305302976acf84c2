//! Sync through the change feed: only what changed travels, deletes arrive, writers during a
//! paged sync lose nothing, and the mirror ends equal to the server, row for row.

use mspdesk_api::types::{
    CreateServer, CreateUser, FxRateInput, InstallApp, UpdateBranding, UpdateFx,
};
use mspdesk_desk::MirrorKind;

use crate::support::*;

fn hetzner(name: &str) -> CreateServer {
    CreateServer {
        name: name.into(),
        provider: "hetzner".into(),
        server_type: "cx22".into(),
        storage_gb: 10,
        region: None,
        created_at: None,
        deleted_at: None,
        price: None,
    }
}

#[tokio::test]
async fn a_sync_brings_only_what_changed_and_nothing_costs_nothing() {
    let w = world().await;
    let desk = signed_in(&w).await;
    let first = desk.sync(|_| {}, &never()).await.unwrap();
    assert!(first.changes > 20, "{first:?}");
    assert_mirror_matches_server(&desk, &w).await;

    // Nothing changed: one empty page.
    let idle = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!((idle.pages, idle.changes), (1, 0), "{idle:?}");

    // A few changes on the server, each kind.
    let api = operator(&w).await;
    let client = desk.find_client("müller").await.unwrap();
    let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);
    let server = tenant
        .create_server(&hetzner("feed-01"), None)
        .await
        .unwrap();
    tenant
        .install_app(
            server.id,
            &InstallApp {
                template_id: "nextcloud".into(),
            },
            None,
        )
        .await
        .unwrap();
    let user = tenant
        .create_user(
            &CreateUser {
                email: "feed@mueller.example".into(),
                name: "Feed".into(),
            },
            None,
        )
        .await
        .unwrap();
    tenant.delete_user(user.id).await.unwrap();
    let branding = tenant.branding().await.unwrap();
    tenant
        .set_branding(
            &UpdateBranding {
                company_name: Some("Fed".into()),
                ..Default::default()
            },
            branding.version,
        )
        .await
        .unwrap();
    api.set_fx(&UpdateFx {
        currency: "EUR".into(),
        rates: vec![FxRateInput {
            currency: "USD".into(),
            rate: "0.95".into(),
        }],
    })
    .await
    .unwrap();

    let after = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(after.pages, 1);
    // The server, its app, the user's tombstone, the branding, the FX table and the client
    // (its usage changed): a handful, not the whole MSP.
    assert!(
        (5..=12).contains(&after.changes),
        "only what changed: {after:?}"
    );
    assert_mirror_matches_server(&desk, &w).await;
    let users: Vec<mspdesk_api::types::User> = desk
        .store()
        .mirror_all(MirrorKind::User, client.id.into())
        .await
        .unwrap();
    assert!(users.iter().all(|u| u.id != user.id), "the delete arrived");
}

#[tokio::test]
async fn writers_during_a_paged_sync_lose_nothing() {
    let w = world().await;
    lift_quotas(&w).await;
    let mut desk = signed_in(&w).await;
    desk.set_page_limit(3);
    let api = operator(&w).await;
    let clients = api.list_clients(None, None, None).await.unwrap().items;
    let mut tenants = Vec::new();
    for c in &clients {
        tenants.push(api.with_token(api.client_token(c.id).await.unwrap().token));
    }

    // Writers across every client while the desk pages through the feed, three at a time.
    let writers = tokio::spawn(async move {
        for round in 0..8 {
            for (i, tenant) in tenants.iter().enumerate() {
                tenant
                    .create_user(
                        &CreateUser {
                            email: format!("w{round}-{i}@writers.example"),
                            name: format!("Writer {round}"),
                        },
                        None,
                    )
                    .await
                    .unwrap();
            }
            tokio::task::yield_now().await;
        }
    });
    let mut syncs = 0;
    while !writers.is_finished() {
        desk.sync(|_| {}, &never()).await.unwrap();
        syncs += 1;
    }
    writers.await.unwrap();
    let last = desk.sync(|_| {}, &never()).await.unwrap();
    assert!(syncs >= 1 && last.pages >= 1);
    assert_mirror_matches_server(&desk, &w).await;
}

#[tokio::test]
async fn a_cursor_older_than_the_kept_history_takes_a_fresh_snapshot() {
    let w = world().await;
    let desk = signed_in(&w).await;
    let api = operator(&w).await;
    let plan = api.plans().await.unwrap().items[0].id;
    let doomed = api
        .create_client(
            &mspdesk_api::types::CreateClient {
                company_name: "Vergessen GmbH".into(),
                contact_email: "it@vergessen.example".into(),
                plan_id: plan.to_string(),
                quotas: None,
            },
            None,
        )
        .await
        .unwrap();
    desk.sync(|_| {}, &never()).await.unwrap();
    desk.save_quotas_draft(
        doomed.id,
        &mspdesk_api::types::QuotasInput {
            max_servers: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Deleted on the server, and the tombstones aged past the 30 days the feed keeps them.
    api.delete_client(doomed.id).await.unwrap();
    sqlx::query("UPDATE changes SET changed_at = now() - interval '31 days' WHERE op = 'delete'")
        .execute(&mspdesk_testkit::as_superuser(&w.pool).await)
        .await
        .unwrap();

    // The desk's cursor is now older than the history: 410, then a fresh snapshot that still
    // notices the deletion (the client's rows go, its draft becomes a notice).
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert!(summary.resynced, "{summary:?}");
    // The draft was refused by the push (the client is gone), then the snapshot removed it.
    assert_eq!(summary.removed_clients, 1, "{summary:?}");
    assert!(desk.find_client("Vergessen").await.is_err());
    assert_eq!(desk.notices().await.unwrap().len(), 1);
    assert_mirror_matches_server(&desk, &w).await;
    // And the feed goes on from the new snapshot's cursor.
    let idle = desk.sync(|_| {}, &never()).await.unwrap();
    assert!(!idle.resynced);
    assert_eq!(idle.changes, 0);
}
