//! The pages: each a template struct and a render function taking the head, the brand and
//! the page's own values.

use askama::Template;

use crate::{Brand, Head, RenderError, Styles};

/// The sign-in form's state.
#[derive(Debug, Clone, Default)]
pub struct SignInForm<'a> {
    /// Where the form posts (`#` in a preview: the frame's policy sends it nowhere).
    pub action: &'a str,
    pub email: &'a str,
    pub csrf_token: Option<&'a str>,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignIn<'a> {
    head: &'a Head<'a>,
    brand: &'a Brand<'a>,
    action: &'a str,
    email: &'a str,
    csrf_token: Option<&'a str>,
    error: Option<&'a str>,
}

/// The portal's sign-in page.
pub fn sign_in_page(
    head: &Head<'_>,
    brand: &Brand<'_>,
    form: &SignInForm<'_>,
) -> Result<String, RenderError> {
    Ok(SignIn {
        head,
        brand,
        action: form.action,
        email: form.email,
        csrf_token: form.csrf_token,
        error: form.error,
    }
    .render()?)
}

/// The set-password form an invitation link opens.
#[derive(Debug, Clone, Default)]
pub struct SetPasswordForm<'a> {
    pub action: &'a str,
    /// The invited user's e-mail (shown, and given to password managers).
    pub email: &'a str,
    pub csrf_token: &'a str,
    pub error: Option<&'a str>,
    /// The shortest password accepted, for the hint under the field.
    pub min_length: usize,
}

#[derive(Template)]
#[template(path = "set_password.html")]
struct SetPassword<'a> {
    head: &'a Head<'a>,
    brand: &'a Brand<'a>,
    form: &'a SetPasswordForm<'a>,
}

/// The page an invitation link opens: choose a password.
pub fn set_password_page(
    head: &Head<'_>,
    brand: &Brand<'_>,
    form: &SetPasswordForm<'_>,
) -> Result<String, RenderError> {
    Ok(SetPassword { head, brand, form }.render()?)
}

/// How close a usage figure is to its limit (the domain's compliance rule decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeterState {
    #[default]
    Ok,
    Approaching,
    Over,
}

impl MeterState {
    fn class(self) -> &'static str {
        match self {
            MeterState::Ok => "ok",
            MeterState::Approaching => "approaching",
            MeterState::Over => "over",
        }
    }
}

/// One usage figure against its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    pub label: String,
    pub used: u64,
    /// `None`: no limit.
    pub limit: Option<u32>,
    /// Appended to the figures (`GB`), or empty.
    pub unit: &'static str,
    pub state: MeterState,
}

/// The bar's fill is drawn in steps of 5 % by classes (`portal-fill-0` to `portal-fill-20`):
/// the policy allows no `style` attribute.
const FILL_STEPS: u64 = 20;

impl Meter {
    /// The fill step, 0 to 20, rounded up so any use shows.
    fn fill(&self) -> u64 {
        match self.limit {
            None => 0,
            Some(0) if self.used > 0 => FILL_STEPS,
            Some(0) => 0,
            Some(limit) => {
                let limit = u64::from(limit);
                (self.used.saturating_mul(FILL_STEPS))
                    .div_ceil(limit)
                    .min(FILL_STEPS)
            }
        }
    }

    fn figures(&self) -> String {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        match self.limit {
            Some(limit) => format!("{} of {limit}{unit}", self.used),
            None => format!("{}{unit}", self.used),
        }
    }

    fn note(&self) -> &'static str {
        match (self.limit, self.state) {
            (None, _) => "No limit",
            (Some(_), MeterState::Over) => "Over the limit",
            (Some(_), MeterState::Approaching) => "Close to the limit",
            (Some(_), MeterState::Ok) => "Within the limit",
        }
    }
}

/// A server of the client, with its apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    pub name: String,
    /// Provider and type, e.g. `Hetzner · cx22`.
    pub kind: String,
    pub region: Option<String>,
    pub storage_gb: u32,
    /// The names of the apps installed on it.
    pub apps: Vec<String>,
}

/// An app the client's catalog allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppEntry {
    pub name: String,
    pub category: String,
}

/// The overview of a signed-in user's client.
#[derive(Debug, Clone)]
pub struct Overview<'a> {
    pub user_name: &'a str,
    pub user_email: &'a str,
    /// Where the sign-out form posts.
    pub sign_out_action: &'a str,
    pub csrf_token: &'a str,
    pub usage: Vec<Meter>,
    pub servers: Vec<ServerRow>,
    /// The catalog is the whole library (new apps included), not a chosen list.
    pub catalog_is_all: bool,
    pub allowed_apps: Vec<AppEntry>,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage<'a> {
    head: &'a Head<'a>,
    brand: &'a Brand<'a>,
    o: &'a Overview<'a>,
}

/// The signed-in user's overview: usage against quotas, servers with their apps, the apps the
/// catalog allows.
pub fn overview_page(
    head: &Head<'_>,
    brand: &Brand<'_>,
    overview: &Overview<'_>,
) -> Result<String, RenderError> {
    Ok(OverviewPage {
        head,
        brand,
        o: overview,
    }
    .render()?)
}

/// A page that only says something: not found, an expired link, too many attempts, a failure.
#[derive(Debug, Clone, Default)]
pub struct Message<'a> {
    /// The page's title and heading.
    pub title: &'a str,
    pub text: &'a str,
    /// A link onwards: (href, label).
    pub link: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    head: &'a Head<'a>,
    brand: &'a Brand<'a>,
    m: &'a Message<'a>,
}

/// A page with a title, a sentence and perhaps a link.
pub fn message_page(
    head: &Head<'_>,
    brand: &Brand<'_>,
    message: &Message<'_>,
) -> Result<String, RenderError> {
    Ok(MessagePage {
        head,
        brand,
        m: message,
    }
    .render()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Theme, BASE_CSS};

    fn linked() -> Head<'static> {
        Head {
            csp_meta: None,
            styles: Styles::Linked {
                base_href: "/portal/static/portal.css",
                brand_href: Some("/portal/t/branding.css"),
            },
            theme: Theme::Auto,
        }
    }

    fn meter(used: u64, limit: Option<u32>) -> Meter {
        Meter {
            label: "Servers".into(),
            used,
            limit,
            unit: "",
            state: MeterState::Ok,
        }
    }

    #[test]
    fn meter_fill_rounds_up_and_caps() {
        assert_eq!(meter(0, Some(5)).fill(), 0);
        assert_eq!(meter(1, Some(5)).fill(), 4);
        assert_eq!(meter(1, Some(1000)).fill(), 1, "any use shows");
        assert_eq!(meter(5, Some(5)).fill(), 20);
        assert_eq!(meter(9, Some(5)).fill(), 20, "over the limit stays full");
        assert_eq!(meter(3, None).fill(), 0);
        assert_eq!(meter(0, Some(0)).fill(), 0);
        assert_eq!(meter(1, Some(0)).fill(), 20);
        assert_eq!(meter(u64::MAX, Some(3)).fill(), 20);
    }

    #[test]
    fn every_fill_step_has_a_class_in_the_sheet() {
        for step in 0..=FILL_STEPS {
            assert!(
                BASE_CSS.contains(&format!(".portal-fill-{step} ")),
                "portal-fill-{step}"
            );
        }
    }

    #[test]
    fn overview_shows_usage_servers_and_catalog_escaped() {
        let o = Overview {
            user_name: "Alice <b>",
            user_email: "alice@a.example",
            sign_out_action: "/portal/t/sign-out",
            csrf_token: "csrf-1",
            usage: vec![
                Meter {
                    state: MeterState::Approaching,
                    ..meter(4, Some(5))
                },
                Meter {
                    label: "Storage".into(),
                    unit: "GB",
                    ..meter(120, None)
                },
            ],
            servers: vec![ServerRow {
                name: "web-1 <script>".into(),
                kind: "Hetzner · cx22".into(),
                region: Some("fsn1".into()),
                storage_gb: 40,
                apps: vec!["Nextcloud".into(), "Gitea".into()],
            }],
            catalog_is_all: false,
            allowed_apps: vec![AppEntry {
                name: "Nextcloud".into(),
                category: "Files".into(),
            }],
        };
        let html = overview_page(&linked(), &crate::Brand::plain("Acme"), &o).expect("renders");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("4 of 5"), "{html}");
        assert!(html.contains("portal-fill-16"), "{html}");
        assert!(html.contains("portal-meter-approaching"), "{html}");
        assert!(html.contains("120 GB"), "{html}");
        assert!(html.contains("No limit"), "{html}");
        assert!(html.contains("Nextcloud") && html.contains("Gitea"));
        assert!(html.contains("fsn1"));
        assert!(html.contains("action=\"/portal/t/sign-out\""));
        assert!(html.contains("name=\"csrf\" value=\"csrf-1\""));
        assert!(!html.contains("style="), "no inline style: {html}");
    }

    #[test]
    fn set_password_and_message_pages_render() {
        let html = set_password_page(
            &linked(),
            &crate::Brand::plain("Acme"),
            &SetPasswordForm {
                action: "/portal/t/invitation/abc",
                email: "bob@a.example",
                csrf_token: "c",
                error: Some("Too short."),
                min_length: 12,
            },
        )
        .expect("renders");
        assert!(html.contains("bob@a.example"));
        assert!(html.contains("Too short."));
        assert!(html.contains("minlength=\"12\""));
        assert!(html.contains("autocomplete=\"new-password\""));
        let html = message_page(
            &linked(),
            &crate::Brand::plain("Acme"),
            &Message {
                title: "Link expired",
                text: "Ask for a new one.",
                link: Some(("/portal/t", "Sign in")),
            },
        )
        .expect("renders");
        assert!(html.contains("<h1 class=\"portal-title\">Link expired</h1>"));
        assert!(html.contains("href=\"/portal/t\""));
    }
}
