//! Token verification: every forged, tampered, expired or misaddressed token is a 401.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

fn sign(kid: &str, der: &[u8], claims: &serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

#[tokio::test]
async fn forged_and_misaddressed_tokens_are_rejected() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let login = app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    let good = login.token.expose_secret().to_owned();
    assert_eq!(
        status_of(&app, Some(&good), "/api/v1/plans").await,
        StatusCode::OK
    );

    let (kid, sealed): (String, Vec<u8>) =
        sqlx::query_as("SELECT kid, private_der FROM signing_keys")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // The real key, opened with the key-encryption key (what an attacker with a backup lacks).
    let (der, _) = key_encryption().open(&kid, &sealed).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = |overrides: serde_json::Value| {
        let mut c = json!({
            "sub": Uuid::now_v7(), "tid": msp.tenant, "role": "msp_admin",
            "iss": "mspdesk-control-panel", "aud": "mspdesk",
            "iat": now, "exp": now + 600, "jti": Uuid::now_v7(),
        });
        for (k, v) in overrides.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    // Our own signing works with these claims, so each failure below is due to its one change.
    assert_eq!(
        status_of(
            &app,
            Some(&sign(&kid, &der, &claims(json!({})))),
            "/api/v1/plans"
        )
        .await,
        StatusCode::OK
    );

    let parts: Vec<&str> = good.split('.').collect();
    let payload: serde_json::Value =
        serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    let mut edited = payload.clone();
    edited["tid"] = json!(mspdesk_domain::TenantId::new());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(edited.to_string()),
        parts[2]
    );
    let none_header = B64.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    let hs_header = B64.encode(format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#));
    let alg_hs = format!("{hs_header}.{}.{}", parts[1], parts[2]);

    let other_key =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("not.a.jwt".into())),
        ("empty", Some(String::new())),
        ("alg none", Some(alg_none)),
        ("alg switched to HS256", Some(alg_hs)),
        ("payload edited, old signature", Some(tampered)),
        (
            "expired",
            Some(sign(
                &kid,
                &der,
                &claims(json!({"exp": now - 3600, "iat": now - 7200})),
            )),
        ),
        (
            "wrong audience",
            Some(sign(&kid, &der, &claims(json!({"aud": "someone-else"})))),
        ),
        (
            "wrong issuer",
            Some(sign(
                &kid,
                &der,
                &claims(json!({"iss": "https://evil.example"})),
            )),
        ),
        (
            "unknown kid",
            Some(sign("no-such-kid", other_key.as_ref(), &claims(json!({})))),
        ),
        (
            "right kid, other key",
            Some(sign(&kid, other_key.as_ref(), &claims(json!({})))),
        ),
        (
            "missing tid",
            Some(sign(&kid, &der, &claims(json!({"tid": null})))),
        ),
        (
            "tid not a tenant id",
            Some(sign(&kid, &der, &claims(json!({"tid": "all"})))),
        ),
        (
            "missing sub",
            Some(sign(&kid, &der, &claims(json!({"sub": null})))),
        ),
        (
            "missing exp",
            Some(sign(&kid, &der, &claims(json!({"exp": null})))),
        ),
        (
            "unknown role",
            Some(sign(&kid, &der, &claims(json!({"role": "root"})))),
        ),
    ];
    for (name, token) in &cases {
        let got = status_of(&app, token.as_deref(), "/api/v1/plans").await;
        assert_eq!(got, StatusCode::UNAUTHORIZED, "{name}");
    }
    // A non-bearer scheme is no token either.
    let basic = app
        .api
        .request(Method::GET, "/api/v1/plans")
        .header("Authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(basic.headers()["content-type"], "application/problem+json");

    // A client token on MSP routes is 403, not 401: it is valid, just the wrong role.
    let t = client(&msp, "Role", unlimited()).await;
    let resp = t
        .api
        .request(Method::GET, "/api/v1/clients")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // And a client token's tenant is its own: it cannot be widened by the MSP's id.
    assert_eq!(t.api.tenant().await.unwrap().id, t.id);
}
