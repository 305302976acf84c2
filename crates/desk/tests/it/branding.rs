//! The Branding studio through the desk: a draft checked as the server would check it, the
//! preview from the portal's template, an SVG logo from a file uploaded when the draft is
//! published, discarding a draft with its image.

use mspdesk_api::types::UpdateBranding;
use mspdesk_desk::{DeskError, DraftKind, PreviewTheme, PublishOutcome};
use mspdesk_domain::AssetKind;

use crate::support::*;

const LOGO_SVG: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64"><rect x="4" y="8" width="48" height="48" rx="10" fill="#123456"/></svg>"##;

#[tokio::test]
async fn a_branding_draft_is_checked_previewed_and_published_with_its_logo() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let lodz = desk.find_client("łódź").await.unwrap();

    // The server's rules, offline: the CSS error with its line and column; low contrast warned.
    let body = UpdateBranding {
        company_name: Some("Łódź Hosting".into()),
        primary_color: Some("#FFD700".into()),
        custom_css: Some(
            ".portal-title { color: red }\n@import url(https://evil.example/x.css);".into(),
        ),
        ..Default::default()
    };
    let check = desk.check_branding(lodz.id, &body).await.unwrap();
    assert_eq!(check.errors.len(), 1, "{check:?}");
    assert_eq!(check.errors[0].field, "custom_css");
    assert_eq!(
        (check.errors[0].line, check.errors[0].column),
        (Some(2), Some(1))
    );
    // The position is said once, in the sentence; the reason alone goes to the editor's mark.
    assert_eq!(
        check.errors[0].message.matches("line 2, column 1").count(),
        1,
        "{}",
        check.errors[0].message
    );
    let reason = check.errors[0].reason.as_deref().unwrap();
    assert!(
        reason.contains("@import") && !reason.contains("line 2"),
        "{reason}"
    );
    let warning = check
        .warnings
        .iter()
        .find(|w| w.field == "primary_color")
        .expect("a contrast warning");
    assert!(warning.ratio < 4.5);
    assert!(warning.suggestion.is_some());
    // ... and the draft is refused with the server's message.
    let refused = desk.save_branding_draft(lodz.id, &body).await;
    assert!(
        matches!(&refused, Err(DeskError::Invalid(f)) if f[0].field == "custom_css"),
        "{refused:?}"
    );

    let body = UpdateBranding {
        custom_css: Some(".portal-title { color: red }".into()),
        ..body
    };
    desk.save_branding_draft(lodz.id, &body).await.unwrap();

    // A logo from a file: the SVG is kept as its PNG, and the draft points at it.
    let view = desk
        .set_branding_image(lodz.id, AssetKind::Logo, LOGO_SVG)
        .await
        .unwrap();
    assert!(view.has_draft);
    assert_eq!(view.assets.len(), 1);
    assert_eq!(view.assets[0].content_type, "image/png");
    assert!(view.assets[0]
        .data_url
        .starts_with("data:image/png;base64,"));
    assert!(view.check.errors.is_empty(), "{:?}", view.check);
    let logo = view
        .branding
        .logo_url
        .clone()
        .expect("the draft names the logo");
    assert!(
        logo.contains(&format!("/public/assets/{}/logo", lodz.id)),
        "{logo}"
    );

    // The preview: the portal's template, the draft's colour, the scoped CSS, the logo inline,
    // a policy that loads nothing.
    let html = desk
        .branding_preview(lodz.id, &view.branding, PreviewTheme::Dark)
        .await
        .unwrap();
    assert!(html.contains("--brand-primary:#FFD700"));
    assert!(html.contains(".mspdesk-portal .portal-title"));
    assert!(html.contains("src=\"data:image/png;base64,"));
    assert!(html.contains("class=\"mspdesk-portal theme-dark\""));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains("Sign in to Łódź Hosting"));

    // Publishing uploads the image first, then the branding.
    assert_eq!(
        desk.publish(DraftKind::Branding, lodz.id).await.unwrap(),
        PublishOutcome::Published
    );
    let api = operator(&w).await;
    let tenant = api.with_token(api.client_token(lodz.id).await.unwrap().token);
    let published = tenant.branding().await.unwrap();
    assert_eq!(published.primary_color.as_deref(), Some("#FFD700"));
    assert_eq!(published.company_name.as_deref(), Some("Łódź Hosting"));
    assert_eq!(
        published.custom_css.as_deref(),
        Some(".mspdesk-portal .portal-title {\n  color: red;\n}\n")
    );
    let served = published.logo_url.clone().expect("a logo");
    assert!(
        served.contains(&format!("/public/assets/{}/logo?v=", lodz.id)),
        "{served}"
    );
    assert!(published
        .warnings
        .iter()
        .any(|w| w.field == "primary_color"));

    // Nothing is pending any more, and the preview still shows the logo (kept as a copy).
    let view = desk.branding_view(lodz.id).await.unwrap();
    assert!(!view.has_draft);
    assert!(view.assets.is_empty());
    let html = desk
        .branding_preview(lodz.id, &view.branding, PreviewTheme::Light)
        .await
        .unwrap();
    assert!(html.contains("src=\"data:image/png;base64,"));
}

#[tokio::test]
async fn discarding_a_branding_draft_drops_its_chosen_image() {
    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let muller = desk.find_client("müller").await.unwrap();
    let view = desk
        .set_branding_image(muller.id, AssetKind::Favicon, LOGO_SVG)
        .await;
    // A 240x64 SVG is no favicon: refused with the rule, nothing kept.
    assert!(
        matches!(&view, Err(DeskError::Invalid(f)) if f[0].field == "favicon_url"),
        "{view:?}"
    );
    let view = desk
        .set_branding_image(muller.id, AssetKind::Logo, LOGO_SVG)
        .await
        .unwrap();
    assert_eq!(view.assets.len(), 1);
    desk.discard_draft(DraftKind::Branding, muller.id)
        .await
        .unwrap();
    let view = desk.branding_view(muller.id).await.unwrap();
    assert!(!view.has_draft);
    assert!(view.assets.is_empty());
    assert_eq!(view.branding.logo_url, None);
}

/// What happened on the server between the desk's draft and its publish.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Meanwhile {
    /// Only the desk's own upload landed (its answer lost, or the desk stopped before
    /// recording it).
    OwnUploadLanded,
    /// The desk's upload landed, then somebody else changed the branding.
    OwnUploadThenAnotherChange,
    /// The server had this very image already, and somebody else changed another field: one
    /// version on with the image's hash, but not the desk's doing.
    SameImageAndAnotherChange,
}

#[tokio::test]
async fn an_upload_that_landed_without_its_answer_is_taken_as_the_desks_own() {
    let w = world().await;
    let desk = signed_in(&w).await;
    let api = operator(&w).await;
    let png = mspdesk_domain::check_upload(AssetKind::Logo, LOGO_SVG)
        .unwrap()
        .bytes;
    for (name, meanwhile) in [
        ("łódź", Meanwhile::OwnUploadLanded),
        ("müller", Meanwhile::OwnUploadThenAnotherChange),
        ("société", Meanwhile::SameImageAndAnotherChange),
    ] {
        desk.sync(|_| {}, &never()).await.unwrap();
        let client = desk.find_client(name).await.unwrap();
        let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);
        if meanwhile == Meanwhile::SameImageAndAnotherChange {
            // The server has the image before the desk's draft is made.
            let v = tenant.branding().await.unwrap().version;
            tenant
                .upload_asset(AssetKind::Logo, png.clone(), v)
                .await
                .unwrap();
            desk.sync(|_| {}, &never()).await.unwrap();
        }
        desk.save_branding_draft(
            client.id,
            &UpdateBranding {
                company_name: Some(format!("{name} portal")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        desk.set_branding_image(client.id, AssetKind::Logo, LOGO_SVG)
            .await
            .unwrap();
        let base = tenant.branding().await.unwrap();
        let after = match meanwhile {
            Meanwhile::SameImageAndAnotherChange => base,
            _ => tenant
                .upload_asset(AssetKind::Logo, png.clone(), base.version)
                .await
                .unwrap(),
        };
        if meanwhile != Meanwhile::OwnUploadLanded {
            tenant
                .set_branding(
                    &UpdateBranding {
                        logo_url: after.logo_url.clone(),
                        primary_color: Some("#223344".into()),
                        ..Default::default()
                    },
                    after.version,
                )
                .await
                .unwrap();
        }
        let outcome = desk.publish(DraftKind::Branding, client.id).await.unwrap();
        if meanwhile != Meanwhile::OwnUploadLanded {
            assert_eq!(outcome, PublishOutcome::Conflict, "{meanwhile:?}");
            // Nothing of the other change was overwritten.
            let kept = tenant.branding().await.unwrap();
            assert_eq!(kept.primary_color.as_deref(), Some("#223344"));
            continue;
        }
        assert_eq!(outcome, PublishOutcome::Published, "{meanwhile:?}");
        let published = tenant.branding().await.unwrap();
        assert_eq!(published.company_name.as_deref(), Some("łódź portal"));
        assert_eq!(published.logo_url, after.logo_url);
        assert_eq!(published.version, after.version + 1);
        let view = desk.branding_view(client.id).await.unwrap();
        assert!(!view.has_draft);
        assert!(view.assets.is_empty(), "nothing is pending");
    }
}
