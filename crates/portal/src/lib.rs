//! The client portal's pages, from one set of templates (`templates/`) and one stylesheet
//! (`assets/portal.css`).
//!
//! Two callers render them: the Control Panel, for a client's users (stylesheets linked, the
//! policy in a response header), and the desk, for the Branding tab's live preview (everything
//! inline, images as `data:` URLs, the policy in a `<meta>` element). Both go through
//! [`sign_in_page`], so what an MSP previews is what the client's users get.
//!
//! Every value that reaches a page is either escaped by the template engine or of a type that
//! is safe by construction: colours are [`HexColor`]s and custom CSS is a [`SafeCss`], the
//! output of the domain's sanitiser, which never contains `<`.
//!
//! The server's pages carry no inline style at all (its policy is `style-src 'self'`): the
//! brand's colours arrive in the brand's own stylesheet ([`Brand::sheet`], served as
//! `/portal/{tenant}/branding.css`), and meters are drawn with classes, not `style`
//! attributes.

mod pages;

use mspdesk_domain::HexColor;
pub use mspdesk_domain::SafeCss;
pub use pages::{
    message_page, overview_page, set_password_page, sign_in_page, AppEntry, Message, Meter,
    MeterState, Overview, ServerRow, SetPasswordForm, SignInForm,
};

/// The portal's base stylesheet.
pub const BASE_CSS: &str = include_str!("../assets/portal.css");

/// The policy of a preview: nothing may load from anywhere, styles only inline, images only as
/// `data:` URLs, forms go nowhere.
pub const PREVIEW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     font-src 'none'; form-action 'none'; base-uri 'none'";

/// The colours a client without branding gets (each passes WCAG AA under white text). The
/// base stylesheet declares the same values, so a page without a brand sheet looks the same.
pub const DEFAULT_PRIMARY: HexColor = HexColor::from_rgb(0x1C, 0x5D, 0xB8);
/// See [`DEFAULT_PRIMARY`].
pub const DEFAULT_SECONDARY: HexColor = HexColor::from_rgb(0x24, 0x34, 0x47);
/// See [`DEFAULT_PRIMARY`].
pub const DEFAULT_ACCENT: HexColor = HexColor::from_rgb(0x0E, 0x7C, 0x66);

/// What the portal needs to know about a client's branding, resolved for one rendering.
#[derive(Debug, Clone)]
pub struct Brand<'a> {
    /// Shown in the header (when there is no logo), the title and the footer.
    pub company_name: &'a str,
    /// Where the page loads the logo from: a path on the server, an https URL, or a `data:` URL.
    pub logo_src: Option<String>,
    /// Like `logo_src`, for the favicon.
    pub favicon_src: Option<String>,
    pub primary: HexColor,
    pub secondary: HexColor,
    pub accent: HexColor,
    /// The client's sanitised CSS, scoped under the portal's root element.
    pub custom_css: Option<&'a SafeCss>,
}

impl<'a> Brand<'a> {
    /// A brand with the default colours and no images or CSS.
    #[must_use]
    pub fn plain(company_name: &'a str) -> Self {
        Self {
            company_name,
            logo_src: None,
            favicon_src: None,
            primary: DEFAULT_PRIMARY,
            secondary: DEFAULT_SECONDARY,
            accent: DEFAULT_ACCENT,
            custom_css: None,
        }
    }

    /// The rule that sets the brand's colours as custom properties on the portal's root.
    #[must_use]
    pub fn colour_rule(&self) -> String {
        format!(
            ".mspdesk-portal{{--brand-primary:{};--brand-secondary:{};--brand-accent:{}}}",
            self.primary, self.secondary, self.accent
        )
    }

    /// The brand's stylesheet: [`Brand::colour_rule`], then the client's sanitised CSS. The
    /// server serves it as `/portal/{tenant}/branding.css`; a preview inlines the same parts.
    #[must_use]
    pub fn sheet(&self) -> String {
        let mut sheet = self.colour_rule();
        sheet.push('\n');
        if let Some(css) = self.custom_css {
            sheet.push_str(css.as_str());
            sheet.push('\n');
        }
        sheet
    }
}

/// Light or dark: `Auto` follows the reader's system setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    fn class(self) -> &'static str {
        match self {
            Theme::Auto => "",
            Theme::Light => " theme-light",
            Theme::Dark => " theme-dark",
        }
    }
}

/// How a page gets its stylesheets.
#[derive(Debug, Clone)]
pub enum Styles<'a> {
    /// Inline `<style>` elements (the preview: a sandboxed frame loads nothing): the base
    /// sheet, the brand's colours, the client's CSS.
    Inline(&'a str),
    /// `<link>`s to the server's copies (the portal: cacheable, and no `'unsafe-inline'`): the
    /// base sheet, then the brand's sheet (colours and the client's CSS), if the page has a
    /// brand (a page for an unknown client has none, and shows the default colours).
    Linked {
        base_href: &'a str,
        brand_href: Option<&'a str>,
    },
}

/// Everything in a page's `<head>` that is not branding.
#[derive(Debug, Clone)]
pub struct Head<'a> {
    /// A `Content-Security-Policy` for a `<meta>` element (the preview); the server sends its
    /// policy as a header instead.
    pub csp_meta: Option<&'a str>,
    pub styles: Styles<'a>,
    pub theme: Theme,
}

impl Head<'_> {
    /// The head of a preview: inline styles and [`PREVIEW_CSP`].
    #[must_use]
    pub fn preview(theme: Theme) -> Self {
        Self {
            csp_meta: Some(PREVIEW_CSP),
            styles: Styles::Inline(BASE_CSS),
            theme,
        }
    }
}

/// The template engine failed (a bug, not bad input: every input type renders).
#[derive(Debug, thiserror::Error)]
#[error("rendering the portal page: {0}")]
pub struct RenderError(#[from] askama::Error);

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(css: &str) -> SafeCss {
        mspdesk_domain::sanitize_css(css, mspdesk_domain::TenantId::new())
            .expect("a legitimate sheet")
    }

    fn brand(name: &str) -> Brand<'_> {
        Brand::plain(name)
    }

    #[test]
    fn preview_is_self_contained_and_escaped() {
        let b = Brand {
            logo_src: Some("data:image/png;base64,iVBORw0KGgo=".into()),
            ..brand("Acme <script>alert(1)</script> & Co")
        };
        let html = sign_in_page(
            &Head::preview(Theme::Dark),
            &b,
            &SignInForm {
                action: "#",
                ..SignInForm::default()
            },
        )
        .expect("renders");
        // Quotes in attributes come out as entities, which the browser decodes.
        let csp = PREVIEW_CSP.replace('\'', "&#39;");
        assert!(
            html.contains(&format!(
                "http-equiv=\"Content-Security-Policy\" content=\"{csp}\""
            )),
            "{html}"
        );
        assert!(
            html.contains("Acme &#60;script&#62;") || html.contains("Acme &lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("class=\"mspdesk-portal theme-dark\""));
        assert!(html.contains("--brand-primary:#1C5DB8"));
        assert!(html.contains("src=\"data:image/png;base64,iVBORw0KGgo=\""));
        assert!(html.contains(".portal-card"), "the base sheet is inline");
        assert!(!html.contains("<link rel=\"stylesheet\""));
    }

    #[test]
    fn portal_links_its_sheets_and_keeps_the_form() {
        let css = safe(".mspdesk-portal .portal-title { font-size: 30px }");
        let b = Brand {
            custom_css: Some(&css),
            primary: HexColor::from_rgb(0xAB, 0x12, 0x34),
            ..brand("Acme")
        };
        let head = Head {
            csp_meta: None,
            styles: Styles::Linked {
                base_href: "/portal/static/portal.css",
                brand_href: Some("/portal/x/branding.css"),
            },
            theme: Theme::Auto,
        };
        let html = sign_in_page(
            &head,
            &b,
            &SignInForm {
                action: "/portal/x/sign-in",
                email: "a@b.example",
                csrf_token: Some("tok\"en"),
                error: Some("Wrong e-mail or password."),
            },
        )
        .expect("renders");
        assert!(!html.contains("Content-Security-Policy"));
        assert!(html.contains("href=\"/portal/x/branding.css\""));
        assert!(!html.contains("font-size: 30px"), "linked, not inline");
        assert!(
            !html.contains("<style") && !html.contains("style="),
            "a strict policy allows no inline style: {html}"
        );
        assert!(
            !html.contains("#AB1234"),
            "colours come from the brand sheet"
        );
        assert!(html.contains("action=\"/portal/x/sign-in\""));
        assert!(
            html.contains("value=\"tok&#34;en\"") || html.contains("value=\"tok&quot;en\""),
            "{html}"
        );
        assert!(html.contains("Wrong e-mail or password."));
        assert!(html.contains("class=\"mspdesk-portal\""));
    }

    #[test]
    fn inline_custom_css_follows_the_base_sheet() {
        let css = safe(".mspdesk-portal .portal-title > span { color: red }");
        let b = Brand {
            custom_css: Some(&css),
            ..brand("Acme")
        };
        let html = sign_in_page(&Head::preview(Theme::Light), &b, &SignInForm::default())
            .expect("renders");
        let base = html.find(".portal-card").expect("base sheet");
        let colours = html.find("{--brand-primary:#").expect("colour rule");
        let custom = html
            .find("portal-title > span")
            .expect("custom sheet, unescaped");
        assert!(base < colours && colours < custom);
    }

    #[test]
    fn brand_sheet_holds_the_colours_then_the_custom_css() {
        let css = safe(".mspdesk-portal .portal-footer{display:none}");
        let b = Brand {
            secondary: HexColor::from_rgb(0x01, 0x02, 0x03),
            custom_css: Some(&css),
            ..brand("Acme")
        };
        assert_eq!(
            css.as_str(),
            ".mspdesk-portal .portal-footer {\n  display: none;\n}\n"
        );
        assert_eq!(
            b.sheet(),
            format!(
                ".mspdesk-portal{{--brand-primary:#1C5DB8;--brand-secondary:#010203;--brand-accent:#0E7C66}}\n{}\n",
                css.as_str()
            )
        );
        assert_eq!(
            brand("Plain").sheet(),
            ".mspdesk-portal{--brand-primary:#1C5DB8;--brand-secondary:#243447;--brand-accent:#0E7C66}\n"
        );
    }

    #[test]
    fn the_base_sheet_declares_the_default_colours() {
        // A page without a brand sheet (an unknown client's 404) still has its colours.
        let css = BASE_CSS.to_ascii_uppercase();
        for (name, colour) in [
            ("--BRAND-PRIMARY", DEFAULT_PRIMARY),
            ("--BRAND-SECONDARY", DEFAULT_SECONDARY),
            ("--BRAND-ACCENT", DEFAULT_ACCENT),
        ] {
            assert!(
                css.contains(&format!("{name}: {colour};")),
                "{name} {colour} missing from portal.css"
            );
        }
    }
}
