//! The desk's actions as the window and the CLI call them: the client list and detail, create,
//! edit and delete, catalog changes, publishing and discarding one draft, lost answers,
//! clients deleted on the server, sign-out, the template library, and cancelling a sync.

use std::sync::atomic::Ordering;

use mspdesk_api::types::{CreateClient, UpdateBranding, UpdateClient};
use mspdesk_api::ProblemCode;
use mspdesk_desk::{
    CancellationToken, CatalogChange, ClientQuery, ClientRow, ClientSort, CreateOutcome, DeskError,
    DraftKind, PublishOutcome, QuotaChanges, SignOut,
};
use mspdesk_domain::{CatalogMode, ComplianceStatus, Email, QuotaKind};

use crate::support::*;

fn names(rows: &[ClientRow]) -> Vec<&str> {
    rows.iter().map(|r| r.company_name.as_str()).collect()
}

#[tokio::test]
async fn the_client_list_searches_sorts_and_filters() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();

    let all = desk.list_clients(&ClientQuery::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    // By company name, alphabetically (Łódź with L), by default.
    assert_eq!(
        names(&all),
        [
            "Łódź Hosting Sp. z o.o.",
            "Müller GmbH",
            "Société Générale de Conseil"
        ]
    );
    // Month-to-date totals are computed from the mirror, in the billing currency.
    assert!(all.iter().all(|r| r.monthly_total.is_some()), "{all:?}");

    // Every column sorts, both ways, and descending is the reverse of ascending.
    for sort in ClientSort::ALL {
        let up = desk
            .list_clients(&ClientQuery {
                sort,
                ..Default::default()
            })
            .await
            .unwrap();
        let down = desk
            .list_clients(&ClientQuery {
                sort,
                descending: true,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut reversed = names(&down);
        reversed.reverse();
        assert_eq!(names(&up), reversed, "{sort:?}");
        // Each row carries its place in the column's order: the window sorts by these alone.
        for (place, row) in up.iter().enumerate() {
            assert_eq!(row.order.of(sort) as usize, place, "{sort:?}");
        }
        match sort {
            ClientSort::Servers => {
                assert!(up
                    .windows(2)
                    .all(|w| w[0].server_count <= w[1].server_count));
            }
            ClientSort::Users => {
                assert!(up.windows(2).all(|w| w[0].user_count <= w[1].user_count));
            }
            ClientSort::MonthlyTotal => {
                assert!(up.windows(2).all(|w| w[0].monthly_total.map(|m| m.amount())
                    <= w[1].monthly_total.map(|m| m.amount())))
            }
            _ => {}
        }
    }

    // Search matches the name, the contact or the plan, case-insensitively.
    let found = desk
        .list_clients(&ClientQuery {
            search: Some("MÜLLER".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&found), ["Müller GmbH"]);
    let by_mail = desk
        .list_clients(&ClientQuery {
            search: Some("lodz-hosting".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_mail.len(), 1);
    // Folded as the domain folds names: "Lodz Hosting" finds "Łódź Hosting".
    let folded = desk
        .list_clients(&ClientQuery {
            search: Some(" Lodz Hosting".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&folded), ["Łódź Hosting Sp. z o.o."]);
    assert_eq!(mspdesk_desk::search_key(" Łódź "), "lodz");
    assert!(folded[0]
        .search_text
        .contains(&mspdesk_desk::search_key("ŁÓDŹ")));

    // Filters: plan, compliance, drafts, conflicts.
    let muller = &found[0];
    let same_plan = desk
        .list_clients(&ClientQuery {
            plan: Some(muller.plan_id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(same_plan.iter().all(|r| r.plan_id == muller.plan_id));
    assert!(same_plan.iter().any(|r| r.id == muller.id));
    for status in [
        ComplianceStatus::Compliant,
        ComplianceStatus::Approaching,
        ComplianceStatus::OverQuota,
    ] {
        let rows = desk
            .list_clients(&ClientQuery {
                compliance: Some(status),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(rows.iter().all(|r| r.compliance.status == status));
    }
    let none = desk
        .list_clients(&ClientQuery {
            has_drafts: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    desk.draft_quotas(
        muller.id,
        QuotaChanges::default().set(QuotaKind::MaxServers, Some(50)),
    )
    .await
    .unwrap();
    let drafted = desk
        .list_clients(&ClientQuery {
            has_drafts: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&drafted), ["Müller GmbH"]);
    assert_eq!(drafted[0].drafts, [DraftKind::Quotas]);
    assert!(desk
        .list_clients(&ClientQuery {
            has_conflicts: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn client_detail_and_drafts_of_quotas_and_catalog() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();

    let detail = desk.client_detail(client.id).await.unwrap();
    assert_eq!(detail.client.id, client.id);
    assert_eq!(detail.servers.len() as u64, detail.client.usage.servers);
    assert_eq!(detail.users.len() as u64, detail.client.usage.users);
    assert!(detail.drafts.is_empty() && detail.conflicts.is_empty());
    // The month to date, as the list has it (the client page needs no list to show it).
    let row = desk
        .list_clients(&ClientQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == client.id)
        .unwrap();
    assert!(detail.monthly_total.is_some());
    assert_eq!(detail.monthly_total, row.monthly_total);

    // A quota lowered to exactly the usage: the detail shows the drafted quotas and the
    // compliance they would give.
    let servers = i64::try_from(detail.client.usage.servers).unwrap();
    desk.draft_quotas(
        client.id,
        QuotaChanges::default().set(QuotaKind::MaxServers, Some(servers)),
    )
    .await
    .unwrap();
    let detail = desk.client_detail(client.id).await.unwrap();
    assert_eq!(detail.quotas.max_servers, Some(servers));
    assert_eq!(detail.compliance.status, ComplianceStatus::Approaching);
    assert_eq!(detail.drafts.len(), 1);
    // Limits not named keep their drafted or synced value.
    assert_eq!(
        detail.quotas.max_users,
        detail.client.quotas.max_users.map(i64::from)
    );

    // Catalog: disabling from mode `all` makes a custom list of the whole library minus it.
    let catalog = desk
        .draft_catalog(client.id, CatalogChange::Disable(vec!["wordpress".into()]))
        .await
        .unwrap();
    assert_eq!(catalog.mode, "custom");
    assert_eq!(catalog.enabled.len(), mspdesk_domain::TEMPLATES.len() - 1);
    assert!(!catalog.enabled.iter().any(|t| t == "wordpress"));
    let catalog = desk
        .draft_catalog(client.id, CatalogChange::Enable(vec!["wordpress".into()]))
        .await
        .unwrap();
    assert!(catalog.enabled.iter().any(|t| t == "wordpress"));
    let catalog = desk
        .draft_catalog(client.id, CatalogChange::SetMode(CatalogMode::All))
        .await
        .unwrap();
    assert_eq!(catalog.mode, "all");
    let unknown = desk
        .draft_catalog(client.id, CatalogChange::Enable(vec!["no-such-app".into()]))
        .await;
    assert!(
        matches!(&unknown, Err(DeskError::Invalid(e)) if e[0].message.contains("no-such-app")),
        "{unknown:?}"
    );
    assert!(matches!(
        desk.draft_catalog(client.id, CatalogChange::Disable(vec![]))
            .await,
        Err(DeskError::Invalid(_))
    ));
    assert_eq!(desk.client_detail(client.id).await.unwrap().drafts.len(), 2);

    // Discarding a draft drops it; discarding it again says there is none.
    desk.discard_draft(DraftKind::Catalog, client.id)
        .await
        .unwrap();
    assert!(matches!(
        desk.discard_draft(DraftKind::Catalog, client.id).await,
        Err(DeskError::NoDraft(DraftKind::Catalog))
    ));
    let detail = desk.client_detail(client.id).await.unwrap();
    assert_eq!(detail.drafts.len(), 1);
    assert_eq!(detail.catalog.mode, "all");
}

#[tokio::test]
async fn create_edit_and_delete_a_client() {
    let mut w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let plan = desk.plan_named(Some("business")).await.unwrap();
    assert!(matches!(
        desk.plan_named(Some("Gold")).await,
        Err(DeskError::Invalid(e)) if e[0].message.contains("Business")
    ));

    let created = desk
        .create_client(CreateClient {
            company_name: "Neu AG".into(),
            contact_email: "it@neu.example".into(),
            plan_id: plan.id.to_string(),
            quotas: None,
        })
        .await
        .unwrap();
    let CreateOutcome::Created(client) = created else {
        panic!("created online: {created:?}")
    };
    assert!(desk.store().outbox().await.unwrap().is_empty());
    assert!(names(&desk.list_clients(&ClientQuery::default()).await.unwrap()).contains(&"Neu AG"));

    // Invalid input is refused before anything is queued.
    assert!(matches!(
        desk.create_client(CreateClient {
            company_name: " ".into(),
            contact_email: "nobody".into(),
            plan_id: plan.id.to_string(),
            quotas: None,
        })
        .await,
        Err(DeskError::Invalid(e)) if e.len() == 2
    ));
    assert!(desk.store().outbox().await.unwrap().is_empty());

    let edited = desk
        .update_client(
            client.id,
            &UpdateClient {
                company_name: Some("Neu & Co AG".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.company_name, "Neu & Co AG");
    // Its activity, newest first, from the server's audit log.
    let activity = desk.client_activity(client.id, 50).await.unwrap();
    let actions: Vec<&str> = activity.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"client.update"), "{actions:?}");
    assert!(actions.contains(&"client.create"), "{actions:?}");
    assert!(activity
        .iter()
        .all(|e| e.tenant_id == client.id.into() || e.target_id == client.id.to_string()));
    assert_eq!(
        desk.find_client("neu & co").await.unwrap().company_name,
        "Neu & Co AG"
    );
    let api = operator(&w).await;
    assert_eq!(
        api.get_client(client.id).await.unwrap().company_name,
        "Neu & Co AG"
    );

    desk.delete_client(client.id).await.unwrap();
    assert!(desk.find_client("Neu & Co AG").await.is_err());
    let gone = api.get_client(client.id).await.unwrap_err();
    assert_eq!(gone.code(), Some(ProblemCode::NotFound));

    // Offline, a create waits in the outbox and the next sync sends it.
    w.proxy.set_upstream(None).await;
    w.server.take().unwrap().stop().await;
    let queued = desk
        .create_client(CreateClient {
            company_name: "Später GmbH".into(),
            contact_email: "it@spaeter.example".into(),
            plan_id: plan.id.to_string(),
            quotas: None,
        })
        .await
        .unwrap();
    assert_eq!(queued, CreateOutcome::Queued);
    assert_eq!(desk.store().outbox().await.unwrap().len(), 1);
    let server = mspdesk_testkit::Server::start(&w.pool).await;
    w.proxy.set_upstream(Some(server.addr)).await;
    assert_eq!(desk.sync(|_| {}, &never()).await.unwrap().pushed, 1);
    assert!(desk.find_client("Später").await.is_ok());
}

#[tokio::test]
async fn publishing_one_draft_sends_only_that_draft() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let muller = desk.find_client("müller").await.unwrap();
    let lodz = desk.find_client("łódź").await.unwrap();
    desk.save_branding_draft(
        muller.id,
        &UpdateBranding {
            company_name: Some("Müller Portal".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    desk.draft_quotas(
        lodz.id,
        QuotaChanges::default().set(QuotaKind::MaxUsers, Some(99)),
    )
    .await
    .unwrap();
    assert_eq!(
        desk.publish(DraftKind::Branding, muller.id).await.unwrap(),
        PublishOutcome::Published
    );
    let drafts = desk.drafts().await.unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        (drafts[0].kind, drafts[0].client),
        (DraftKind::Quotas, lodz.id)
    );
    let api = operator(&w).await;
    let tenant = api.with_token(api.client_token(muller.id).await.unwrap().token);
    assert_eq!(
        tenant.branding().await.unwrap().company_name.as_deref(),
        Some("Müller Portal")
    );
    assert!(matches!(
        desk.publish(DraftKind::Branding, muller.id).await,
        Err(DeskError::NoDraft(DraftKind::Branding))
    ));
}

#[tokio::test]
async fn a_lost_answer_is_not_a_conflict() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();

    // Writing as the client needs its token: mint it first (a catalog draft), so the next
    // request of the branding publish is the PUT itself.
    desk.draft_catalog(client.id, CatalogChange::Disable(vec!["ghost".into()]))
        .await
        .unwrap();
    assert_eq!(
        desk.publish(DraftKind::Catalog, client.id).await.unwrap(),
        PublishOutcome::Published
    );
    let api = operator(&w).await;
    let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);
    let before = tenant.branding().await.unwrap().version;

    // Branding (client scope): the PUT is applied, its answer is swallowed, the retry gets
    // 412, and the server's value is the draft's: published, not a conflict.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Lost Answer".into()),
            primary_color: Some("#1e88e5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    w.proxy.drop_next_response();
    assert_eq!(
        desk.publish(DraftKind::Branding, client.id).await.unwrap(),
        PublishOutcome::Published
    );
    assert!(w.proxy.dropped.swap(false, Ordering::SeqCst));
    assert!(desk.conflicts().await.unwrap().is_empty());
    assert!(desk.drafts().await.unwrap().is_empty());
    let (branding, base) = desk.branding(client.id).await.unwrap();
    assert_eq!(base, None);
    assert_eq!(branding.primary_color.as_deref(), Some("#1E88E5"));
    // Applied exactly once: one version up.
    assert_eq!(tenant.branding().await.unwrap().version, before + 1);

    // Quotas (MSP scope), through a sync this time.
    desk.draft_quotas(
        client.id,
        QuotaChanges::default().set(QuotaKind::StorageQuotaGb, Some(4321)),
    )
    .await
    .unwrap();
    w.proxy.drop_next_response();
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert!(w.proxy.dropped.load(Ordering::SeqCst));
    assert_eq!((summary.pushed, summary.conflicts), (1, 0));
    assert_eq!(
        operator(&w)
            .await
            .get_client(client.id)
            .await
            .unwrap()
            .quotas
            .storage_quota_gb,
        Some(4321)
    );

    // A real conflict is still one: the server holds something else.
    desk.save_branding_draft(
        client.id,
        &UpdateBranding {
            company_name: Some("Mine".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let current = tenant.branding().await.unwrap();
    tenant
        .set_branding(
            &UpdateBranding {
                company_name: Some("Theirs".into()),
                ..Default::default()
            },
            current.version,
        )
        .await
        .unwrap();
    assert_eq!(
        desk.publish(DraftKind::Branding, client.id).await.unwrap(),
        PublishOutcome::Conflict
    );
    assert!(matches!(
        desk.publish(DraftKind::Branding, client.id).await,
        Err(DeskError::ConflictPending(DraftKind::Branding))
    ));
}

#[tokio::test]
async fn clients_deleted_on_the_server_leave_no_rows_no_tokens_and_a_notice() {
    let w = world().await;
    let desk = signed_in(&w).await;
    let api = operator(&w).await;
    let plan = api.plans().await.unwrap().items[0].id;
    let temp = api
        .create_client(
            &CreateClient {
                company_name: "Kurzlebig KG".into(),
                contact_email: "it@kurz.example".into(),
                plan_id: plan.to_string(),
                quotas: None,
            },
            None,
        )
        .await
        .unwrap();
    desk.sync(|_| {}, &never()).await.unwrap();
    let prefix = format!("{}/", desk.account().server);
    let temp_account = format!("{prefix}{}", temp.id);
    // Reading mints no client token; writing as the client does.
    assert!(!keyring_accounts(&prefix).contains(&temp_account));
    desk.draft_catalog(temp.id, CatalogChange::Disable(vec!["wordpress".into()]))
        .await
        .unwrap();
    assert_eq!(
        desk.publish(DraftKind::Catalog, temp.id).await.unwrap(),
        PublishOutcome::Published
    );
    assert!(keyring_accounts(&prefix).contains(&temp_account));
    desk.save_branding_draft(
        temp.id,
        &UpdateBranding {
            company_name: Some("Kurz Portal".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    api.delete_client(temp.id).await.unwrap();
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(summary.removed_clients, 1);
    assert_eq!(summary.notices, 1);
    assert!(desk.find_client("Kurzlebig").await.is_err());
    assert!(desk
        .store()
        .mirror_all::<serde_json::Value>(mspdesk_desk::MirrorKind::Server, temp.id.into())
        .await
        .unwrap()
        .is_empty());
    assert!(desk.drafts().await.unwrap().is_empty());
    let notices = desk.notices().await.unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].client, temp.id);
    assert!(
        notices[0].message.contains("Kurzlebig KG"),
        "{}",
        notices[0].message
    );
    assert_eq!(
        notices[0].body.as_ref().unwrap()["company_name"],
        "Kurz Portal"
    );
    assert!(!keyring_accounts(&prefix).contains(&temp_account));
    desk.dismiss_notice(notices[0].id).await.unwrap();
    assert!(desk.notices().await.unwrap().is_empty());

    // Sign-out leaves no entry of this account in the keyring.
    assert!(!keyring_accounts(&prefix).is_empty());
    desk.logout(SignOut::IfNothingUnsent).await.unwrap();
    assert_eq!(keyring_accounts(&prefix), Vec::<String>::new());
}

#[tokio::test]
async fn the_template_library_syncs_for_an_msp_without_clients() {
    let (_, pool) = mspdesk_testkit::fresh_database().await;
    let email = "solo@new-msp.example";
    let password = "a long enough password";
    mspdesk_server::store::setup::create_msp(
        &pool,
        "New MSP",
        &Email::parse(email).unwrap(),
        &secret(password),
    )
    .await
    .unwrap();
    let w = bare_world(pool).await;
    let desk = sign_in_as(&w, email, password).await;
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(summary.clients, 0);
    assert_eq!(
        desk.templates().await.unwrap().len(),
        mspdesk_domain::TEMPLATES.len()
    );
    assert_eq!(desk.plans().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_cancelled_sync_stops_and_leaves_a_consistent_store() {
    let w = world().await;
    let desk = signed_in(&w).await;

    let cancelled = CancellationToken::new();
    cancelled.cancel();
    assert!(matches!(
        desk.sync(|_| {}, &cancelled).await,
        Err(DeskError::Cancelled)
    ));

    // Cancelled after the first page of the feed (pages of 5 changes).
    let mut desk = desk;
    desk.set_page_limit(5);
    let cancel = CancellationToken::new();
    let mut seen = Vec::new();
    let result = desk
        .sync(
            |p| {
                if p.pages == 1 {
                    cancel.cancel();
                }
                seen.push(p.pages);
            },
            &cancel,
        )
        .await;
    assert!(matches!(result, Err(DeskError::Cancelled)), "{result:?}");
    assert_eq!(seen.last(), Some(&1));
    assert!(desk.store().integrity_ok().await.unwrap());
    assert_eq!(desk.whoami().await.unwrap().last_sync_at, None);
    // The first page stays applied, with its cursor: the next sync goes on from there.
    let state = desk.store().feed_state().await.unwrap();
    assert!(state.cursor.is_some() && state.snapshot, "{state:?}");
    assert_eq!(desk.store().mirror_rows().await.unwrap(), 5);

    // The next sync completes.
    let summary = desk.sync(|_| {}, &never()).await.unwrap();
    assert_eq!(summary.clients, 3);
    assert!(desk.whoami().await.unwrap().last_sync_at.is_some());
}

#[tokio::test]
async fn a_client_created_here_has_its_detail_at_once() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let plan = desk.plan_named(None).await.unwrap();
    let CreateOutcome::Created(client) = desk
        .create_client(CreateClient {
            company_name: "Sofort AG".into(),
            contact_email: "it@sofort.example".into(),
            plan_id: plan.id.to_string(),
            quotas: None,
        })
        .await
        .unwrap()
    else {
        panic!("created online")
    };
    // Catalog and branding came with it: the detail and drafts work before any sync.
    let detail = desk.client_detail(client.id).await.unwrap();
    assert_eq!(detail.catalog.mode, "all");
    desk.draft_catalog(client.id, CatalogChange::Disable(vec!["wordpress".into()]))
        .await
        .unwrap();
    // And the template library survives a snapshot completed outside a full sync.
    assert_eq!(
        desk.templates().await.unwrap().len(),
        mspdesk_domain::TEMPLATES.len()
    );
}
