//! Branding through the API: validation, versions, the custom domain claimed by several
//! clients, and logo and favicon uploads (an SVG served as its PNG).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use reqwest::StatusCode;

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
