//! How the portal answers: pages in the client's brand with its policy, messages, failures
//! as pages, redirects, the session cookie on sign-in, and the site a request is for.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_domain::TenantId;
use mspdesk_portal::{message_page, Brand, Head, Message, Styles, Theme};

use super::brand::{Branded, BASE_CSS_PATH};
use super::cookies::{self, Life};
use super::{resolve_host, HostKind, Site};
use crate::error::{AppError, AppResult};
use crate::AppState;

pub(super) fn head<'a>(brand_href: Option<&'a str>) -> Head<'a> {
    Head {
        csp_meta: None,
        styles: Styles::Linked {
            base_href: BASE_CSS_PATH,
            brand_href,
        },
        theme: Theme::Auto,
    }
}

pub(super) fn html(status: StatusCode, body: String, csp: &str) -> Response {
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

pub(super) fn rendered(r: Result<String, mspdesk_portal::RenderError>) -> AppResult<String> {
    r.map_err(|e| AppError::Internal(e.to_string()))
}

pub(super) fn add_cookie(response: &mut Response, value: HeaderValue) {
    response.headers_mut().append(header::SET_COOKIE, value);
}

/// A page of `site` in `brand`, rendered by `render`: the base sheet and the brand's own sheet
/// linked, the brand's policy.
pub(super) fn page(
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
pub(super) fn message(
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
pub(super) fn failure(e: AppError) -> Response {
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

pub(super) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// The answer to a successful sign-in (or a password set): the session cookie, the form
/// cookie gone, and on to the overview.
pub(super) fn signed_in(state: &AppState, site: &Site, token: &str) -> Response {
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
pub(super) async fn site(state: &AppState, tenant: &str, headers: &HeaderMap) -> AppResult<Site> {
    let tenant: TenantId = tenant.parse().map_err(|_| AppError::NotFound)?;
    match resolve_host(state, headers).await? {
        HostKind::ControlPanel => {
            let client = state
                .directory
                .client(&state.pool, tenant)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(Site {
                tenant,
                msp: client.msp,
                custom_host: false,
            })
        }
        HostKind::Custom(owner) if owner.tenant == tenant => Ok(Site {
            tenant,
            msp: owner.msp,
            custom_host: true,
        }),
        HostKind::Custom(_) | HostKind::Unknown => Err(AppError::NotFound),
    }
}
