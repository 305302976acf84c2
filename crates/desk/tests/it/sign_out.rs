//! Signing out never drops unsent work silently: it is named, and kept, exported or discarded
//! as the user chooses; kept work waits for the next sign-in to the same account.

use mspdesk_api::types::CreateClient;
use mspdesk_desk::{CreateOutcome, Desk, DeskError, DraftKind, QuotaChanges, SignOut, UnsentKind};
use mspdesk_domain::{Email, QuotaKind};

use crate::support::*;

#[tokio::test]
async fn sign_out_names_unsent_work_and_keeps_it_for_the_same_account() {
    let mut w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();
    desk.draft_quotas(
        client.id,
        QuotaChanges::default().set(QuotaKind::MaxUsers, Some(77)),
    )
    .await
    .unwrap();
    // A client created offline waits in the outbox.
    w.proxy.set_upstream(None).await;
    w.server.take().unwrap().stop().await;
    let plan = desk.plan_named(None).await.unwrap();
    let queued = desk
        .create_client(CreateClient {
            company_name: "Offline Neu GmbH".into(),
            contact_email: "it@offline-neu.example".into(),
            plan_id: plan.id.to_string(),
            quotas: None,
        })
        .await
        .unwrap();
    assert_eq!(queued, CreateOutcome::Queued);
    let prefix = format!("{}/", desk.account().server);
    assert!(!keyring_accounts(&prefix).is_empty());

    // A plain sign-out refuses, naming both, and changes nothing.
    let refused = desk.logout(SignOut::IfNothingUnsent).await;
    let Err(DeskError::Unsent(unsent)) = &refused else {
        panic!("{refused:?}")
    };
    let lines = unsent.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("quotas draft of") && l.contains(&client.company_name)),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("Offline Neu GmbH")),
        "{lines:?}"
    );
    let message = refused.unwrap_err().to_string();
    assert!(message.contains(&client.company_name), "{message}");
    assert_eq!(desk.drafts().await.unwrap().len(), 1);
    assert!(!keyring_accounts(&prefix).is_empty());

    // Exported: the bodies, readable.
    let file = w.data.join("unsent.json");
    assert_eq!(desk.export_unsent(&file).await.unwrap(), 2);
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(exported["format"], "mspdesk-unsent/1");
    assert_eq!(exported["drafts"][0]["kind"], "quotas");
    assert_eq!(exported["drafts"][0]["body"]["max_users"], 77);
    assert_eq!(
        exported["queued_clients"][0]["body"]["company_name"],
        "Offline Neu GmbH"
    );

    // Kept: the tokens go, the work stays, and the desk no longer opens.
    desk.logout(SignOut::KeepUnsent).await.unwrap();
    assert_eq!(keyring_accounts(&prefix), Vec::<String>::new());
    assert!(matches!(
        Desk::open(&w.data, keyring()).await,
        Err(DeskError::NotSignedIn)
    ));
    let kept = Desk::kept_work(&w.data).await.unwrap().unwrap();
    assert_eq!(kept.items.len(), 2);
    assert_eq!(kept.email, mspdesk_testkit::DEMO_EMAIL);
    assert!(kept.items.iter().any(|i| i.kind == UnsentKind::Draft
        && i.draft == Some(DraftKind::Quotas)
        && i.id == client.id.as_uuid()));

    // The next sign-in to the same account finds it and publishes it.
    let server = mspdesk_testkit::Server::start(&w.pool).await;
    w.proxy.set_upstream(Some(server.addr)).await;
    let again = signed_in(&w).await;
    assert_eq!(again.drafts().await.unwrap().len(), 1);
    assert!(Desk::kept_work(&w.data).await.unwrap().is_none());
    again.sync(|_| {}, &never()).await.unwrap();
    assert!(again.unsent_work().await.unwrap().is_empty());
    let api = operator(&w).await;
    let server_side = api.get_client(client.id).await.unwrap();
    assert_eq!(server_side.quotas.max_users, Some(77));
    assert!(api
        .list_clients(Some("Offline Neu"), None, None)
        .await
        .unwrap()
        .items
        .iter()
        .any(|c| c.company_name == "Offline Neu GmbH"));

    // Nothing unsent: a plain sign-out forgets everything.
    again.logout(SignOut::IfNothingUnsent).await.unwrap();
    assert!(Desk::kept_work(&w.data).await.unwrap().is_none());
    assert!(matches!(
        Desk::open(&w.data, keyring()).await,
        Err(DeskError::NotSignedIn)
    ));
}

#[tokio::test]
async fn discarding_on_sign_out_forgets_the_drafts() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();
    desk.draft_quotas(
        client.id,
        QuotaChanges::default().set(QuotaKind::MaxServers, Some(3)),
    )
    .await
    .unwrap();
    desk.logout(SignOut::DiscardUnsent).await.unwrap();
    assert!(Desk::kept_work(&w.data).await.unwrap().is_none());
    let again = signed_in(&w).await;
    assert!(again.drafts().await.unwrap().is_empty());
    again.logout(SignOut::IfNothingUnsent).await.unwrap();
}

#[tokio::test]
async fn signing_in_to_another_account_keeps_unsent_work_and_leaves_no_tokens() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let client = desk.find_client("müller").await.unwrap();
    desk.draft_quotas(
        client.id,
        QuotaChanges::default().set(QuotaKind::MaxUsers, Some(77)),
    )
    .await
    .unwrap();
    let prefix = format!("{}/", desk.account().server);
    let old_msp = format!("{prefix}{}", desk.account().msp_tenant);
    assert!(keyring_accounts(&prefix).contains(&old_msp));

    // Another MSP on the same Control Panel.
    let email = "second@other-msp.example";
    let password = "another long password";
    mspdesk_server::store::setup::create_msp(
        &w.pool,
        "Other MSP",
        &Email::parse(email).unwrap(),
        &secret(password),
    )
    .await
    .unwrap();
    let refused = try_sign_in_as(&w, email, password).await;
    let Err(DeskError::PendingChanges(unsent)) = &refused else {
        panic!("{refused:?}")
    };
    assert_eq!(unsent.items.len(), 1);
    // The draft is still there, and the old account still signed in.
    assert_eq!(desk.drafts().await.unwrap().len(), 1);

    // Kept over a sign-out, it still stands in the way until discarded on purpose.
    desk.logout(SignOut::KeepUnsent).await.unwrap();
    assert!(!keyring_accounts(&prefix).contains(&old_msp));
    let refused = try_sign_in_as(&w, email, password).await;
    assert!(
        matches!(&refused, Err(DeskError::PendingChanges(_))),
        "{refused:?}"
    );
    let file = w.data.join("kept.json");
    assert_eq!(Desk::export_unsent_in(&w.data, &file).await.unwrap(), 1);
    Desk::discard_kept_work(&w.data).await.unwrap();

    let other = sign_in_as(&w, email, password).await;
    assert_eq!(other.account().email, email);
    assert!(other.drafts().await.unwrap().is_empty());
    // Discarding is for signed-out work only.
    assert!(Desk::discard_kept_work(&w.data).await.is_err());
    assert!(keyring_accounts(&prefix).contains(&format!("{prefix}{}", other.account().msp_tenant)));
    other.logout(SignOut::IfNothingUnsent).await.unwrap();
}
