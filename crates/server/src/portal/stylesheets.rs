//! The base stylesheet and each client's brand sheet, with ETags answered before any work.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_portal::BASE_CSS;
use sha2::{Digest, Sha256};

use super::brand::{load_branding, Branded};
use super::respond::{failure, site};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::AppState;

/// A strong validator for a body.
pub(super) fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Does `If-None-Match` name this tag (or `*`)?
pub(super) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
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
pub(super) fn stylesheet(headers: &HeaderMap, body: String) -> Response {
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
}
