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

/// A JSON request body. Malformed JSON, wrong types and unknown fields are 400; a body over the
/// limit is 413. (Wrong *values* are found by the body's `validate` and are 422.)
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(body_error(&rejection)),
        }
    }
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

/// The address of the peer that sent the request (from the connection; `None` when the server
/// was started without connection info). A proxy in front makes this the proxy's address:
/// `X-Forwarded-For` is not trusted.
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}
