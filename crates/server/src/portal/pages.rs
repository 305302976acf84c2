//! The portal's handlers. Each resolves the [`Site`] (tenant and host), works in the client's
//! tenant transaction, and answers with a page; failures are pages too, never JSON.

use std::sync::LazyLock;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_api::types::{Branding, Client};
use mspdesk_domain::{
    check_new_password, sanitize_css, CatalogMode, Compliance, HexColor, HttpsUrl, QuotaKind,
    TenantId, Usage, PASSWORD_MIN_CHARS, TEMPLATES,
};
use mspdesk_portal::{
    message_page, overview_page, set_password_page, sign_in_page, AppEntry, Brand, Head, Message,
    Meter, MeterState, Overview, SafeCss, ServerRow, SetPasswordForm, SignInForm, Styles, Theme,
    BASE_CSS, DEFAULT_ACCENT, DEFAULT_PRIMARY, DEFAULT_SECONDARY,
};
use secrecy::SecretString;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cookies::{self, Life};
use super::{content_security_policy, resolve_host, unknown_host, HostKind, Site};
use crate::auth::{attempt_sign_in, hash_password, password_work, SignInAttempt};
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::extract::PeerIp;
use crate::store::audit::{self, Action};
use crate::store::portal::{self as accounts, new_token, tokens_match, Invitation};
use crate::store::throttle::{self, PORTAL_ACCOUNT, PORTAL_ADDRESS};
use crate::store::{apps, branding, catalog, clients, servers};
use crate::AppState;

/// Where the base stylesheet is served.
const BASE_CSS_PATH: &str = "/portal/static/portal.css";

// ---------------------------------------------------------------------------------------------
// The brand of a page

/// A client's branding, resolved for its pages (owned; [`Branded::brand`] lends it out).
#[derive(Debug)]
struct Branded {
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
fn image(stored: Option<&str>) -> Option<String> {
    let s = stored?;
    if s.starts_with(mspdesk_api::types::ASSET_PATH_PREFIX) || HttpsUrl::parse(s).is_ok() {
        Some(s.to_owned())
    } else {
        None
    }
}

impl Branded {
    fn of(client: &Client, b: &Branding) -> Self {
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
    fn with_css(mut self, client: &Client, b: &Branding) -> Self {
        self.css = b.custom_css.as_deref().and_then(|css| {
            sanitize_css(css, client.id.into())
                .inspect_err(|e| tracing::warn!(client = %client.id, error = %e, "stored custom CSS no longer passes the sanitiser; serving none"))
                .ok()
        });
        self
    }

    /// A neutral brand for pages of no known client.
    fn neutral() -> Self {
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

    fn brand(&self) -> Brand<'_> {
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
    fn csp(&self) -> String {
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
async fn load(tx: &mut TenantTx) -> AppResult<(Client, Branded)> {
    let (client, b) = load_branding(tx).await?;
    let brand = Branded::of(&client, &b);
    Ok((client, brand))
}

async fn load_branding(tx: &mut TenantTx) -> AppResult<(Client, Branding)> {
    let client = clients::own(tx).await?;
    let b = branding::get(tx).await?;
    Ok((client, b))
}

// ---------------------------------------------------------------------------------------------
// Responses

fn head<'a>(brand_href: Option<&'a str>) -> Head<'a> {
    Head {
        csp_meta: None,
        styles: Styles::Linked {
            base_href: BASE_CSS_PATH,
            brand_href,
        },
        theme: Theme::Auto,
    }
}

fn html(status: StatusCode, body: String, csp: &str) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

fn rendered(r: Result<String, mspdesk_portal::RenderError>) -> AppResult<String> {
    r.map_err(|e| AppError::Internal(e.to_string()))
}

fn add_cookie(response: &mut Response, value: HeaderValue) {
    response.headers_mut().append(header::SET_COOKIE, value);
}

/// A page of `site` in `brand`, rendered by `render`: the base sheet and the brand's own sheet
/// linked, the brand's policy.
fn page(
    site: &Site,
    brand: &Branded,
    status: StatusCode,
    render: impl FnOnce(&Head<'_>, &Brand<'_>) -> Result<String, mspdesk_portal::RenderError>,
) -> AppResult<Response> {
    let sheet = site.path("branding.css");
    let body = rendered(render(&head(Some(&sheet)), &brand.brand()))?;
    Ok(html(status, body, &brand.csp()))
}

/// A page that says something, in the client's brand.
fn message(
    site: &Site,
    brand: &Branded,
    status: StatusCode,
    title: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> AppResult<Response> {
    page(site, brand, status, |head, brand| {
        message_page(head, brand, &Message { title, text, link })
    })
}

/// A failure as a page: 404 for what does not exist (or is another tenant's), 500 otherwise
/// (logged, details never shown).
fn failure(e: AppError) -> Response {
    let (status, title, text) = match e {
        AppError::NotFound | AppError::NoRoute => (
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address. Check the link you were given.",
        ),
        other => {
            if !matches!(other, AppError::Internal(_)) {
                tracing::warn!(error = %other, "portal request failed");
            }
            // Logs internal errors with their details.
            let _ = other.into_response();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not answer just now. Try again in a moment.",
            )
        }
    };
    let neutral = Branded::neutral();
    let body = message_page(
        &head(None),
        &neutral.brand(),
        &Message {
            title,
            text,
            link: None,
        },
    )
    .unwrap_or_else(|_| title.to_owned());
    html(status, body, &neutral.csp())
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// The answer to a successful sign-in (or a password set): the session cookie, the form
/// cookie gone, and on to the overview.
fn signed_in(state: &AppState, site: &Site, token: &str) -> Response {
    let mut response = see_other(&site.home());
    let secure = state.secure_cookies;
    add_cookie(
        &mut response,
        cookies::set(site, secure, cookies::SESSION, token, Life::Session),
    );
    add_cookie(
        &mut response,
        cookies::set(site, secure, cookies::FORM, "", Life::Gone),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// Hosts and sites

/// The site of a `/portal/{tenant}/...` request. On a custom domain, only that domain's
/// client is served there.
async fn site(state: &AppState, tenant: &str, headers: &HeaderMap) -> AppResult<Site> {
    let tenant: TenantId = tenant.parse().map_err(|_| AppError::NotFound)?;
    match resolve_host(state, headers).await? {
        HostKind::ControlPanel => Ok(Site {
            tenant,
            custom_host: false,
        }),
        HostKind::Custom(owner) if owner == tenant => Ok(Site {
            tenant,
            custom_host: true,
        }),
        HostKind::Custom(_) | HostKind::Unknown => Err(AppError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

/// `GET /`: a client's portal on its verified custom domain; the Control Panel's own host
/// answers as before (no such route); any other host gets a plain 404.
#[tracing::instrument(skip_all)]
pub async fn root(
    State(state): State<AppState>,
    kind: Option<axum::Extension<HostKind>>,
    headers: HeaderMap,
) -> Response {
    let kind = match kind {
        Some(axum::Extension(kind)) => Ok(kind),
        None => resolve_host(&state, &headers).await,
    };
    match kind {
        Ok(HostKind::Custom(tenant)) => {
            let site = Site {
                tenant,
                custom_host: true,
            };
            show_home(&state, site, &headers)
                .await
                .unwrap_or_else(failure)
        }
        Ok(HostKind::ControlPanel) => AppError::NoRoute.into_response(),
        Ok(HostKind::Unknown) => unknown_host(),
        Err(e) => failure(e),
    }
}

/// `GET /portal/{tenant}`: the overview when signed in, else the sign-in form.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn home(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        show_home(&state, site, &headers).await
    }
    .await
    .unwrap_or_else(failure)
}

async fn show_home(state: &AppState, site: Site, headers: &HeaderMap) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
    let (client, brand) = load(&mut tx).await?;
    let session = match cookies::get(headers, cookies::SESSION) {
        Some(token) => accounts::session(&mut tx, &token).await?,
        None => None,
    };
    let Some(session) = session else {
        tx.commit().await?;
        return sign_in_form(state, &site, &brand, headers, StatusCode::OK, "", None);
    };
    let data = overview_data(&mut tx, &client).await?;
    tx.commit().await?;
    let sign_out = site.path("sign-out");
    page(&site, &brand, StatusCode::OK, |head, brand| {
        overview_page(
            head,
            brand,
            &Overview {
                user_name: &session.name,
                user_email: &session.email,
                sign_out_action: &sign_out,
                csrf_token: &session.csrf_token,
                usage: data.usage,
                servers: data.servers,
                catalog_is_all: data.catalog_is_all,
                allowed_apps: data.allowed_apps,
            },
        )
    })
}

/// The sign-in form, with a form cookie (kept if the browser has one) and any stale session
/// cookie removed.
fn sign_in_form(
    state: &AppState,
    site: &Site,
    brand: &Branded,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> AppResult<Response> {
    let token = cookies::get(headers, cookies::FORM).unwrap_or_else(new_token);
    let action = site.path("sign-in");
    let mut response = page(site, brand, status, |head, brand| {
        sign_in_page(
            head,
            brand,
            &SignInForm {
                action: &action,
                email,
                csrf_token: Some(&token),
                error,
            },
        )
    })?;
    let secure = state.secure_cookies;
    add_cookie(
        &mut response,
        cookies::set(site, secure, cookies::FORM, &token, Life::Browser),
    );
    if cookies::get(headers, cookies::SESSION).is_some() {
        add_cookie(
            &mut response,
            cookies::set(site, secure, cookies::SESSION, "", Life::Gone),
        );
    }
    Ok(response)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /portal/{tenant}/sign-in`: checks the form token, the throttle, then the password.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn sign_in(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    form: Result<Form<SignInBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
        let (_, brand) = load(&mut tx).await?;
        tx.commit().await?;
        let refuse = |status, email: &str, error: &str| {
            sign_in_form(&state, &site, &brand, &headers, status, email, Some(error))
        };
        let Ok(Form(body)) = form else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "",
                "The form could not be read; try again.",
            );
        };
        let email = body.email.trim();
        if !cookies::get(&headers, cookies::FORM).is_some_and(|c| tokens_match(&c, &body.csrf)) {
            return refuse(
                StatusCode::FORBIDDEN,
                email,
                "This form had expired. Please sign in again.",
            );
        }
        let account = format!("{}:{}", site.tenant, email.to_lowercase());
        let address = throttle::address_key(peer);
        let attempt = SignInAttempt {
            account: (PORTAL_ACCOUNT, &account),
            address: (PORTAL_ADDRESS, &address),
            password: SecretString::from(body.password),
        };
        let outcome = attempt_sign_in(
            &state,
            attempt,
            async || {
                let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
                let found = accounts::credentials(&mut tx, email).await?;
                tx.commit().await?;
                Ok(found)
            },
            // Audited in the client's tenant, with the user as the actor.
            async |&user_id| {
                let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
                audit::record(
                    &mut tx,
                    user_id,
                    Action::UserSignInFailed,
                    &user_id.to_string(),
                )
                .await?;
                tx.commit().await
            },
        )
        .await;
        let user_id = match outcome {
            Ok(Some(user_id)) => user_id,
            Ok(None) => {
                return refuse(StatusCode::UNAUTHORIZED, email, "Wrong e-mail or password.")
            }
            Err(AppError::TooManyRequests(wait)) => {
                let text = format!(
                    "Too many failed sign-ins. Try again in {}.",
                    throttle::describe_wait(wait)
                );
                let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, email, &text)?;
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, wait.into());
                return Ok(response);
            }
            Err(e) => return Err(e),
        };
        let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
        let (token, _) = accounts::start_session(&mut tx, user_id).await?;
        tx.commit().await?;
        tracing::info!(user = %user_id, "portal user signed in");
        Ok(signed_in(&state, &site, &token))
    }
    .await
    .unwrap_or_else(failure)
}

/// A signed-in form's only field.
#[derive(Deserialize)]
pub struct CsrfBody {
    #[serde(default)]
    csrf: String,
}

/// `POST /portal/{tenant}/sign-out`: ends the session (its form token must match).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn sign_out(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CsrfBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
        let (_, brand) = load(&mut tx).await?;
        if let Some(token) = cookies::get(&headers, cookies::SESSION) {
            if let Some(session) = accounts::session(&mut tx, &token).await? {
                let csrf = form.map(|Form(b)| b.csrf).unwrap_or_default();
                if !tokens_match(&session.csrf_token, &csrf) {
                    tx.commit().await?;
                    let home = site.home();
                    return message(
                        &site,
                        &brand,
                        StatusCode::FORBIDDEN,
                        "Not signed out",
                        "The request did not come from this portal's own page.",
                        Some((&home, "Back to the overview")),
                    );
                }
                accounts::end_session(&mut tx, &token).await?;
                tracing::info!(user = %session.user_id, "portal user signed out");
            }
        }
        tx.commit().await?;
        let mut response = see_other(&site.home());
        add_cookie(
            &mut response,
            cookies::set(
                &site,
                state.secure_cookies,
                cookies::SESSION,
                "",
                Life::Gone,
            ),
        );
        Ok(response)
    }
    .await
    .unwrap_or_else(failure)
}

/// A token from a link: the shape of ours, or nothing (no lookup for anything else).
fn link_token(raw: &str) -> Option<&str> {
    (raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(raw)
}

/// The invitation a link names, as a page when it is not open.
async fn open_invitation(
    state: &AppState,
    site: &Site,
    raw: &str,
) -> AppResult<(Branded, Result<accounts::Invitee, Response>)> {
    let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
    let (_, brand) = load(&mut tx).await?;
    let found = match link_token(raw) {
        Some(token) => accounts::invitation(&mut tx, token).await?,
        None => Invitation::Unknown,
    };
    tx.commit().await?;
    let home = site.home();
    let closed = match found {
        Invitation::Open(invitee) => return Ok((brand, Ok(invitee))),
        Invitation::Spent => message(
            site,
            &brand,
            StatusCode::GONE,
            "This link no longer works",
            "Invitation links work once, for 72 hours. Ask your administrator for a new one.",
            Some((&home, "Go to sign-in")),
        )?,
        Invitation::Unknown => message(
            site,
            &brand,
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link, or ask your administrator for a new one.",
            Some((&home, "Go to sign-in")),
        )?,
    };
    Ok((brand, Err(closed)))
}

/// The set-password form, with a form cookie.
#[allow(clippy::too_many_arguments)]
fn set_password_form(
    state: &AppState,
    site: &Site,
    brand: &Branded,
    headers: &HeaderMap,
    token: &str,
    email: &str,
    status: StatusCode,
    error: Option<&str>,
) -> AppResult<Response> {
    let form_token = cookies::get(headers, cookies::FORM).unwrap_or_else(new_token);
    let action = site.path(&format!("invitation/{token}"));
    let mut response = page(site, brand, status, |head, brand| {
        set_password_page(
            head,
            brand,
            &SetPasswordForm {
                action: &action,
                email,
                csrf_token: &form_token,
                error,
                min_length: PASSWORD_MIN_CHARS,
            },
        )
    })?;
    add_cookie(
        &mut response,
        cookies::set(
            site,
            state.secure_cookies,
            cookies::FORM,
            &form_token,
            Life::Browser,
        ),
    );
    Ok(response)
}

/// `GET /portal/{tenant}/invitation/{token}`: the set-password form of an open invitation.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn invitation(
    State(state): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let (brand, invitee) = open_invitation(&state, &site, &token).await?;
        match invitee {
            Ok(invitee) => set_password_form(
                &state,
                &site,
                &brand,
                &headers,
                &token,
                &invitee.email,
                StatusCode::OK,
                None,
            ),
            Err(page) => Ok(page),
        }
    }
    .await
    .unwrap_or_else(failure)
}

/// The set-password form's fields.
#[derive(Deserialize)]
pub struct SetPasswordBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /portal/{tenant}/invitation/{token}`: sets the password (the domain's rule), uses
/// the link up, ends the user's other sessions and signs the user in.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn set_password(
    State(state): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<SetPasswordBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let (brand, invitee) = open_invitation(&state, &site, &token).await?;
        let invitee = match invitee {
            Ok(invitee) => invitee,
            Err(page) => return Ok(page),
        };
        let refuse = |status, error: &str| {
            set_password_form(
                &state,
                &site,
                &brand,
                &headers,
                &token,
                &invitee.email,
                status,
                Some(error),
            )
        };
        let Ok(Form(body)) = form else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "The form could not be read; try again.",
            );
        };
        if !cookies::get(&headers, cookies::FORM).is_some_and(|c| tokens_match(&c, &body.csrf)) {
            return refuse(
                StatusCode::FORBIDDEN,
                "This form had expired. Please enter your new password again.",
            );
        }
        if body.password != body.confirm {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The two passwords differ. Enter the same password twice.",
            );
        }
        if let Err(e) = check_new_password(&body.password, &invitee.email) {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
        }
        let password = SecretString::from(body.password);
        let hash = password_work(&state, move || hash_password(&password)).await??;
        let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
        let Some(user_id) = accounts::accept(&mut tx, &token, &hash).await? else {
            // Used by a request that raced this one.
            drop(tx);
            let home = site.home();
            return message(
                &site,
                &brand,
                StatusCode::GONE,
                "This link no longer works",
                "It has just been used. Sign in with the password you chose.",
                Some((&home, "Go to sign-in")),
            );
        };
        audit::record(&mut tx, user_id, Action::UserPassword, &user_id.to_string()).await?;
        let (session, _) = accounts::start_session(&mut tx, user_id).await?;
        tx.commit().await?;
        tracing::info!(user = %user_id, "portal user set a password");
        Ok(signed_in(&state, &site, &session))
    }
    .await
    .unwrap_or_else(failure)
}

// ---------------------------------------------------------------------------------------------
// Stylesheets

/// A strong validator for a body.
fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Does `If-None-Match` name this tag (or `*`)?
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// A stylesheet with its `ETag`, or 304 when the browser has it; always revalidated, so a
/// branding change shows on the next page.
fn stylesheet(headers: &HeaderMap, body: String) -> Response {
    let etag = etag_of(&body);
    let mut response = if not_modified(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /portal/static/portal.css`: the base stylesheet.
pub async fn base_css(headers: HeaderMap) -> Response {
    static BODY: LazyLock<String> = LazyLock::new(|| BASE_CSS.to_owned());
    stylesheet(&headers, BODY.clone())
}

/// `GET /portal/{tenant}/branding.css`: the brand's colours and the client's sanitised CSS.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn branding_css(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.tenant).await?;
        let (client, b) = load_branding(&mut tx).await?;
        tx.commit().await?;
        let brand = Branded::of(&client, &b).with_css(&client, &b);
        Ok(stylesheet(&headers, brand.brand().sheet()))
    }
    .await
    .unwrap_or_else(|e: AppError| match e {
        AppError::NotFound => StatusCode::NOT_FOUND.into_response(),
        other => failure(other),
    })
}

// ---------------------------------------------------------------------------------------------
// The overview's figures

struct OverviewData {
    usage: Vec<Meter>,
    servers: Vec<ServerRow>,
    catalog_is_all: bool,
    allowed_apps: Vec<AppEntry>,
}

fn app_name(template_id: &str) -> String {
    mspdesk_domain::template(template_id)
        .map_or_else(|| template_id.to_owned(), |t| t.name.to_owned())
}

fn provider_name(provider: mspdesk_domain::Provider) -> &'static str {
    match provider {
        mspdesk_domain::Provider::Hetzner => "Hetzner",
        mspdesk_domain::Provider::Digitalocean => "DigitalOcean",
        mspdesk_domain::Provider::Other => "Other",
    }
}

/// Usage against quotas (the domain's compliance rule colours each meter), active servers
/// with their apps, and the apps the catalog allows.
async fn overview_data(tx: &mut TenantTx, client: &Client) -> AppResult<OverviewData> {
    let usage: Usage = client.usage.into();
    let compliance = Compliance::evaluate(&client.quotas, &usage);
    let meter = |label: &str, kind: QuotaKind, unit: &'static str| Meter {
        label: label.to_owned(),
        used: usage.of(kind),
        limit: client.quotas.limit(kind),
        unit,
        state: if compliance.over.contains(&kind) {
            MeterState::Over
        } else if compliance.approaching.contains(&kind) {
            MeterState::Approaching
        } else {
            MeterState::Ok
        },
    };
    let meters = vec![
        meter("Servers", QuotaKind::MaxServers, ""),
        meter("Users", QuotaKind::MaxUsers, ""),
        meter("Storage", QuotaKind::StorageQuotaGb, "GB"),
        meter("Apps per server", QuotaKind::MaxAppsPerServer, ""),
    ];
    let installed = apps::all(tx).await?;
    let rows = servers::list(tx)
        .await?
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .map(|s| ServerRow {
            apps: installed
                .iter()
                .filter(|a| a.server_id == s.id)
                .map(|a| app_name(&a.template_id))
                .collect(),
            kind: format!("{} · {}", provider_name(s.provider), s.server_type),
            region: s.region,
            storage_gb: s.storage_gb,
            name: s.name,
        })
        .collect();
    let catalog = catalog::get(tx).await?;
    let mut allowed: Vec<AppEntry> = TEMPLATES
        .iter()
        .filter(|t| catalog.mode.allows(t.id, &catalog.enabled))
        .map(|t| AppEntry {
            name: t.name.to_owned(),
            category: t.category.to_owned(),
        })
        .collect();
    allowed.sort_by_key(|a| a.name.to_lowercase());
    Ok(OverviewData {
        usage: meters,
        servers: rows,
        catalog_is_all: catalog.mode == CatalogMode::All,
        allowed_apps: allowed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_forms() {
        let tag = etag_of("a { color: red }");
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, &tag));
        for sent in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"x\", {tag}"),
            "*".into(),
        ] {
            h.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(&sent).expect("v"),
            );
            assert!(not_modified(&h, &tag), "{sent}");
        }
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!not_modified(&h, &tag));
    }

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
