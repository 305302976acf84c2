//! The Branding studio's actions: what a client's branding draft would look like (checked by
//! the same rules the server applies, with contrast warnings), the live preview rendered from
//! the portal's own template, images chosen from files, and verifying the custom domain.
//!
//! Everything but [`Desk::verify_custom_domain`] works offline, from the draft.

use base64::Engine as _;
use mspdesk_api::client::{ApiClient, ApiError};
use mspdesk_api::types::{
    asset_path, asset_sha256, branding_warnings, image_ref, no_upload_error, Branding,
    BrandingWarning, DomainVerification, ImageRef, UpdateBranding,
};
use mspdesk_api::ProblemCode;
use mspdesk_domain::{
    check_upload, sanitize_css, AssetKind, ClientId, CompanyName, HexColor, SafeCss, TenantId,
};
use mspdesk_portal::{Brand, Head, SignInForm, Theme};
use serde::{Deserialize, Serialize};

use crate::kinds::MirrorKind;
use crate::session::{retry, Desk};
use crate::store::StoredImage;
use crate::DeskError;

/// A client's branding as the Branding tab shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrandingView {
    pub client: ClientId,
    /// The draft if there is one, else the synced branding.
    pub branding: UpdateBranding,
    pub has_draft: bool,
    /// The server's branding as last synced (with the custom domain's verification).
    pub synced: Option<Branding>,
    /// Images chosen on this desk and not uploaded yet (publishing uploads them).
    pub assets: Vec<PendingAsset>,
    /// `branding`, checked.
    pub check: BrandingCheck,
}

/// An image chosen on this desk, as checked (an SVG has become a PNG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingAsset {
    pub kind: AssetKind,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u32,
    /// The image as a `data:` URL, for thumbnails and the preview.
    pub data_url: String,
}

/// What is wrong with a branding draft (`errors`: the server would refuse it) and what is
/// merely unwise (`warnings`: low contrast).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrandingCheck {
    pub errors: Vec<BrandingIssue>,
    pub warnings: Vec<BrandingWarning>,
}

impl BrandingCheck {
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// One refused field; for `custom_css`, where in the sheet (1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrandingIssue {
    pub field: String,
    /// The whole sentence, position included where there is one ("line 2, column 1: @import
    /// is not allowed"), as the server words it: shown as it is.
    pub message: String,
    /// For `custom_css`: the reason alone, for a mark at `line` and `column` in the editor.
    pub reason: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// The preview's colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PreviewTheme {
    #[default]
    Light,
    Dark,
}

fn data_url(image: &StoredImage) -> String {
    format!(
        "data:{};base64,{}",
        image.content_type,
        base64::engine::general_purpose::STANDARD.encode(&image.bytes)
    )
}

fn pending_asset(image: &StoredImage) -> PendingAsset {
    PendingAsset {
        kind: image.kind,
        content_type: image.content_type.clone(),
        width: image.width,
        height: image.height,
        size_bytes: u32::try_from(image.bytes.len()).unwrap_or(u32::MAX),
        data_url: data_url(image),
    }
}

/// Checks a branding body for `client` by the server's rules (the same code), adding where in
/// the CSS an error is, that an image the draft points at exists, and the contrast warnings.
#[must_use]
pub fn check_branding(
    client: ClientId,
    body: &UpdateBranding,
    images: &[StoredImage],
    synced: Option<&Branding>,
) -> BrandingCheck {
    let tenant: TenantId = client.into();
    let mut errors: Vec<BrandingIssue> = match body.validate(tenant) {
        Ok(_) => Vec::new(),
        Err(fields) => fields
            .into_iter()
            .map(|f| BrandingIssue {
                field: f.field,
                message: f.message,
                reason: None,
                line: None,
                column: None,
            })
            .collect(),
    };
    if let Some(Err(e)) = body
        .custom_css
        .as_deref()
        .map(|css| sanitize_css(css, tenant))
    {
        for issue in errors.iter_mut().filter(|i| i.field == "custom_css") {
            issue.reason = Some(e.message.clone());
            issue.line = Some(e.line);
            issue.column = Some(e.column);
        }
    }
    for (kind, url) in [
        (AssetKind::Logo, &body.logo_url),
        (AssetKind::Favicon, &body.favicon_url),
    ] {
        let wants_upload = matches!(url.as_deref().map(image_ref), Some(Ok(ImageRef::Uploaded)));
        let have = images.iter().any(|i| i.kind == kind)
            || synced
                .and_then(|s| match kind {
                    AssetKind::Logo => s.logo_url.as_deref(),
                    AssetKind::Favicon => s.favicon_url.as_deref(),
                })
                .is_some_and(|u| matches!(image_ref(u), Ok(ImageRef::Uploaded)));
        if wants_upload && !have {
            let refused = no_upload_error(kind);
            errors.push(BrandingIssue {
                field: refused.field,
                message: refused.message,
                reason: None,
                line: None,
                column: None,
            });
        }
    }
    let color = |v: &Option<String>| v.as_deref().and_then(|c| HexColor::parse(c).ok());
    BrandingCheck {
        errors,
        warnings: branding_warnings(
            color(&body.primary_color),
            color(&body.secondary_color),
            color(&body.accent_color),
        ),
    }
}

impl Desk {
    async fn synced_branding(&self, client: ClientId) -> Result<Option<Branding>, DeskError> {
        let tenant: TenantId = client.into();
        Ok(self
            .store
            .mirror(MirrorKind::Branding, tenant, &tenant.to_string())
            .await?)
    }

    /// The client's branding for the Branding tab: draft or synced, checked.
    pub async fn branding_view(&self, client: ClientId) -> Result<BrandingView, DeskError> {
        let (branding, base) = self.branding(client).await?;
        let synced = self.synced_branding(client).await?;
        let images = self.store.images(client).await?;
        let check = check_branding(client, &branding, &images, synced.as_ref());
        Ok(BrandingView {
            client,
            branding,
            has_draft: base.is_some(),
            synced,
            assets: images
                .iter()
                .filter(|i| i.pending)
                .map(pending_asset)
                .collect(),
            check,
        })
    }

    /// Checks a branding body (not saved) as the server would, offline.
    pub async fn check_branding(
        &self,
        client: ClientId,
        body: &UpdateBranding,
    ) -> Result<BrandingCheck, DeskError> {
        let images = self.store.images(client).await?;
        let synced = self.synced_branding(client).await?;
        Ok(check_branding(client, body, &images, synced.as_ref()))
    }

    /// The portal's sign-in page as `body` would make it, for a sandboxed frame: the server's
    /// template, every style inline, images as `data:` URLs from this desk (a logo at an https
    /// address is not fetched: the preview shows the company name instead), and a policy that
    /// loads nothing. Fields that break a rule are left out, so the preview never fails while
    /// the user types.
    pub async fn branding_preview(
        &self,
        client: ClientId,
        body: &UpdateBranding,
        theme: PreviewTheme,
    ) -> Result<String, DeskError> {
        let tenant: TenantId = client.into();
        let images = self.store.images(client).await?;
        let fallback_name = match self.synced_client(client).await {
            Ok(c) => c.company_name,
            Err(_) => "Client portal".to_owned(),
        };
        let company_name = body
            .company_name
            .as_deref()
            .and_then(|n| CompanyName::parse(n).ok())
            .map_or(fallback_name, |n| n.as_str().to_owned());
        let css: Option<SafeCss> = body
            .custom_css
            .as_deref()
            .and_then(|css| sanitize_css(css, tenant).ok());
        let image = |kind: AssetKind, url: &Option<String>| match url.as_deref().map(image_ref) {
            Some(Ok(ImageRef::Uploaded)) => images.iter().find(|i| i.kind == kind).map(data_url),
            _ => None,
        };
        let color = |v: &Option<String>, default: HexColor| {
            v.as_deref()
                .and_then(|c| HexColor::parse(c).ok())
                .unwrap_or(default)
        };
        let brand = Brand {
            company_name: &company_name,
            logo_src: image(AssetKind::Logo, &body.logo_url),
            favicon_src: image(AssetKind::Favicon, &body.favicon_url),
            primary: color(&body.primary_color, mspdesk_portal::DEFAULT_PRIMARY),
            secondary: color(&body.secondary_color, mspdesk_portal::DEFAULT_SECONDARY),
            accent: color(&body.accent_color, mspdesk_portal::DEFAULT_ACCENT),
            custom_css: css.as_ref(),
        };
        let head = Head::preview(match theme {
            PreviewTheme::Light => Theme::Light,
            PreviewTheme::Dark => Theme::Dark,
        });
        let form = SignInForm {
            action: "#",
            ..SignInForm::default()
        };
        mspdesk_portal::sign_in_page(&head, &brand, &form)
            .map_err(|e| DeskError::Render(e.to_string()))
    }

    /// Takes an image from a file for the client's logo or favicon: checks it by the upload
    /// rule (an SVG becomes a PNG), keeps it with the draft and points the draft at it.
    /// Publishing the draft uploads it.
    #[tracing::instrument(skip(self, bytes), fields(len = bytes.len()), err)]
    pub async fn set_branding_image(
        &self,
        client: ClientId,
        kind: AssetKind,
        bytes: &[u8],
    ) -> Result<BrandingView, DeskError> {
        let checked = check_upload(kind, bytes)
            .map_err(|e| crate::error::invalid(&format!("{kind}_url"), format!("the file {e}")))?;
        let (mut draft, _) = self.branding(client).await?;
        let path = format!("{}{client}/{kind}", mspdesk_domain::ASSET_PATH_PREFIX);
        match kind {
            AssetKind::Logo => draft.logo_url = Some(path),
            AssetKind::Favicon => draft.favicon_url = Some(path),
        }
        self.store
            .put_image(
                client,
                &StoredImage {
                    kind,
                    content_type: checked.content_type.to_owned(),
                    bytes: checked.bytes,
                    width: checked.width,
                    height: checked.height,
                    pending: true,
                },
            )
            .await?;
        self.save_branding_draft(client, &draft).await?;
        self.branding_view(client).await
    }

    /// Removes the client's logo or favicon from the draft (and a chosen file not uploaded).
    pub async fn clear_branding_image(
        &self,
        client: ClientId,
        kind: AssetKind,
    ) -> Result<BrandingView, DeskError> {
        let (mut draft, _) = self.branding(client).await?;
        match kind {
            AssetKind::Logo => draft.logo_url = None,
            AssetKind::Favicon => draft.favicon_url = None,
        }
        self.store.delete_pending_images(client, Some(kind)).await?;
        self.save_branding_draft(client, &draft).await?;
        self.branding_view(client).await
    }

    /// Looks the published custom domain's TXT record up now (on the server) and keeps the
    /// answer in the mirror.
    #[tracing::instrument(skip(self), err)]
    pub async fn verify_custom_domain(
        &self,
        client: ClientId,
    ) -> Result<DomainVerification, DeskError> {
        let api = self.client_api(client).await?;
        let branding = retry(|| api.verify_custom_domain()).await?;
        self.mirror_record(
            client,
            &crate::drafts::ServerRecord::Branding(branding.clone()),
        )
        .await?;
        branding
            .custom_domain_verification
            .ok_or_else(|| crate::error::invalid("custom_domain", "no custom domain is published"))
    }

    /// Uploads the draft's pending images before the branding itself. Each upload moves the
    /// branding's version on, and the draft's base with it in the same local transaction; an
    /// upload that landed without the desk recording it (its answer lost, or a crash) is
    /// recognised on the retry's 412 by the image's hash, so it is not taken for someone else's
    /// change. Returns the version to send the branding with.
    pub(crate) async fn upload_pending_images(
        &self,
        api: &ApiClient,
        client: ClientId,
        mut version: i64,
    ) -> Result<Result<i64, ApiError>, DeskError> {
        let pending: Vec<StoredImage> = self
            .store
            .images(client)
            .await?
            .into_iter()
            .filter(|i| i.pending)
            .collect();
        for image in pending {
            version =
                match retry(|| api.upload_asset(image.kind, image.bytes.clone(), version)).await {
                    Ok(b) => b.version,
                    Err(e) if e.code() == Some(ProblemCode::VersionConflict) => {
                        let base = self.synced_branding(client).await?;
                        match landed(api, client, base.as_ref(), &image, version).await {
                            Some(v) => v,
                            None => return Ok(Err(e)),
                        }
                    }
                    Err(e) => return Ok(Err(e)),
                };
            self.store
                .image_uploaded(client, image.kind, version)
                .await?;
        }
        Ok(Ok(version))
    }
}

/// After a 412 on uploading `image` at `version`: the branding's version when the change that
/// made it was this very upload (its answer lost, or the desk stopped before recording it),
/// else None (a conflict, for the user to resolve). It can only vouch for that against the
/// synced branding the draft is based on (`base`, at `version`): the server must then be
/// exactly one version on, and equal to `base` with this image in place of a different one.
async fn landed(
    api: &ApiClient,
    client: ClientId,
    base: Option<&Branding>,
    image: &StoredImage,
    version: i64,
) -> Option<i64> {
    let base = base.filter(|b| b.version == version)?;
    let ours = asset_path(client.into(), image.kind, &asset_sha256(&image.bytes));
    let mut expected = crate::drafts::branding_as_update(base);
    let slot = match image.kind {
        AssetKind::Logo => &mut expected.logo_url,
        AssetKind::Favicon => &mut expected.favicon_url,
    };
    if slot.as_deref() == Some(ours.as_str()) {
        // The server had this image already: an upload of it cannot be told from another's.
        return None;
    }
    *slot = Some(ours);
    let server = retry(|| api.branding()).await.ok()?;
    (server.version == version + 1 && crate::drafts::branding_as_update(&server) == expected)
        .then_some(server.version)
}
