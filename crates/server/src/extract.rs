//! Request extractors shared by the handlers: JSON bodies (with our error mapping), `If-Match`,
//! `Idempotency-Key`, and the response helper that adds an `ETag`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::store::idempotency::MAX_KEY_LEN;
use crate::AppState;

/// A JSON request body. Malformed JSON, wrong types and unknown fields are 400; a body over the
/// limit is 413. (Wrong *values* are found by the body's `validate` and are 422.)
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The body within the route's limit (413 past it), checked for NUL before it is read
        // as JSON with its headers.
        let headers = req.headers().clone();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(rejection.body_text())
                }
            })?;
        if has_escaped_nul(&bytes) {
            return Err(AppError::BadRequest(
                "the body holds a NUL character (\\u0000), which no field accepts".into(),
            ));
        }
        let mut req = Request::new(axum::body::Body::from(bytes));
        *req.headers_mut() = headers;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(body_error(&rejection)),
        }
    }
}

/// Whether JSON text holds the escape `\u0000` (a NUL, which PostgreSQL's text refuses; a raw
/// NUL byte is no valid JSON anyway): a `\` starting an escape is preceded by an even number
/// of backslashes.
#[must_use]
pub fn has_escaped_nul(json: &[u8]) -> bool {
    let mut backslashes = 0usize;
    for (i, &b) in json.iter().enumerate() {
        if b == b'\\' {
            backslashes += 1;
            continue;
        }
        if b == b'u' && backslashes % 2 == 1 && json.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// Whether URL text (a path or a query) holds `%00`, a NUL once decoded.
#[must_use]
pub fn has_encoded_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"%00")
}

fn body_error(rejection: &JsonRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(rejection.body_text())
    }
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`).
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(Option<i64>);

impl IfMatch {
    /// The version, or 428 when the header is missing.
    pub fn required(self) -> AppResult<i64> {
        self.0.ok_or(AppError::PreconditionRequired)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let bad = || AppError::BadRequest("If-Match must name a version, as in \"3\"".into());
        let text = value.to_str().map_err(|_| bad())?.trim();
        let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        text.parse().map(|v| IfMatch(Some(v))).map_err(|_| bad())
    }
}

/// The optional `Idempotency-Key` of a create: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| {
                (1..=MAX_KEY_LEN).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
            })
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
                ))
            })?;
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

/// A JSON response; when the body has a `version`, it is also sent as the `ETag`.
pub fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Some(version) = body.get("version").and_then(serde_json::Value::as_i64) {
        if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
            response.headers_mut().insert(header::ETAG, value);
        }
    }
    response
}

/// Serialises a body for [`json_response`] (and for storing under an idempotency key).
pub fn to_value(body: &impl Serialize) -> AppResult<serde_json::Value> {
    serde_json::to_value(body)
        .map_err(|e| AppError::Internal(format!("serialising a response: {e}")))
}

/// `json_response` for a serialisable body.
pub fn respond(status: StatusCode, body: &impl Serialize) -> AppResult<Response> {
    Ok(json_response(status, &to_value(body)?))
}

/// A raw request body (an uploaded file); a body over the route's limit is a 413 problem.
#[derive(Debug)]
pub struct RawBody(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(rejection.body_text())
                }
            })
    }
}

/// The address a request came from, as the sign-in throttle counts it: the connection's peer,
/// or, when the peer is one of [`crate::Settings::trusted_proxies`], the rightmost
/// `X-Forwarded-For` entry that is not a trusted proxy (the entries left of it can be forged
/// by the client). `None` when the server was started without connection info.
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(PeerIp(peer.map(|peer| {
            client_address(peer, &forwarded, &state.settings.trusted_proxies)
        })))
    }
}

/// See [`PeerIp`]: `forwarded` is the `X-Forwarded-For` list (comma-separated, oldest first).
/// An entry that does not parse stops the walk at the proxy that added it.
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded: &str,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut address = peer;
    for entry in forwarded
        .rsplit(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                address = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    address
}

#[cfg(test)]
mod tests {
    use super::{client_address, has_encoded_nul, has_escaped_nul};
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy = [ip("127.0.0.1")];
        // No trusted proxy: the header is ignored (anyone can send it).
        assert_eq!(
            client_address(ip("203.0.113.9"), "198.51.100.1", &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), "198.51.100.1", &proxy),
            ip("203.0.113.9")
        );
        // Behind the proxy: its client, the rightmost entry; forged entries to the left do
        // not count.
        assert_eq!(
            client_address(ip("127.0.0.1"), "198.51.100.1", &proxy),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), "10.9.9.9, 198.51.100.1", &proxy),
            ip("198.51.100.1")
        );
        // A chain of trusted proxies is walked through.
        let chain = [ip("127.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            client_address(ip("127.0.0.1"), "198.51.100.1, 10.0.0.2", &chain),
            ip("198.51.100.1")
        );
        // No header, or garbage: the proxy itself (never a forged value).
        assert_eq!(client_address(ip("127.0.0.1"), "", &proxy), ip("127.0.0.1"));
        assert_eq!(
            client_address(ip("127.0.0.1"), "nonsense", &proxy),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), "198.51.100.1, nonsense", &proxy),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn nul_is_found_in_json_and_urls_but_not_in_its_look_alikes() {
        assert!(has_escaped_nul(br#"{"a":"x\u0000y"}"#));
        assert!(has_escaped_nul(br#"{"a":"\\\u0000"}"#));
        // An escaped backslash followed by the text "u0000" is no NUL.
        assert!(!has_escaped_nul(br#"{"a":"\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"a":"\u0001"}"#));
        assert!(has_encoded_nul("/api/v1/prices/hetzner/a%00b"));
        assert!(has_encoded_nul("q=a%00b"));
        assert!(!has_encoded_nul("q=a%2500b"));
    }
}
