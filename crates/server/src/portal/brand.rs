//! A client's brand as its pages need it: colours, images and the stylesheet's address.

use mspdesk_api::types::{Branding, Client};
use mspdesk_domain::{sanitize_css, HexColor, HttpsUrl};
use mspdesk_portal::{Brand, SafeCss, DEFAULT_ACCENT, DEFAULT_PRIMARY, DEFAULT_SECONDARY};

use super::content_security_policy;
use crate::db::TenantTx;
use crate::error::AppResult;
use crate::store::{branding, clients};

/// Where the base stylesheet is served.
pub(super) const BASE_CSS_PATH: &str = "/portal/static/portal.css";

/// A client's branding, resolved for its pages (owned; [`Branded::brand`] lends it out).
#[derive(Debug)]
pub(super) struct Branded {
    company: String,
    logo: Option<String>,
    favicon: Option<String>,
    primary: HexColor,
    secondary: HexColor,
    accent: HexColor,
    css: Option<SafeCss>,
}

/// An image location as stored: a path on this server (an upload) or an https URL. Anything
/// else is dropped.
pub(super) fn image(stored: Option<&str>) -> Option<String> {
    let s = stored?;
    if s.starts_with(mspdesk_api::types::ASSET_PATH_PREFIX) || HttpsUrl::parse(s).is_ok() {
        Some(s.to_owned())
    } else {
        None
    }
}

impl Branded {
    pub(super) fn of(client: &Client, b: &Branding) -> Self {
        let colour = |v: &Option<String>, default: HexColor| {
            v.as_deref()
                .and_then(|c| HexColor::parse(c).ok())
                .unwrap_or(default)
        };
        Self {
            company: b
                .company_name
                .clone()
                .unwrap_or_else(|| client.company_name.clone()),
            logo: image(b.logo_url.as_deref()),
            favicon: image(b.favicon_url.as_deref()),
            primary: colour(&b.primary_color, DEFAULT_PRIMARY),
            secondary: colour(&b.secondary_color, DEFAULT_SECONDARY),
            accent: colour(&b.accent_color, DEFAULT_ACCENT),
            // Pages link the sheet rather than embed it: only `branding.css` needs the CSS.
            css: None,
        }
    }

    /// With the client's custom CSS, for the brand's own sheet. Stored sheets are the
    /// sanitiser's output already; checking them again costs little there (the sheet is served
    /// with an ETag) and keeps a row written by other means out.
    pub(super) fn with_css(mut self, client: &Client, b: &Branding) -> Self {
        self.css = b.custom_css.as_deref().and_then(|css| {
            sanitize_css(css, client.id.into())
                .inspect_err(|e| tracing::warn!(client = %client.id, error = %e, "stored custom CSS no longer passes the sanitiser; serving none"))
                .ok()
        });
        self
    }

    /// A neutral brand for pages of no known client.
    pub(super) fn neutral() -> Self {
        Self {
            company: "Client portal".to_owned(),
            logo: None,
            favicon: None,
            primary: DEFAULT_PRIMARY,
            secondary: DEFAULT_SECONDARY,
            accent: DEFAULT_ACCENT,
            css: None,
        }
    }

    pub(super) fn brand(&self) -> Brand<'_> {
        Brand {
            company_name: &self.company,
            logo_src: self.logo.clone(),
            favicon_src: self.favicon.clone(),
            primary: self.primary,
            secondary: self.secondary,
            accent: self.accent,
            custom_css: self.css.as_ref(),
        }
    }

    /// The page policy: images also from the logo's and favicon's origins when they are https
    /// URLs elsewhere.
    pub(super) fn csp(&self) -> String {
        let origins: Vec<String> = [&self.logo, &self.favicon]
            .into_iter()
            .flatten()
            .filter_map(|src| HttpsUrl::parse(src).ok())
            .map(|u| u.origin())
            .collect();
        content_security_policy(&origins)
    }
}

/// The client whose tenant the transaction is in, and its brand for pages, without the custom
/// CSS (404 for a tenant that is not a client).
pub(super) async fn load(tx: &mut TenantTx) -> AppResult<(Client, Branded)> {
    let (client, b) = load_branding(tx).await?;
    let brand = Branded::of(&client, &b);
    Ok((client, brand))
}

pub(super) async fn load_branding(tx: &mut TenantTx) -> AppResult<(Client, Branding)> {
    let client = clients::own(tx).await?;
    let b = branding::get(tx).await?;
    Ok((client, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_paths_and_https_urls_are_images() {
        assert_eq!(image(Some("javascript:alert(1)")), None);
        assert_eq!(image(Some("http://plain.example/x.png")), None);
        assert_eq!(
            image(Some("https://cdn.example/x.png")).as_deref(),
            Some("https://cdn.example/x.png")
        );
        assert!(image(Some("/api/v1/public/assets/t/logo?v=1")).is_some());
        assert_eq!(image(None), None);
    }
}
