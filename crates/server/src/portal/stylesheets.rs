//! The base stylesheet and each client's brand sheet, with ETags answered before any work.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_domain::TenantId;
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

/// A stylesheet's headers: its `ETag`, and revalidation on every use (a branding change shows
/// on the next page).
fn with_validator(mut response: Response, etag: &str) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A stylesheet with `etag`, or 304 when the browser has it.
fn stylesheet(headers: &HeaderMap, etag: &str, body: impl FnOnce() -> Arc<str>) -> Response {
    let response = if not_modified(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
            body().to_string(),
        )
            .into_response()
    };
    with_validator(response, etag)
}

/// `GET /portal/static/portal.css`: the base stylesheet.
pub async fn base_css(headers: HeaderMap) -> Response {
    static ETAG: LazyLock<String> = LazyLock::new(|| etag_of(BASE_CSS));
    stylesheet(&headers, &ETAG, || Arc::from(BASE_CSS))
}

/// Brand sheets by client and version: the custom CSS is checked again (the sanitiser's two
/// passes, ~60 ms for a 64 KiB sheet) once per version and instance, never per request.
#[derive(Debug, Default)]
pub struct SheetCache {
    sheets: Mutex<HashMap<SheetKey, Arc<str>>>,
}

/// A client, its branding version and its record's version (the company name).
type SheetKey = (TenantId, i64, i64);

/// Sheets kept at most (a full cache is emptied: each sheet is then made once more).
const SHEETS_KEPT: usize = 512;

impl SheetCache {
    fn get_or_make(&self, key: SheetKey, make: impl FnOnce() -> String) -> Arc<str> {
        let lock = || {
            self.sheets
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(sheet) = lock().get(&key) {
            return Arc::clone(sheet);
        }
        let sheet: Arc<str> = Arc::from(make());
        let mut sheets = lock();
        if sheets.len() >= SHEETS_KEPT {
            sheets.clear();
        }
        sheets.insert(key, Arc::clone(&sheet));
        sheet
    }
}

/// The brand sheet's validator: from the versions of the branding and the client record and
/// this build (its template), so a revalidation is answered before any sheet is made.
fn brand_etag(key: SheetKey) -> String {
    let (tenant, branding, client) = key;
    let build = env!("CARGO_PKG_VERSION");
    etag_of(&format!("{tenant}/{branding}/{client}/{build}"))
}

/// `GET /portal/{tenant}/branding.css`: the brand's colours and the client's sanitised CSS.
/// A revalidation costs two indexed reads; a sheet is made once per version.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn branding_css(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
        let (client, b) = load_branding(&mut tx).await?;
        tx.commit().await?;
        let key = (site.tenant, b.version, client.version);
        let etag = brand_etag(key);
        Ok(stylesheet(&headers, &etag, || {
            state.portal_sheets.get_or_make(key, || {
                Branded::of(&client, &b)
                    .with_css(&client, &b)
                    .brand()
                    .sheet()
            })
        }))
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
    fn a_sheet_is_made_once_per_version() {
        let cache = SheetCache::default();
        let tenant = TenantId::new();
        let made = std::cell::Cell::new(0);
        let make = || {
            made.set(made.get() + 1);
            "a{}".to_owned()
        };
        cache.get_or_make((tenant, 1, 1), make);
        cache.get_or_make((tenant, 1, 1), make);
        assert_eq!(made.get(), 1);
        cache.get_or_make((tenant, 2, 1), make);
        assert_eq!(made.get(), 2);
        assert_ne!(brand_etag((tenant, 1, 1)), brand_etag((tenant, 2, 1)));
        assert_ne!(brand_etag((tenant, 1, 1)), brand_etag((tenant, 1, 2)));
    }

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
