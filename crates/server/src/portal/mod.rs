//! The client portal: server-rendered pages (crates/portal's templates) for a client's users,
//! with no JavaScript. A user gets in through an invitation link (`POST /users/{id}/invitation`
//! makes one), sets a password, and signs in to a session; the overview shows the client's own
//! servers, apps, catalog and usage.
//!
//! Every request runs in the client's tenant (a [`TenantTx`](crate::db::TenantTx) for the id
//! in the path, or for the verified custom domain in `Host`), so the same row-level security
//! as the API applies; a tenant that is not a client is a 404. Every response carries a strict
//! Content-Security-Policy (no scripts, styles and fonts from this server only, images from
//! this server and the logo's and favicon's own origins), `nosniff` and
//! `Referrer-Policy: no-referrer`.
//!
//! Routes (for tenant `t`): `GET /portal/t` (the overview when signed in, else the sign-in
//! form), `POST /portal/t/sign-in`, `POST /portal/t/sign-out`, `GET`/`POST
//! /portal/t/invitation/{token}` (set a password), `GET /portal/t/branding.css`,
//! `GET /portal/static/portal.css`, and `GET /` on a client's verified custom domain.

mod brand;
mod cookies;
mod home;
mod invitations;
mod respond;
mod sign_in;
mod stylesheets;

pub use sign_in::clear_sign_in_lock;
pub use stylesheets::SheetCache;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use mspdesk_domain::TenantId;

use crate::db::{Scope, TenantTx};
use crate::error::AppResult;
use crate::store::portal as accounts;
use crate::AppState;

/// The portal's routes, with its response headers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::root))
        .route("/portal/static/portal.css", get(stylesheets::base_css))
        .route("/portal/{tenant}", get(home::home))
        .route("/portal/{tenant}/", get(home::home))
        .route(
            "/portal/{tenant}/branding.css",
            get(stylesheets::branding_css),
        )
        .route("/portal/{tenant}/sign-in", post(sign_in::sign_in))
        .route("/portal/{tenant}/sign-out", post(sign_in::sign_out))
        .route(
            "/portal/{tenant}/invitation/{token}",
            get(invitations::invitation).post(invitations::set_password),
        )
        .layer(axum::middleware::from_fn(portal_headers))
}

/// The policy of a portal response: `img_origins` are the https origins of the brand's logo
/// and favicon (images may come from there too).
#[must_use]
pub fn content_security_policy(img_origins: &[String]) -> String {
    let mut img = "'self'".to_owned();
    for origin in img_origins {
        // Origins come from parsed https URLs; nothing else may reach the header.
        if !img.split(' ').any(|o| o == origin) {
            img.push(' ');
            img.push_str(origin);
        }
    }
    format!(
        "default-src 'none'; style-src 'self'; font-src 'self'; img-src {img}; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// Adds the portal's headers to every response of its routes: the policy (unless the handler
/// set one naming the brand's image origins), `nosniff`, no referrer, and no caching of pages.
async fn portal_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&content_security_policy(&[])) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Where a portal is reached: on the Control Panel's host under `/portal/{tenant}`, or at the
/// root of the client's verified custom domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    pub tenant: TenantId,
    /// The client's MSP.
    pub msp: TenantId,
    pub custom_host: bool,
}

impl Site {
    /// The client's tenant and MSP, for its transactions.
    #[must_use]
    pub fn scope(&self) -> Scope {
        Scope::client(self.tenant, self.msp)
    }

    /// The portal's front page.
    #[must_use]
    pub fn home(&self) -> String {
        if self.custom_host {
            "/".to_owned()
        } else {
            format!("/portal/{}", self.tenant)
        }
    }

    /// A path under the portal's tenant prefix (which works on either host).
    #[must_use]
    pub fn path(&self, rest: &str) -> String {
        format!("/portal/{}/{rest}", self.tenant)
    }

    /// The path cookies are scoped to: the tenant's prefix (so two portals on one host keep
    /// apart), or the whole custom domain.
    #[must_use]
    pub fn cookie_path(&self) -> String {
        if self.custom_host {
            "/".to_owned()
        } else {
            format!("/portal/{}", self.tenant)
        }
    }
}

/// The path of an invitation link.
#[must_use]
pub fn invitation_path(tenant: TenantId, token: &str) -> String {
    format!("/portal/{tenant}/invitation/{token}")
}

/// The request's host name, lower-case, without port (`None` when absent or unreadable).
#[must_use]
pub fn request_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

/// The origin the Control Panel was reached at (for absolute links handed to operators): the
/// request's own `Host`, over https unless cookies are sent without `Secure` (loopback).
#[must_use]
pub fn request_origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The origin an invitation link for `tenant` should use: the client's verified custom domain
/// when it has one, otherwise the origin this request reached the Control Panel at.
pub async fn public_origin(
    state: &AppState,
    client: Scope,
    headers: &HeaderMap,
) -> AppResult<String> {
    let mut tx = TenantTx::begin(&state.pool, client).await?;
    let domain = accounts::own_domain(&mut tx).await?;
    tx.commit().await?;
    Ok(match domain {
        Some(domain) => format!("https://{domain}"),
        None => request_origin(state, headers),
    })
}

/// What a request's `Host` names. Resolved once per request by [`host_filter`], which leaves
/// it in the request's extensions for the portal's handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// The Control Panel itself: its public host, an IP address, `localhost`, or any host when
    /// no public host is configured.
    ControlPanel,
    /// A client's verified custom domain (the client, with its MSP).
    Custom(Scope),
    /// A host this server does not serve.
    Unknown,
}

/// Resolves `Host`: the Control Panel's own names first (no query), then the verified custom
/// domains.
pub async fn resolve_host(state: &AppState, headers: &HeaderMap) -> AppResult<HostKind> {
    let Some(host) = request_host(headers) else {
        return Ok(HostKind::ControlPanel);
    };
    let public = state.domains.public_host.as_ref();
    if host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok()
        || public.is_some_and(|p| p.as_str() == host)
    {
        return Ok(HostKind::ControlPanel);
    }
    if let Some(owner) = accounts::domain_owner(&state.pool, &host).await? {
        return Ok(HostKind::Custom(owner));
    }
    Ok(if public.is_some() {
        HostKind::Unknown
    } else {
        HostKind::ControlPanel
    })
}

/// What a client's custom domain serves: its portal and its uploaded images, nothing else.
fn served_on_custom_domain(path: &str, tenant: TenantId) -> bool {
    let portal = format!("/portal/{tenant}");
    let assets = format!("{}{tenant}/", mspdesk_api::types::ASSET_PATH_PREFIX);
    path == "/"
        || path == "/health"
        || path.starts_with("/portal/static/")
        || path == portal
        || path.starts_with(&format!("{portal}/"))
        || path.starts_with(&assets)
}

/// In front of every route: a host the server does not know gets a plain 404, and a client's
/// custom domain serves only that client's portal.
pub async fn host_filter(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // HTTP/2 names the host in `:authority` (the URI's authority), HTTP/1.1 in `Host`, or in an
    // absolute request target (RFC 9112, 3.2.2): from here on `Host` holds it. An authority
    // with user information, or an absolute target that names another host than `Host` (a
    // proxy may have checked the one and passed the other on), is refused.
    if let Some(authority) = request.uri().authority() {
        let named = authority.host().trim_end_matches('.').to_ascii_lowercase();
        let named = named.trim_start_matches('[').trim_end_matches(']');
        let differs = request_host(request.headers()).is_some_and(|given| given != named);
        if authority.as_str().contains('@') || differs {
            return plain(StatusCode::BAD_REQUEST, "Bad request\n");
        }
        match HeaderValue::from_str(authority.as_str()) {
            Ok(host) => {
                request.headers_mut().insert(header::HOST, host);
            }
            Err(_) => return plain(StatusCode::BAD_REQUEST, "Bad request\n"),
        }
    }
    let kind = match resolve_host(&state, request.headers()).await {
        Ok(kind) => kind,
        Err(e) => return e.into_response(),
    };
    match kind {
        HostKind::Unknown => return unknown_host(),
        HostKind::Custom(owner) if !served_on_custom_domain(request.uri().path(), owner.tenant) => {
            return unknown_host()
        }
        HostKind::ControlPanel | HostKind::Custom(_) => {}
    }
    request.extensions_mut().insert(kind);
    next.run(request).await
}

/// The plain 404 for a host the server does not know: no branding, no JSON.
#[must_use]
pub fn unknown_host() -> Response {
    plain(StatusCode::NOT_FOUND, "Not found\n")
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_only_the_given_origins() {
        assert_eq!(
            content_security_policy(&[]),
            "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        let csp = content_security_policy(&[
            "https://cdn.example".into(),
            "https://cdn.example".into(),
            "https://img.example:8443".into(),
        ]);
        assert!(csp.contains("img-src 'self' https://cdn.example https://img.example:8443;"));
    }

    #[test]
    fn hosts_lose_their_port_and_case() {
        let mut h = HeaderMap::new();
        for (raw, want) in [
            ("Portal.Example.COM:443", Some("portal.example.com")),
            ("portal.example.com.", Some("portal.example.com")),
            ("127.0.0.1:8080", Some("127.0.0.1")),
            ("[::1]:8080", Some("::1")),
            ("", None),
        ] {
            h.insert(header::HOST, HeaderValue::from_static(raw));
            assert_eq!(request_host(&h).as_deref(), want, "{raw}");
        }
    }

    #[test]
    fn sites_on_either_host() {
        let tenant: TenantId = "0190b5c4-0000-7000-8000-000000000001".parse().expect("id");
        let main = Site {
            tenant,
            msp: "0190b5c4-0000-7000-8000-000000000002".parse().expect("id"),
            custom_host: false,
        };
        assert_eq!(main.home(), format!("/portal/{tenant}"));
        assert_eq!(main.cookie_path(), format!("/portal/{tenant}"));
        let custom = Site {
            custom_host: true,
            ..main
        };
        assert_eq!(custom.home(), "/");
        assert_eq!(custom.cookie_path(), "/");
        assert_eq!(custom.path("sign-in"), format!("/portal/{tenant}/sign-in"));
    }
}
