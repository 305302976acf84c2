//! White-label branding.

use chrono::{DateTime, Utc};
use mspdesk_domain::{sanitize_css, CompanyName, HexColor, HttpsUrl, SafeCss, TenantId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{optional, Fields};
use crate::FieldError;

/// A client's branding as stored (`GET /branding`). The last two fields are read-only: the
/// server computes them, and `PUT /branding` does not take them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Branding {
    pub company_name: Option<String>,
    pub logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub accent_color: Option<String>,
    pub custom_domain: Option<String>,
    pub custom_css: Option<String>,
    pub version: i64,
    /// Whether the client has proven control of `custom_domain` (null when none is set).
    #[serde(default)]
    pub custom_domain_verification: Option<DomainVerification>,
    /// Advice that does not block saving (e.g. low colour contrast).
    #[serde(default)]
    pub warnings: Vec<BrandingWarning>,
}

/// Where a custom domain's verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Not checked yet since the domain was set: publish the TXT record, then verify.
    Pending,
    /// The TXT record was found: the domain counts for this client.
    Verified,
    /// The last check did not find the record, or another account verified the domain first
    /// (`reason` says which).
    Failed,
}

/// The proof a client gives that it controls its custom domain: a TXT record named
/// `record_name` holding `record_value`, checked by `POST /branding/domain/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DomainVerification {
    pub status: VerificationStatus,
    /// `_mspdesk-challenge.<custom domain>`.
    pub record_name: String,
    /// The token to publish; the same for this client and domain every time.
    pub record_value: String,
    /// When the record was last looked up (null before the first check).
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the check failed: what was looked up and what was found. Beside `verified`: the
    /// last check could not reach DNS, and the domain stays verified.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The name of the TXT record that proves control of `domain`.
#[must_use]
pub fn challenge_record_name(domain: &str) -> String {
    format!("{CHALLENGE_LABEL}.{domain}")
}

/// The label prepended to a custom domain to name its challenge record.
pub const CHALLENGE_LABEL: &str = "_mspdesk-challenge";

/// A branding value that is accepted but worth a second look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrandingWarning {
    /// The field it is about, e.g. `primary_color`.
    pub field: String,
    pub message: String,
    /// The measured value (for contrast: the WCAG contrast ratio).
    pub ratio: f64,
    /// A value that would pass, when there is one.
    pub suggestion: Option<String>,
}

/// `PUT /branding`: the whole branding; null or absent clears a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct UpdateBranding {
    #[serde(default)]
    pub company_name: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub favicon_url: Option<String>,
    #[serde(default)]
    pub primary_color: Option<String>,
    #[serde(default)]
    pub secondary_color: Option<String>,
    #[serde(default)]
    pub accent_color: Option<String>,
    #[serde(default)]
    pub custom_domain: Option<String>,
    #[serde(default)]
    pub custom_css: Option<String>,
}

pub use mspdesk_domain::{ASSET_PATH_PREFIX, CUSTOM_CSS_MAX_BYTES};

/// The SHA-256 of an uploaded image's bytes, as 64 hex digits: what [`asset_path`] takes.
#[must_use]
pub fn asset_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The public path of an uploaded image; `v` changes with the content, so caches refresh.
#[must_use]
pub fn asset_path(tenant: TenantId, kind: mspdesk_domain::AssetKind, sha256: &str) -> String {
    let v: String = sha256.chars().take(12).collect();
    format!("{ASSET_PATH_PREFIX}{tenant}/{kind}?v={v}")
}

/// A logo or favicon: an https URL elsewhere, or the image uploaded to this server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Url(HttpsUrl),
    /// The tenant's uploaded image of this kind (the server fills in its path).
    Uploaded,
}

/// The refusal of a logo or favicon given as [`ImageRef::Uploaded`] when there is no upload of
/// that kind: the server checks its store, the desk its synced copy and the files it will upload
/// first, and both answer with this.
#[must_use]
pub fn no_upload_error(kind: mspdesk_domain::AssetKind) -> crate::problem::FieldError {
    crate::problem::FieldError::new(
        format!("{kind}_url"),
        format!("points at an uploaded {kind}, but none is uploaded; upload one first"),
    )
}

/// Reads a stored or sent logo/favicon value: this server's upload path, or an https URL.
pub fn image_ref(s: &str) -> Result<ImageRef, mspdesk_domain::HttpsUrlError> {
    if s.starts_with(ASSET_PATH_PREFIX) {
        Ok(ImageRef::Uploaded)
    } else {
        HttpsUrl::parse(s).map(ImageRef::Url)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewBranding {
    pub company_name: Option<CompanyName>,
    pub logo_url: Option<ImageRef>,
    pub favicon_url: Option<ImageRef>,
    pub primary_color: Option<HexColor>,
    pub secondary_color: Option<HexColor>,
    pub accent_color: Option<HexColor>,
    pub custom_domain: Option<mspdesk_domain::DomainName>,
    pub custom_css: Option<SafeCss>,
}

impl UpdateBranding {
    /// Checks every field for the client `tenant` (whose own uploaded images the custom CSS may
    /// name). The server and the desk both call this, so a draft is refused offline with the
    /// server's message.
    pub fn validate(&self, tenant: TenantId) -> Result<NewBranding, Vec<FieldError>> {
        let mut f = Fields::default();
        let company_name = f.check(
            "company_name",
            optional(self.company_name.as_deref(), CompanyName::parse),
        );
        let logo_url = f.check("logo_url", optional(self.logo_url.as_deref(), image_ref));
        let favicon_url = f.check(
            "favicon_url",
            optional(self.favicon_url.as_deref(), image_ref),
        );
        let mut color = |field: &str, v: &Option<String>| {
            f.check(field, optional(v.as_deref(), HexColor::parse))
        };
        let primary_color = color("primary_color", &self.primary_color);
        let secondary_color = color("secondary_color", &self.secondary_color);
        let accent_color = color("accent_color", &self.accent_color);
        let custom_domain = f.check(
            "custom_domain",
            optional(
                self.custom_domain.as_deref(),
                mspdesk_domain::DomainName::parse,
            ),
        );
        // The stored sheet is the sanitiser's output (scoped, re-serialised), never the input.
        let custom_css = f
            .check(
                "custom_css",
                optional(self.custom_css.as_deref(), |css| sanitize_css(css, tenant)),
            )
            .map(|css| css.filter(|c| !c.as_str().trim().is_empty()));
        f.finish(|| {
            Some(NewBranding {
                company_name: company_name?,
                logo_url: logo_url?,
                favicon_url: favicon_url?,
                primary_color: primary_color?,
                secondary_color: secondary_color?,
                accent_color: accent_color?,
                custom_domain: custom_domain?,
                custom_css: custom_css?,
            })
        })
    }
}

/// The contrast warnings for brand colours (white portal text on each; WCAG AA), as they go on
/// the wire. `GET`/`PUT /branding` and the desk's check both use this.
#[must_use]
pub fn branding_warnings(
    primary: Option<HexColor>,
    secondary: Option<HexColor>,
    accent: Option<HexColor>,
) -> Vec<BrandingWarning> {
    mspdesk_domain::brand_contrast_warnings(primary, secondary, accent)
        .into_iter()
        .map(|w| BrandingWarning {
            field: w.field,
            message: w.message,
            ratio: w.ratio,
            suggestion: w.suggestion.map(|c| c.to_string()),
        })
        .collect()
}

impl Branding {
    /// Fills `warnings` from the stored colours.
    #[must_use]
    pub fn with_warnings(mut self) -> Self {
        let color = |v: &Option<String>| v.as_deref().and_then(|c| HexColor::parse(c).ok());
        self.warnings = branding_warnings(
            color(&self.primary_color),
            color(&self.secondary_color),
            color(&self.accent_color),
        );
        self
    }
}
