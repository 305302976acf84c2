//! The API end to end through the typed client: clients, quotas, servers, users, catalog,
//! apps, branding, usage, audit, If-Match, Idempotency-Key, validation, OpenAPI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use mspdesk_domain::{CatalogMode, ComplianceStatus, QuotaKind};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn health_and_login_errors() {
    let app = spawn_app().await;
    assert_eq!(app.api.health().await.unwrap().status, "ok");
    let msp = msp(&app).await;

    let wrong = app
        .api
        .login(&msp.email, &secret("wrong password"))
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(ProblemCode::Unauthorized));
    let unknown = app
        .api
        .login("nobody@msp.example", &secret(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some(ProblemCode::Unauthorized));
    // Same answer for both: nothing tells which e-mails exist.
    assert_eq!(
        wrong.problem().unwrap().detail,
        unknown.problem().unwrap().detail
    );
    // E-mail matching ignores case.
    assert!(app
        .api
        .login(&msp.email.to_uppercase(), &secret(PASSWORD))
        .await
        .is_ok());
}

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

#[tokio::test]
async fn client_list_search_and_pages() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo 50%"] {
        client(&msp, name, unlimited()).await;
    }
    let first = msp.api.list_clients(None, Some(2), None).await.unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        ["alpha", "bravo"]
    );
    let second = msp
        .api
        .list_clients(None, Some(2), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        ["Charlie", "Delta"]
    );
    let third = msp
        .api
        .list_clients(None, Some(2), second.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.next_cursor, None);

    let found = msp
        .api
        .list_clients(Some("HARL"), None, None)
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].company_name, "Charlie");
    // LIKE wildcards in the search are literal.
    let pct = msp.api.list_clients(Some("%"), None, None).await.unwrap();
    assert_eq!(pct.items.len(), 1);

    // A page size out of range is a 422 naming `limit` (never clamped); a limit that is no
    // number and a cursor the server did not hand out are malformed (400).
    for (bad, status) in [
        (("limit", "0"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "501"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "-1"), StatusCode::UNPROCESSABLE_ENTITY),
        (("limit", "x"), StatusCode::BAD_REQUEST),
        (("cursor", "garbage"), StatusCode::BAD_REQUEST),
    ] {
        let resp = msp
            .api
            .request(Method::GET, "/api/v1/clients")
            .query(&[bad])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{bad:?}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let problem: mspdesk_api::Problem = resp.json().await.unwrap();
            assert_eq!(problem.errors.unwrap()[0].field, "limit");
        }
    }
}

#[tokio::test]
async fn idempotency_keys() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(&msp, "Idem", unlimited()).await;

    let first = tenant
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    let again = tenant
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(tenant.api.servers().await.unwrap().items.len(), 1);

    // Same key, different body: refused, nothing created.
    let other = tenant
        .api
        .create_server(&server_body("db", 10), Some("key-1"))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Some(ProblemCode::ValidationFailed));
    assert_eq!(tenant.api.servers().await.unwrap().items.len(), 1);

    // Keys are per tenant: another tenant may use the same key.
    let second = client(&msp, "Idem 2", unlimited()).await;
    let theirs = second
        .api
        .create_server(&server_body("web", 10), Some("key-1"))
        .await
        .unwrap();
    assert_ne!(theirs.id, first.id);

    // A failed create (quota) does not burn the key.
    let small = client(
        &msp,
        "Small",
        QuotasInput {
            max_servers: Some(0),
            ..unlimited()
        },
    )
    .await;
    assert!(small
        .api
        .create_server(&server_body("x", 1), Some("k"))
        .await
        .is_err());
    let client_now = msp.api.get_client(small.id).await.unwrap();
    msp.api
        .set_quotas(
            small.id,
            &QuotasInput {
                max_servers: Some(1),
                ..unlimited()
            },
            client_now.version,
        )
        .await
        .unwrap();
    assert!(small
        .api
        .create_server(&server_body("x", 1), Some("k"))
        .await
        .is_ok());

    // Client creation honours keys too, and a malformed key is a 400.
    let plans = msp.api.plans().await.unwrap();
    let body = CreateClient {
        company_name: "Once".into(),
        contact_email: "once@example.com".into(),
        plan_id: plans.items[0].id.to_string(),
        quotas: None,
    };
    let a = msp
        .api
        .create_client(&body, Some("create-once"))
        .await
        .unwrap();
    let b = msp
        .api
        .create_client(&body, Some("create-once"))
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    let bad = msp
        .api
        .create_client(&body, Some("has space"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some(ProblemCode::BadRequest));

    // Concurrent retries with one key create exactly one.
    let user = CreateUser {
        email: "race@x.example".into(),
        name: "R".into(),
    };
    let futures = (0..10).map(|_| tenant.api.create_user(&user, Some("user-key")));
    let results = futures::future::join_all(futures).await;
    let ids: std::collections::HashSet<_> = results.into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(tenant.api.users().await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn catalog_and_apps() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let tenant = client(
        &msp,
        "Catalog",
        QuotasInput {
            max_apps_per_server: Some(2),
            ..unlimited()
        },
    )
    .await;
    let templates = tenant.api.templates().await.unwrap().items;
    assert!(templates.len() >= 30);
    // The MSP's own token reads the same library (an MSP without clients needs it too).
    assert_eq!(msp.api.templates().await.unwrap().items, templates);

    let catalog = tenant.api.catalog().await.unwrap();
    assert_eq!(catalog.mode, CatalogMode::All);
    let server = tenant
        .api
        .create_server(&server_body("apps", 40), None)
        .await
        .unwrap();

    // Mode all: anything in the library installs.
    let install = |t: &str| InstallApp {
        template_id: t.into(),
    };
    tenant
        .api
        .install_app(server.id, &install("jellyfin"), None)
        .await
        .unwrap();

    // Custom: only the allow-list.
    let custom = tenant
        .api
        .set_catalog(
            &UpdateCatalog {
                mode: "custom".into(),
                enabled: vec!["gitea".into(), "nextcloud".into()],
            },
            catalog.version,
        )
        .await
        .unwrap();
    assert_eq!(custom.mode, CatalogMode::Custom);
    let refused = tenant
        .api
        .install_app(server.id, &install("wordpress"), None)
        .await
        .unwrap_err();
    let p = refused.problem().unwrap();
    assert_eq!(p.code, ProblemCode::NotInCatalog);
    assert_eq!(p.template_id.as_deref(), Some("wordpress"));
    tenant
        .api
        .install_app(server.id, &install("gitea"), None)
        .await
        .unwrap();
    // Two apps on the server now (jellyfin, gitea): max_apps_per_server = 2.
    let full = tenant
        .api
        .install_app(server.id, &install("nextcloud"), None)
        .await
        .unwrap_err();
    assert_eq!(full.code(), Some(ProblemCode::QuotaExceeded));
    assert_eq!(tenant.api.apps(server.id).await.unwrap().items.len(), 2);

    // Unknown template: 422; stale catalog version: 412; missing If-Match: 428.
    let unknown = tenant
        .api
        .install_app(server.id, &install("no-such-app"), None)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Some(ProblemCode::ValidationFailed));
    let stale = tenant
        .api
        .set_catalog(
            &UpdateCatalog {
                mode: "all".into(),
                enabled: vec![],
            },
            catalog.version,
        )
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some(ProblemCode::VersionConflict));
    let no_match = tenant
        .api
        .request(Method::PUT, "/api/v1/catalog")
        .json(&UpdateCatalog {
            mode: "all".into(),
            enabled: vec![],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(no_match.status(), StatusCode::PRECONDITION_REQUIRED);

    // Uninstall frees a slot.
    let apps = tenant.api.apps(server.id).await.unwrap().items;
    tenant
        .api
        .uninstall_app(server.id, apps[0].id)
        .await
        .unwrap();
    tenant
        .api
        .install_app(server.id, &install("nextcloud"), None)
        .await
        .unwrap();

    // Back to all: new templates included.
    let back = tenant
        .api
        .set_catalog(
            &UpdateCatalog {
                mode: "all".into(),
                enabled: vec![],
            },
            custom.version,
        )
        .await
        .unwrap();
    assert_eq!(back.mode, CatalogMode::All);

    // The busiest server's app count shows in usage.
    assert_eq!(
        tenant.api.tenant().await.unwrap().usage.busiest_server_apps,
        2
    );
}

#[tokio::test]
async fn branding_validation_versions_and_shared_domain_claims() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "Brand A", unlimited()).await;
    let b = client(&msp, "Brand B", unlimited()).await;

    let initial = a.api.branding().await.unwrap();
    assert_eq!(initial.version, 1);
    let body = UpdateBranding {
        company_name: Some("Brand A Portal".into()),
        logo_url: Some("https://cdn.example.com/logo.png".into()),
        primary_color: Some("#1e88e5".into()),
        secondary_color: Some("#fff".into()),
        custom_domain: Some("Portal.Brand-A.example".into()),
        custom_css: Some(".header { color: red; }".into()),
        ..Default::default()
    };
    let saved = a.api.set_branding(&body, 1).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.primary_color.as_deref(), Some("#1E88E5"));
    assert_eq!(saved.secondary_color.as_deref(), Some("#FFFFFF"));
    assert_eq!(
        saved.custom_domain.as_deref(),
        Some("portal.brand-a.example")
    );

    // Another client may claim the same domain while nobody has verified it (the domains
    // tests cover verification and the 409 once verified).
    let also = b
        .api
        .set_branding(
            &UpdateBranding {
                custom_domain: Some("portal.brand-a.example".into()),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        also.custom_domain_verification.map(|v| v.status),
        Some(mspdesk_api::types::VerificationStatus::Pending)
    );

    // Every invalid field is reported at once, and nothing is saved.
    let bad = UpdateBranding {
        logo_url: Some("http://insecure.example/logo.png".into()),
        favicon_url: Some("not a url".into()),
        primary_color: Some("#12345".into()),
        secondary_color: Some("red".into()),
        accent_color: Some("#GGGGGG".into()),
        custom_domain: Some("192.168.1.1".into()),
        company_name: Some("x".repeat(201)),
        custom_css: Some("a".repeat(CUSTOM_CSS_MAX_BYTES + 1)),
    };
    let err = a.api.set_branding(&bad, 2).await.unwrap_err();
    let mut fields = refused_fields(&err);
    fields.sort();
    assert_eq!(
        fields,
        [
            "accent_color",
            "company_name",
            "custom_css",
            "custom_domain",
            "favicon_url",
            "logo_url",
            "primary_color",
            "secondary_color"
        ]
    );
    assert_eq!(a.api.branding().await.unwrap(), saved);
    assert_eq!(
        a.api.set_branding(&body, 1).await.unwrap_err().code(),
        Some(ProblemCode::VersionConflict)
    );
}

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

#[tokio::test]
async fn openapi_documents_every_route() {
    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut got: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    got.sort();
    let mut want = vec![
        "GET /health",
        "GET /ready",
        "GET /api/v1/openapi.json",
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/logout",
        "POST /api/v1/clients/{id}/token",
        "GET /api/v1/msp",
        "GET /api/v1/plans",
        "GET /api/v1/prices",
        "POST /api/v1/clients",
        "GET /api/v1/clients",
        "GET /api/v1/clients/{id}",
        "PATCH /api/v1/clients/{id}",
        "DELETE /api/v1/clients/{id}",
        "PUT /api/v1/clients/{id}/quotas",
        "GET /api/v1/audit",
        "GET /api/v1/tenant",
        "POST /api/v1/servers",
        "GET /api/v1/servers",
        "GET /api/v1/servers/{id}",
        "DELETE /api/v1/servers/{id}",
        "POST /api/v1/users",
        "GET /api/v1/users",
        "DELETE /api/v1/users/{id}",
        "POST /api/v1/users/{id}/invitation",
        "GET /api/v1/catalog/templates",
        "GET /api/v1/catalog",
        "PUT /api/v1/catalog",
        "POST /api/v1/servers/{id}/apps",
        "GET /api/v1/servers/{id}/apps",
        "DELETE /api/v1/servers/{id}/apps/{app_id}",
        "GET /api/v1/branding",
        "PUT /api/v1/branding",
        "POST /api/v1/branding/domain/verify",
        "GET /api/v1/usage",
        "PUT /api/v1/branding/assets/{kind}",
        "GET /api/v1/public/assets/{tenant}/{kind}",
        "PUT /api/v1/prices/{provider}/{server_type}",
        "GET /api/v1/fx",
        "PUT /api/v1/fx",
        "GET /api/v1/billing/report",
        "GET /api/v1/changes",
    ];
    want.sort();
    assert_eq!(got, want);
    // Every documented route is routed on the running server: a wrong method is 405, and an
    // unknown path is the fallback's 404 "no such route" (other 404s are "not found" of a
    // resource).
    let unrouted = app
        .api
        .request(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    assert_eq!(unrouted.status(), StatusCode::NOT_FOUND);
    let problem: mspdesk_api::Problem = unrouted.json().await.unwrap();
    assert_eq!(problem.detail.as_deref(), Some("no such route"));
    for route in &want {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{app_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{tenant}", &uuid::Uuid::now_v7().to_string())
            .replace("{kind}", "logo")
            .replace("{provider}", "hetzner")
            .replace("{server_type}", "cx22");
        let resp = app
            .api
            .request(method.parse().unwrap(), &path)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{route}");
        let text = resp.text().await.unwrap();
        assert!(!text.contains("no such route"), "{route} is not routed");
    }
}

#[tokio::test]
async fn branding_assets_upload_and_serve() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "Assets", unlimited()).await;
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../icons/32x32.png"
    ))
    .unwrap();

    let branding = a
        .api
        .upload_asset(mspdesk_domain::AssetKind::Logo, png.clone(), 1)
        .await
        .unwrap();
    assert_eq!(branding.version, 2);
    let path = branding.logo_url.clone().unwrap();
    assert!(
        path.starts_with(&format!("/api/v1/public/assets/{}/logo?v=", a.id)),
        "{path}"
    );

    // Served publicly, byte for byte, with safe headers.
    let (route, _) = path.split_once('?').unwrap();
    let served = reqwest::get(format!("{}{route}", app.url)).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png);

    // SVG, HTML, empty and oversized bodies are refused by content; stale versions too.
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    for (body, code) in [
        (svg, ProblemCode::ValidationFailed),
        (b"<html></html>".to_vec(), ProblemCode::ValidationFailed),
        (Vec::new(), ProblemCode::ValidationFailed),
        (
            vec![0u8; mspdesk_domain::ASSET_MAX_BYTES + 4096],
            ProblemCode::PayloadTooLarge,
        ),
    ] {
        let err = a
            .api
            .upload_asset(mspdesk_domain::AssetKind::Favicon, body, 2)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(code));
    }
    let stale = a
        .api
        .upload_asset(mspdesk_domain::AssetKind::Favicon, png.clone(), 1)
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Some(ProblemCode::VersionConflict));

    // Saving the branding as read keeps the uploaded logo; pointing at an upload that does not
    // exist is refused.
    let current = a.api.branding().await.unwrap();
    let kept = a
        .api
        .set_branding(
            &UpdateBranding {
                logo_url: current.logo_url.clone(),
                ..Default::default()
            },
            current.version,
        )
        .await
        .unwrap();
    assert_eq!(kept.logo_url, current.logo_url);
    let missing = a
        .api
        .set_branding(
            &UpdateBranding {
                favicon_url: Some(format!("/api/v1/public/assets/{}/favicon", a.id)),
                ..Default::default()
            },
            kept.version,
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some(ProblemCode::ValidationFailed));

    // Another tenant's asset URL with an unknown kind or tenant is 404.
    for bad in [
        "/api/v1/public/assets/not-a-uuid/logo",
        &format!("/api/v1/public/assets/{}/banner", a.id),
    ] {
        assert_eq!(
            reqwest::get(format!("{}{bad}", app.url))
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn client_list_pages_every_client_exactly_once() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let names = [
        "Straße",
        "STRASSE",
        "strasse",
        "İstanbul",
        "istanbul",
        "ΣΟΦΙΑ",
        "σοφια",
        "Acme",
        "acme",
        "Acme",
    ];
    for name in names {
        client(&msp, name, unlimited()).await;
    }
    let whole = msp.api.list_clients(None, Some(500), None).await.unwrap();
    assert_eq!(whole.items.len(), names.len());
    assert_eq!(whole.next_cursor, None);

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = msp
            .api
            .list_clients(None, Some(1), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.items.len() <= 1);
        paged.extend(page.items.into_iter().map(|c| c.id));
        assert!(paged.len() <= names.len(), "the cursor repeats clients");
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let expected: Vec<_> = whole.items.iter().map(|c| c.id).collect();
    assert_eq!(
        paged, expected,
        "every client once, in the order of one big page"
    );
}

#[tokio::test]
async fn branding_svg_upload_is_served_as_its_png() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "Vector", unlimited()).await;
    let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" onload="alert(1)"><rect width="200" height="100" fill="#1E88E5"/></svg>"##;
    let branding = a
        .api
        .upload_asset(mspdesk_domain::AssetKind::Logo, svg.to_vec(), 1)
        .await
        .unwrap();
    let path = branding.logo_url.unwrap();
    let (route, _) = path.split_once('?').unwrap();
    let served = reqwest::get(format!("{}{route}", app.url)).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    let png = served.bytes().await.unwrap().to_vec();
    let expected = mspdesk_domain::check_upload(mspdesk_domain::AssetKind::Logo, svg).unwrap();
    assert_eq!((expected.width, expected.height), (512, 256));
    assert_eq!(png, expected.bytes);

    // A favicon must be square, in pixels too.
    let err = a
        .api
        .upload_asset(mspdesk_domain::AssetKind::Favicon, svg.to_vec(), 2)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::ValidationFailed));
}

#[tokio::test]
async fn an_msp_reads_its_own_profile() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    let second = msp(&app).await;
    let profile = first.api.msp().await.unwrap();
    assert_eq!(profile.id, first.tenant);
    assert_eq!(profile.name, "Test MSP");
    assert_eq!(second.api.msp().await.unwrap().id, second.tenant);
}

#[tokio::test]
async fn openapi_states_what_the_validation_enforces() {
    use mspdesk_api::openapi::{body_rules, parameter_rule, Rule};

    let app = spawn_app().await;
    let doc = app.api.openapi().await.unwrap();
    // Every rule lands on a property that exists (a renamed field would lose its rule).
    for (schema, property, rule) in body_rules() {
        let at = format!("/components/schemas/{schema}/properties/{property}");
        let target = doc
            .pointer(&at)
            .unwrap_or_else(|| panic!("{at} is not in the document"));
        let target = match rule {
            Rule::Items(_) => &target["items"],
            _ => target,
        };
        let stated = ["maximum", "pattern", "enum"]
            .iter()
            .any(|k| target.get(k).is_some());
        assert!(stated, "{at} states no bound: {target}");
    }
    assert_eq!(
        doc.pointer("/components/schemas/QuotasInput/properties/max_servers/maximum"),
        Some(&serde_json::json!(mspdesk_api::types::bounds::MAX_INTEGER))
    );
    // Parameters too: every `limit`, `period`, `If-Match` and `Idempotency-Key`.
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for operation in item.as_object().unwrap().values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                if parameter_rule(path, name).is_none() {
                    continue;
                }
                seen += 1;
                let schema = &parameter["schema"];
                assert!(
                    schema.get("maximum").is_some() || schema.get("pattern").is_some(),
                    "{path} {name}: {schema}"
                );
            }
        }
    }
    assert!(seen >= 14, "only {seen} constrained parameters");
}
