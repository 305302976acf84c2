//! A client's app catalog and the apps installed on its servers, within their quota.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use mspdesk_domain::CatalogMode;
use reqwest::{Method, StatusCode};

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
