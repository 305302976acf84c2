//! RFC 9457 problem details: the one error shape of the API.

use mspdesk_domain::QuotaKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A stable, machine-readable error code. Clients branch on this, never on `title` or `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// 400: malformed JSON, wrong JSON types, bad query parameters.
    BadRequest,
    /// 401: missing, invalid or expired token; failed login.
    Unauthorized,
    /// 403: authenticated, but the token's role may not do this.
    Forbidden,
    /// 404: no such resource, or one of another tenant.
    NotFound,
    /// 409: the create would exceed a quota (`quota`, `limit`, `usage`).
    QuotaExceeded,
    /// 409: the template is not in the client's catalog (`template_id`).
    NotInCatalog,
    /// 409: a uniqueness or state conflict (`field`).
    Conflict,
    /// 412: `If-Match` names an old version (`current_version`).
    VersionConflict,
    /// 410: the change-feed cursor is older than the kept history: take a fresh snapshot
    /// (`GET /changes` without `since`).
    ResyncRequired,
    /// 408: the request body arrived too slowly (below the server's minimum rate).
    RequestTimeout,
    /// 413: the request body is too large.
    PayloadTooLarge,
    /// 422: the body is well-formed but some fields are invalid (`errors`).
    ValidationFailed,
    /// 428: `If-Match` is required on this route.
    PreconditionRequired,
    /// 429: too many sign-in attempts for this account or from this address; the
    /// `Retry-After` header says how many seconds to wait.
    TooManyRequests,
    /// 500: a failure on the server; details are in its log, not here.
    Internal,
    /// 503: the server cannot answer now (its database is unreachable, or it is busy); the
    /// `Retry-After` header says how many seconds to wait. Nothing was changed.
    Unavailable,
}

impl ProblemCode {
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            ProblemCode::BadRequest => 400,
            ProblemCode::Unauthorized => 401,
            ProblemCode::Forbidden => 403,
            ProblemCode::NotFound => 404,
            ProblemCode::QuotaExceeded | ProblemCode::NotInCatalog | ProblemCode::Conflict => 409,
            ProblemCode::VersionConflict => 412,
            ProblemCode::ResyncRequired => 410,
            ProblemCode::RequestTimeout => 408,
            ProblemCode::PayloadTooLarge => 413,
            ProblemCode::ValidationFailed => 422,
            ProblemCode::PreconditionRequired => 428,
            ProblemCode::TooManyRequests => 429,
            ProblemCode::Internal => 500,
            ProblemCode::Unavailable => 503,
        }
    }

    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            ProblemCode::BadRequest => "Bad request",
            ProblemCode::Unauthorized => "Unauthorized",
            ProblemCode::Forbidden => "Forbidden",
            ProblemCode::NotFound => "Not found",
            ProblemCode::QuotaExceeded => "Quota exceeded",
            ProblemCode::NotInCatalog => "Not in the client's catalog",
            ProblemCode::Conflict => "Conflict",
            ProblemCode::VersionConflict => "Version conflict",
            ProblemCode::ResyncRequired => "Resync required",
            ProblemCode::RequestTimeout => "Request timeout",
            ProblemCode::PayloadTooLarge => "Payload too large",
            ProblemCode::ValidationFailed => "Validation failed",
            ProblemCode::PreconditionRequired => "Precondition required",
            ProblemCode::TooManyRequests => "Too many requests",
            ProblemCode::Internal => "Internal server error",
            ProblemCode::Unavailable => "Service unavailable",
        }
    }
}

/// One invalid field of a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldError {
    /// The field's name as in the body, dotted for nested fields (`quotas.max_servers`).
    pub field: String,
    /// What is wrong, as a sentence about the field's value.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// An error response (`application/problem+json`). The extra members appear only with the
/// codes that define them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    /// A URI naming the problem type: `urn:mspdesk:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub code: ProblemCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    pub fn new(code: ProblemCode, detail: impl Into<Option<String>>) -> Self {
        Self {
            type_uri: format!(
                "urn:mspdesk:problem:{}",
                serde_json::to_value(code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
            title: code.title().to_owned(),
            status: code.status(),
            detail: detail.into(),
            code,
            quota: None,
            limit: None,
            usage: None,
            template_id: None,
            field: None,
            current_version: None,
            errors: None,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.status)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        if let Some(errors) = &self.errors {
            for e in errors {
                write!(f, "; {}: {}", e.field, e.message)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape() {
        let mut p = Problem::new(
            ProblemCode::QuotaExceeded,
            Some("no more servers".to_owned()),
        );
        p.quota = Some(QuotaKind::MaxServers);
        p.limit = Some(5);
        p.usage = Some(5);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "type": "urn:mspdesk:problem:quota_exceeded",
                "title": "Quota exceeded",
                "status": 409,
                "detail": "no more servers",
                "code": "quota_exceeded",
                "quota": "max_servers",
                "limit": 5,
                "usage": 5
            })
        );
        let v = Problem::new(ProblemCode::ValidationFailed, None);
        assert_eq!(v.status, 422);
        assert_eq!(v.type_uri, "urn:mspdesk:problem:validation_failed");
    }
}
