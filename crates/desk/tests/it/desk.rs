//! Sync, drafts, conflicts and tokens against the real Control Panel and PostgreSQL, with
//! tokens in the real OS keyring (gnome-keyring in a private D-Bus session, as
//! `cargo xtask test` provides).

use std::sync::atomic::Ordering;

use mspdesk_api::types::{CreateClient, QuotasInput, UpdateBranding};
use mspdesk_desk::{Desk, DeskError, DraftKind, MirrorKind, Resolution, SignOut};
use mspdesk_testkit::*;

use crate::support::*;

#[tokio::test]
async fn full_sync_mirrors_the_server() {
    let w = world().await;
    let desk = signed_in(&w).await;
    let mut steps = Vec::new();
    let summary = desk.sync(|p| steps.push(p), &never()).await.unwrap();
    assert_eq!(summary.clients, 3);
    assert!(summary.rows > 20, "{summary:?}");
    // Progress rises, page by page, to the changes the summary counts.
    let last = steps.last().unwrap();
    assert_eq!(last.step, "done");
    assert_eq!((last.pages, last.rows), (summary.pages, summary.changes));
    assert!(summary.pages >= 1 && summary.changes >= 3);
    assert!(steps
        .windows(2)
        .all(|w| w[0].pages <= w[1].pages && w[0].rows <= w[1].rows));

    let api = operator(&w).await;
    let server_list = api.list_clients(None, None, None).await.unwrap().items;
    let local = desk.clients().await.unwrap();
    let rows = |list: &[mspdesk_api::types::ClientSummary]| {
        let mut rows: Vec<_> = list
            .iter()
            .map(|c| (c.id, c.company_name.clone(), c.server_count, c.user_count))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(rows(&local), rows(&server_list));
    for c in &server_list {
        let token = api.client_token(c.id).await.unwrap().token;
        let servers = api.with_token(token).servers().await.unwrap().items;
        let mirrored: Vec<mspdesk_api::types::Server> = desk
            .store()
            .mirror_all(MirrorKind::Server, c.id.into())
            .await
            .unwrap();
        assert_eq!(mirrored, servers);
    }
    assert_eq!(desk.plans().await.unwrap().len(), 3);
    assert!(desk.templates().await.unwrap().len() >= 30);
    assert!(desk.store().integrity_ok().await.unwrap());
}

#[tokio::test]
async fn drafts_made_offline_survive_a_restart_and_publish_later() {
    let mut w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();

    // Offline: the server is gone.
    w.proxy.set_upstream(None).await;
    w.server.take().unwrap().stop().await;
    let branding = UpdateBranding {
        company_name: Some("Müller Portal".into()),
        primary_color: Some("#0a0".into()),
        ..Default::default()
    };
    desk.save_branding_draft(client.id, &branding)
        .await
        .unwrap();
    desk.save_quotas_draft(
        client.id,
        &QuotasInput {
            max_servers: Some(7),
            max_users: Some(70),
            max_apps_per_server: None,
            storage_quota_gb: Some(900),
        },
    )
    .await
    .unwrap();
    // Invalid drafts are refused with the field named, and nothing is saved.
    let bad = desk
        .save_branding_draft(
            client.id,
            &UpdateBranding {
                primary_color: Some("green".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(
        matches!(&bad, Err(DeskError::Invalid(e)) if e[0].field == "primary_color"),
        "{bad:?}"
    );
    // Sync fails while offline, and loses nothing.
    assert!(matches!(
        desk.sync(|_| {}, &never()).await,
        Err(DeskError::Api(_))
    ));
    desk.store().close().await;
    drop(desk);

    // A new process: the drafts are still there.
    let desk = Desk::open(&w.data, keyring()).await.unwrap();
    assert_eq!(desk.store().drafts().await.unwrap().len(), 2);
    assert_eq!(
        desk.branding(client.id)
            .await
            .unwrap()
            .0
            .company_name
            .as_deref(),
        Some("Müller Portal")
    );
    // Offline reads work from the mirror.
    assert_eq!(desk.clients().await.unwrap().len(), 3);

    // Back online: sync publishes them, and they leave the store.
    let server = Server::start(&w.pool).await;
    w.proxy.set_upstream(Some(server.addr)).await;
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(summary.pushed, 2);
    assert!(desk.store().drafts().await.unwrap().is_empty());
    let api = operator(&w).await;
    let on_server = api.get_client(client.id).await.unwrap();
    assert_eq!(on_server.quotas.max_servers, Some(7));
    assert_eq!(on_server.quotas.storage_quota_gb, Some(900));
    let token = api.client_token(client.id).await.unwrap().token;
    let b = api.with_token(token).branding().await.unwrap();
    assert_eq!(b.company_name.as_deref(), Some("Müller Portal"));
    assert_eq!(b.primary_color.as_deref(), Some("#00AA00"));
    w.server = Some(server);
}

#[tokio::test]
async fn conflicts_are_recorded_and_resolved_as_asked() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("Łódź").await.unwrap();
    let api = operator(&w).await;
    let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);

    let change_on_server = |company: &'static str, color: &'static str| {
        let tenant = tenant.clone();
        async move {
            let current = tenant.branding().await.unwrap();
            tenant
                .set_branding(
                    &UpdateBranding {
                        company_name: Some(company.into()),
                        primary_color: Some(color.into()),
                        ..Default::default()
                    },
                    current.version,
                )
                .await
                .unwrap()
        }
    };

    // 1. Take theirs.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Mine 1".into()),
            primary_color: Some("#111111".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let theirs = change_on_server("Theirs 1", "#222222").await;
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(summary.conflicts, 1);
    let conflicts = desk.conflicts().await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].server["company_name"], "Theirs 1");
    assert_eq!(conflicts[0].draft["company_name"], "Mine 1");
    // Nothing was overwritten on either side.
    assert_eq!(tenant.branding().await.unwrap(), theirs);
    assert!(desk
        .store()
        .draft(DraftKind::Branding, client.id)
        .await
        .unwrap()
        .is_some());
    // A second sync does not push the conflicted draft again.
    assert_eq!(desk.sync(|_| {}, &never()).await.unwrap().conflicts, 0);
    desk.resolve(DraftKind::Branding, client.id, &Resolution::TakeTheirs)
        .await
        .unwrap();
    assert!(desk.conflicts().await.unwrap().is_empty());
    assert!(desk
        .store()
        .draft(DraftKind::Branding, client.id)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        desk.branding(client.id)
            .await
            .unwrap()
            .0
            .company_name
            .as_deref(),
        Some("Theirs 1")
    );
    assert_eq!(tenant.branding().await.unwrap(), theirs);

    // 2. Keep mine: rebased on the server's version and pushed.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Mine 2".into()),
            primary_color: Some("#333333".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    change_on_server("Theirs 2", "#444444").await;
    desk.sync(|_| {}, &never()).await.unwrap();
    desk.resolve(DraftKind::Branding, client.id, &Resolution::KeepMine)
        .await
        .unwrap();
    let now = tenant.branding().await.unwrap();
    assert_eq!(
        (now.company_name.as_deref(), now.primary_color.as_deref()),
        (Some("Mine 2"), Some("#333333"))
    );
    assert!(desk.store().drafts().await.unwrap().is_empty());

    // 3. Per field: my colour, their name.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Mine 3".into()),
            primary_color: Some("#555555".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    change_on_server("Theirs 3", "#666666").await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let choice = [
        ("primary_color".to_owned(), true),
        ("company_name".to_owned(), false),
    ]
    .into_iter()
    .collect();
    desk.resolve(
        DraftKind::Branding,
        client.id,
        &Resolution::PerField(choice),
    )
    .await
    .unwrap();
    let now = tenant.branding().await.unwrap();
    assert_eq!(
        (now.company_name.as_deref(), now.primary_color.as_deref()),
        (Some("Theirs 3"), Some("#555555"))
    );
    // Resolving what is not in conflict is an error.
    assert!(matches!(
        desk.resolve(DraftKind::Branding, client.id, &Resolution::KeepMine)
            .await,
        Err(DeskError::NoConflict(_))
    ));
}

#[tokio::test]
async fn a_lost_response_is_retried_without_creating_twice() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let plan = desk.plans().await.unwrap()[0].id;
    desk.queue_client(CreateClient {
        company_name: "Retry AG".into(),
        contact_email: "it@retry.example".into(),
        plan_id: plan.to_string(),
        quotas: None,
    })
    .await
    .unwrap();
    // The server creates the client, but its answer never reaches the desk.
    w.proxy.drop_next_response();
    desk.sync(|_| {}, &never()).await.unwrap();
    assert!(
        w.proxy.dropped.load(Ordering::SeqCst),
        "the proxy swallowed a response"
    );
    let api = operator(&w).await;
    let named: Vec<_> = api
        .list_clients(Some("Retry AG"), None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(named.len(), 1, "created exactly once");
    assert!(desk.store().outbox().await.unwrap().is_empty());
    assert!(desk
        .clients()
        .await
        .unwrap()
        .iter()
        .any(|c| c.company_name == "Retry AG"));
}

#[tokio::test]
async fn tokens_live_only_in_the_keyring() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let account = desk.account().clone();
    let msp_account = format!("{}/{}", account.server, account.msp_tenant);
    let looked_up = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "mspdesk", "username", &msp_account])
        .output()
        .unwrap();
    let token = String::from_utf8(looked_up.stdout).unwrap();
    // keyring stores the account under the "username" attribute on Secret Service.
    assert!(
        token.split('.').count() == 3,
        "the keyring holds the session token"
    );
    desk.store().close().await;
    // No file under the data folder holds it (SQLite, WAL, logs).
    let mut files = 0;
    for entry in std::fs::read_dir(&w.data).unwrap() {
        let path = entry.unwrap().path();
        // SQLite removes its -wal and -shm files as the last connection closes.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        files += 1;
        assert!(
            !bytes
                .windows(token.len())
                .any(|win| win == token.as_bytes()),
            "{} holds the token",
            path.display()
        );
        let signature = token.rsplit('.').next().unwrap();
        assert!(!bytes
            .windows(signature.len())
            .any(|win| win == signature.as_bytes()));
    }
    assert!(files >= 1);
    // Signing out deletes the tokens.
    let desk = Desk::open(&w.data, keyring()).await.unwrap();
    desk.logout(SignOut::IfNothingUnsent).await.unwrap();
    let after = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "mspdesk", "username", &msp_account])
        .output()
        .unwrap();
    assert!(after.stdout.is_empty());
    assert!(matches!(
        Desk::open(&w.data, keyring()).await,
        Err(DeskError::NotSignedIn)
    ));
}

#[tokio::test]
async fn expired_client_tokens_are_reminted() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("Société").await.unwrap();
    let account = format!("{}/{}", desk.account().server, client.id);
    // A token that expired long ago (exp = 1) replaces the client's token in the keyring.
    let expired = "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjF9.c2ln";
    keyring().set(&account, expired).unwrap();
    // Writing as the client (a branding draft, sent by the sync) needs its token: re-minted.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Société Portal".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(desk.sync(|_| {}, &never()).await.unwrap().pushed, 1);
    let now = keyring().get(&account).unwrap().unwrap();
    assert_ne!(now, expired);
    assert_eq!(now.split('.').count(), 3);
}
