//! Tokens that end: sign-out on every instance (and the client tokens minted in that session),
//! deleted clients and users, a configurable lifetime; signing keys rotated and revoked across
//! instances.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use base64::Engine;
use mspdesk_api::types::CreateUser;
use mspdesk_api::ProblemCode;
use mspdesk_server::{auth, Settings};
use reqwest::StatusCode;

use crate::helpers::*;

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn logout_revokes_the_token_on_every_instance() {
    let (db_url, pool) = database(10).await;
    let one = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let two = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let m = msp(&one).await;
    let first = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let second = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let (a, b) = (
        first.token.expose_secret().to_owned(),
        second.token.expose_secret().to_owned(),
    );
    assert_eq!(
        status_of(&two, Some(&a), "/api/v1/plans").await,
        StatusCode::OK
    );
    one.api.with_token(first.token).logout().await.unwrap();
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, Some(&a), "/api/v1/plans").await,
            StatusCode::UNAUTHORIZED
        );
        // The operator's other session goes on.
        assert_eq!(
            status_of(app, Some(&b), "/api/v1/plans").await,
            StatusCode::OK
        );
    }
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'session.logout'")
            .fetch_one(&one.admin)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_deleted_clients_token_gets_401_on_read_and_write() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let gone = client(&m, "Gone", unlimited()).await;
    gone.api.tenant().await.unwrap();
    m.api.delete_client(gone.id).await.unwrap();
    let read = gone.api.tenant().await.unwrap_err();
    assert_eq!(read.code(), Some(ProblemCode::Unauthorized), "{read}");
    let read = gone.api.catalog().await.unwrap_err();
    assert_eq!(read.code(), Some(ProblemCode::Unauthorized), "{read}");
    let write = gone
        .api
        .create_server(&server_body("after", 1), None)
        .await
        .unwrap_err();
    assert_eq!(write.code(), Some(ProblemCode::Unauthorized), "{write}");
    let write = gone
        .api
        .create_user(
            &CreateUser {
                email: "late@x.example".into(),
                name: "Late".into(),
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(write.code(), Some(ProblemCode::Unauthorized), "{write}");
    // The MSP's own token is untouched.
    m.api.plans().await.unwrap();
}

#[tokio::test]
async fn deleting_a_user_revokes_what_was_issued_for_it() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Users", unlimited()).await;
    let user = t
        .api
        .create_user(
            &CreateUser {
                email: "bye@x.example".into(),
                name: "Bye".into(),
            },
            None,
        )
        .await
        .unwrap();
    t.api.delete_user(user.id).await.unwrap();
    let listed: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM revoked_subjects WHERE subject = $1)")
            .bind(user.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(listed);
}

#[tokio::test]
async fn the_msp_token_lifetime_is_configurable() {
    let app = spawn_app_with(AppOptions {
        settings: Settings {
            msp_token_lifetime: chrono::Duration::minutes(10),
            ..Settings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let m = msp(&app).await;
    let login = app.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let left = login.expires_at - chrono::Utc::now();
    assert!(
        left > chrono::Duration::minutes(9) && left <= chrono::Duration::minutes(10),
        "{left}"
    );
    // A client token (an hour otherwise) ends with the session it was minted in.
    let c = client(&m, "Short", unlimited()).await;
    let minted = app
        .api
        .with_token(login.token)
        .client_token(c.id)
        .await
        .unwrap();
    assert!(minted.expires_at <= login.expires_at);
    assert!(minted.expires_at > login.expires_at - chrono::Duration::seconds(5));
}

#[tokio::test]
async fn signing_out_ends_the_client_tokens_minted_in_that_session() {
    let (db_url, pool) = database(10).await;
    let one = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let two = spawn_app_with(AppOptions::on(&db_url, &pool)).await;
    let m = msp(&one).await;
    let c = client(&m, "Minted", unlimited()).await;
    let first = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let second = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let session = one.api.with_token(first.token.clone());
    let in_first = session.client_token(c.id).await.unwrap();
    let other_session = one.api.with_token(second.token);
    let in_second = other_session.client_token(c.id).await.unwrap();
    let (a, b) = (
        in_first.token.expose_secret().to_owned(),
        in_second.token.expose_secret().to_owned(),
    );
    assert_eq!(
        status_of(&two, Some(&a), "/api/v1/tenant").await,
        StatusCode::OK
    );
    session.logout().await.unwrap();
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, Some(&a), "/api/v1/tenant").await,
            StatusCode::UNAUTHORIZED
        );
        // Minted in the operator's other session: goes on.
        assert_eq!(
            status_of(app, Some(&b), "/api/v1/tenant").await,
            StatusCode::OK
        );
    }
    // Signing a client token out ends that one only, not the session.
    one.api.with_token(in_second.token).logout().await.unwrap();
    assert_eq!(
        status_of(&one, Some(&b), "/api/v1/tenant").await,
        StatusCode::UNAUTHORIZED
    );
    assert!(other_session.client_token(c.id).await.is_ok());
}

#[tokio::test]
async fn rotated_keys_sign_and_a_revoked_key_fails_on_a_second_instance() {
    let (db_url, pool) = database(10).await;
    let fast = Settings {
        key_reload_interval: Duration::from_millis(300),
        ..Settings::default()
    };
    let one = spawn_app_with(AppOptions {
        settings: fast.clone(),
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    let two = spawn_app_with(AppOptions {
        settings: fast,
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    let m = msp(&one).await;
    let old = one.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
    let old = old.token.expose_secret().to_owned();
    let old_kid = kid_of(&old);

    let new_kid = auth::rotate_keys(&pool, &key_encryption()).await.unwrap();
    assert_ne!(new_kid, old_kid);
    // Within three reloads, instance two signs with the new key; the old token still verifies.
    // Every token signed meanwhile verifies on the other instance: it has loaded a key before
    // any instance signs with it.
    let mut signed = String::new();
    for _ in 0..50 {
        let login = two.api.login(&m.email, &secret(PASSWORD)).await.unwrap();
        signed = login.token.expose_secret().to_owned();
        assert_eq!(
            status_of(&one, Some(&signed), "/api/v1/plans").await,
            StatusCode::OK
        );
        if kid_of(&signed) == new_kid {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kid_of(&signed), new_kid);
    assert_eq!(
        status_of(&two, Some(&old), "/api/v1/plans").await,
        StatusCode::OK
    );

    // Revoked: the old key's tokens fail on both instances within a reload.
    assert_eq!(
        auth::revoke_key(&pool, &old_kid, &key_encryption())
            .await
            .unwrap(),
        None
    );
    let started = Instant::now();
    while status_of(&two, Some(&old), "/api/v1/plans").await == StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    for app in [&one, &two] {
        assert_eq!(
            status_of(app, Some(&old), "/api/v1/plans").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(app, Some(&signed), "/api/v1/plans").await,
            StatusCode::OK
        );
    }
    // Revoking the last key in force makes a new one, so instances can still sign.
    let replacement = auth::revoke_key(&pool, &new_kid, &key_encryption())
        .await
        .unwrap();
    assert!(replacement.is_some());
    assert!(auth::revoke_key(&pool, &new_kid, &key_encryption())
        .await
        .is_err());
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest_and_the_sealing_key_rotates() {
    use auth::KeyEncryption;

    let (db_url, pool) = database(10).await;
    // A key stored before sealing existed (plain PKCS#8 DER), as an older release left it.
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    use ring::signature::KeyPair;
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, public_raw) VALUES ('legacy', $1, $2)",
    )
    .bind(pkcs8.as_ref())
    .bind(pair.public_key().as_ref())
    .execute(&pool)
    .await
    .unwrap();
    let stored = async || -> Vec<Vec<u8>> {
        sqlx::query_scalar("SELECT private_der FROM signing_keys")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    // What a backup holds is never a usable key: every row sealed once a server has started.
    let old = KeyEncryption::from_bytes(&[1; 32], &[]).unwrap();
    let app = spawn_app_with(AppOptions {
        sealing: Some(KeyEncryption::from_bytes(&[1; 32], &[]).unwrap()),
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    let m = msp(&app).await;
    let token = app
        .api
        .login(&m.email, &secret(PASSWORD))
        .await
        .unwrap()
        .token;
    for row in stored().await {
        assert!(row.starts_with(b"mskk1"), "a key is stored unsealed");
        assert!(
            ring::signature::Ed25519KeyPair::from_pkcs8(&row).is_err(),
            "a stored key is usable as it is"
        );
        assert!(!row
            .windows(16)
            .any(|w| pkcs8.as_ref().windows(16).any(|k| k == w)));
    }
    assert!(old.open("legacy", &stored().await[0]).is_ok());
    drop(app);

    // Rotation: the new key seals, the old one only opens; at start everything is sealed again.
    let rotated = spawn_app_with(AppOptions {
        sealing: Some(KeyEncryption::from_bytes(&[2; 32], &[[1; 32]]).unwrap()),
        ..AppOptions::on(&db_url, &pool)
    })
    .await;
    assert_eq!(
        status_of(&rotated, Some(token.expose_secret()), "/api/v1/plans").await,
        StatusCode::OK
    );
    drop(rotated);
    let new_only = KeyEncryption::from_bytes(&[2; 32], &[]).unwrap();
    for (kid, row) in
        sqlx::query_as::<_, (String, Vec<u8>)>("SELECT kid, private_der FROM signing_keys")
            .fetch_all(&pool)
            .await
            .unwrap()
    {
        assert!(
            new_only.open(&kid, &row).is_ok(),
            "{kid} is not sealed with the new key"
        );
        assert!(
            old.open(&kid, &row).is_err(),
            "{kid} still opens with the old key"
        );
    }
    // The old key alone opens nothing now: a server with it refuses to start, saying why.
    let refused = mspdesk_server::AppState::new(pool.clone(), old).await;
    let why = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(why.contains("CONTROL_PANEL_KEY_ENCRYPTION_KEY"), "{why}");
}
