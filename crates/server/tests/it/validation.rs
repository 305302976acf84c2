//! Request bodies are validated: every bad field is named in one 422, and every number is
//! bounded by its column (the bounds checked against the schema itself).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use mspdesk_api::types::*;
use reqwest::{Method, StatusCode};

use crate::helpers::*;

#[tokio::test]
async fn validation_rejects_every_bad_field() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(&msp, "Validation", unlimited()).await;

    let check = |err: mspdesk_api::client::ApiError, want: &[&str]| {
        let p = err.problem().expect("a problem").clone();
        assert_eq!(p.status, 422, "{p:?}");
        let got: Vec<String> = p.errors.unwrap().into_iter().map(|e| e.field).collect();
        assert_eq!(got, want);
    };
    check(
        msp.api
            .create_client(
                &CreateClient {
                    company_name: "".into(),
                    contact_email: "nope".into(),
                    plan_id: "not-a-uuid".into(),
                    quotas: Some(QuotasInput {
                        max_servers: Some(-1),
                        max_users: Some(-2),
                        max_apps_per_server: Some(-3),
                        storage_quota_gb: Some(-4),
                    }),
                },
                None,
            )
            .await
            .unwrap_err(),
        &[
            "company_name",
            "contact_email",
            "plan_id",
            "quotas.max_servers",
            "quotas.max_users",
            "quotas.max_apps_per_server",
            "quotas.storage_quota_gb",
        ],
    );
    // A well-formed plan id that is not one of the MSP's plans.
    check(
        msp.api
            .create_client(
                &CreateClient {
                    company_name: "A".into(),
                    contact_email: "a@b.example".into(),
                    plan_id: uuid::Uuid::now_v7().to_string(),
                    quotas: None,
                },
                None,
            )
            .await
            .unwrap_err(),
        &["plan_id"],
    );
    check(
        msp.api
            .update_client(
                tenant.id,
                &UpdateClient {
                    company_name: Some(" ".into()),
                    contact_email: Some("@".into()),
                    plan_id: Some("1".into()),
                },
                tenant.version,
            )
            .await
            .unwrap_err(),
        &["company_name", "contact_email", "plan_id"],
    );
    let mut server = server_body("", -1);
    server.provider = "aws".into();
    server.server_type = "".into();
    server.region = Some("\u{7}".into());
    server.created_at = Some(chrono::Utc::now() + chrono::Duration::days(1));
    check(
        tenant.api.create_server(&server, None).await.unwrap_err(),
        &[
            "name",
            "provider",
            "server_type",
            "storage_gb",
            "region",
            "created_at",
        ],
    );
    let mut unknown_type = server_body("x", 1);
    unknown_type.server_type = "cx9999".into();
    check(
        tenant
            .api
            .create_server(&unknown_type, None)
            .await
            .unwrap_err(),
        &["server_type"],
    );
    check(
        tenant
            .api
            .create_user(
                &CreateUser {
                    email: "x".into(),
                    name: "".into(),
                },
                None,
            )
            .await
            .unwrap_err(),
        &["email", "name"],
    );
    check(
        tenant
            .api
            .set_catalog(
                &UpdateCatalog {
                    mode: "some".into(),
                    enabled: vec!["nope".into()],
                },
                1,
            )
            .await
            .unwrap_err(),
        &["mode", "enabled"],
    );

    // Malformed JSON and wrong types are 400; unknown fields too; an oversized body is 413.
    for body in [
        "{",
        "[]",
        r#"{"email": 5, "name": "A"}"#,
        r#"{"email": "a@b.example", "name": "A", "role": "admin"}"#,
    ] {
        let resp = tenant
            .api
            .request(Method::POST, "/api/v1/users")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    let huge = format!(
        r#"{{"email": "a@b.example", "name": "{}"}}"#,
        "a".repeat(mspdesk_server::BODY_LIMIT)
    );
    let resp = tenant
        .api
        .request(Method::POST, "/api/v1/users")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Nothing was created by any of this.
    assert!(tenant.api.servers().await.unwrap().items.is_empty());
    assert!(tenant.api.users().await.unwrap().items.is_empty());
}

#[tokio::test]
async fn each_out_of_range_number_gets_422_naming_its_field() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Numbers", unlimited()).await;

    for (rate, why) in [
        ("0.00000000001", "11 decimals"),
        ("99999999999", "11 digits"),
    ] {
        let err = m
            .api
            .set_fx(&UpdateFx {
                currency: "EUR".into(),
                rates: vec![FxRateInput {
                    currency: "USD".into(),
                    rate: rate.into(),
                }],
            })
            .await
            .unwrap_err();
        let fields: Vec<_> = err.problem().unwrap().errors.clone().unwrap();
        assert_eq!(fields[0].field, "rates[0].rate", "{why}");
    }
    for (hourly, monthly, field) in [
        ("100000000", "1", "hourly"),
        ("0.1234567", "1", "hourly"),
        ("1", "10000000000", "monthly"),
        ("1", "1.00001", "monthly"),
    ] {
        let err = m
            .api
            .set_price(
                mspdesk_domain::Provider::Hetzner,
                "cx22",
                &UpdatePrice {
                    description: None,
                    hourly: hourly.into(),
                    monthly: monthly.into(),
                    currency: "EUR".into(),
                },
            )
            .await
            .unwrap_err();
        let fields = refused_fields(&err);
        assert!(
            fields.contains(&field.to_owned()),
            "{hourly}/{monthly}: {fields:?}"
        );
    }
    // A quota of three billion is refused, not stored as 2,147,483,647.
    let res = m
        .api
        .request(Method::PUT, &format!("/api/v1/clients/{}/quotas", t.id))
        .header("If-Match", format!("\"{}\"", t.version))
        .json(&serde_json::json!({"max_servers": 3_000_000_000_i64}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_fields_in(res).await, ["max_servers"]);
    let stored = m.api.get_client(t.id).await.unwrap();
    assert_eq!(stored.quotas.max_servers, None);
    let plans = m.api.plans().await.unwrap();
    let res = m
        .api
        .request(Method::POST, "/api/v1/clients")
        .json(&serde_json::json!({
            "company_name": "Huge", "contact_email": "h@x.example",
            "plan_id": plans.items[0].id, "quotas": {"storage_quota_gb": 2_147_483_648_i64}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_fields_in(res).await, ["quotas.storage_quota_gb"]);
    // The largest value that fits is accepted as it is.
    let ok = m
        .api
        .set_quotas(
            t.id,
            &QuotasInput {
                max_users: Some(2_147_483_647),
                ..QuotasInput::default()
            },
            t.version,
        )
        .await
        .unwrap();
    assert_eq!(ok.quotas.max_users, Some(2_147_483_647));
    let res = t
        .api
        .request(Method::POST, "/api/v1/servers")
        .json(&serde_json::json!({
            "name": "big", "provider": "other", "server_type": "x", "storage_gb": 3_000_000_000_i64,
            "price": {"hourly": "100000000", "monthly": "1", "currency": "EUR"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused_fields_in(res).await, ["storage_gb", "price.hourly"]);
}

#[tokio::test]
async fn the_bounds_match_the_schema() {
    let (_, pool) = database(2).await;
    use mspdesk_api::types::bounds::{FX_RATE, HOURLY, MONTHLY};
    for (table, column, bound) in [
        ("prices", "hourly", HOURLY),
        ("servers", "hourly", HOURLY),
        ("prices", "monthly", MONTHLY),
        ("servers", "monthly", MONTHLY),
        ("fx_rates", "rate", FX_RATE),
    ] {
        let (precision, scale): (i32, i32) = sqlx::query_as(
            "SELECT numeric_precision, numeric_scale FROM information_schema.columns
             WHERE table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (precision, scale),
            (
                i32::try_from(bound.precision).unwrap(),
                i32::try_from(bound.scale).unwrap()
            ),
            "{table}.{column}"
        );
    }
    for (table, column) in [
        ("clients", "max_servers"),
        ("clients", "max_users"),
        ("clients", "max_apps_per_server"),
        ("clients", "storage_quota_gb"),
        ("servers", "storage_gb"),
    ] {
        let kind: String = sqlx::query_scalar(
            "SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
        )
        .bind(table)
        .bind(column)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(kind, "integer", "{table}.{column}");
    }
}
