//! The server's one error type. Every failure of every handler becomes an RFC 9457
//! problem+json response here; internal errors are logged with their details and answered with
//! a bare 500.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_api::problem::PROBLEM_JSON;
use mspdesk_api::{FieldError, Problem, ProblemCode};
use mspdesk_domain::QuotaExceeded;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    /// No route matches the path.
    #[error("no such route")]
    NoRoute,
    #[error("{0}")]
    QuotaExceeded(QuotaExceeded),
    #[error("template {0} is not in the catalog")]
    NotInCatalog(String),
    #[error("conflict on {field}: {detail}")]
    Conflict { field: &'static str, detail: String },
    #[error("version conflict (current {0})")]
    VersionConflict(i64),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The request body arrived below the minimum rate (`conn::read_body`).
    #[error("the request body arrived too slowly")]
    SlowBody,
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("If-Match required")]
    PreconditionRequired,
    /// Too many failed sign-ins: try again in this many seconds (sent as `Retry-After`).
    #[error("too many requests (retry after {0} s)")]
    TooManyRequests(u64),
    /// The change-feed cursor is older than the kept tombstones: take a fresh snapshot.
    #[error("resync required")]
    ResyncRequired,
    /// The database cannot be reached, or this instance is busy: try again in this many
    /// seconds (sent as `Retry-After`). Nothing was changed (the transaction, if any, never
    /// committed).
    #[error("service unavailable (retry after {0} s)")]
    Unavailable(u64),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    fn problem(&self) -> Problem {
        match self {
            AppError::BadRequest(detail) => {
                Problem::new(ProblemCode::BadRequest, Some(detail.clone()))
            }
            AppError::Unauthorized(detail) => {
                Problem::new(ProblemCode::Unauthorized, Some((*detail).to_owned()))
            }
            AppError::Forbidden(detail) => {
                Problem::new(ProblemCode::Forbidden, Some((*detail).to_owned()))
            }
            AppError::NotFound => Problem::new(ProblemCode::NotFound, None),
            AppError::NoRoute => {
                Problem::new(ProblemCode::NotFound, Some("no such route".to_owned()))
            }
            AppError::QuotaExceeded(q) => {
                let mut p = Problem::new(ProblemCode::QuotaExceeded, Some(q.to_string()));
                p.quota = Some(q.quota);
                p.limit = Some(q.limit);
                p.usage = Some(q.usage);
                p
            }
            AppError::NotInCatalog(template) => {
                let mut p = Problem::new(
                    ProblemCode::NotInCatalog,
                    Some(format!("{template} is not in this client's app catalog")),
                );
                p.template_id = Some(template.clone());
                p
            }
            AppError::Conflict { field, detail } => {
                let mut p = Problem::new(ProblemCode::Conflict, Some(detail.clone()));
                p.field = Some((*field).to_owned());
                p
            }
            AppError::VersionConflict(current) => {
                let mut p = Problem::new(
                    ProblemCode::VersionConflict,
                    Some(format!(
                        "the resource changed; its current version is {current}"
                    )),
                );
                p.current_version = Some(*current);
                p
            }
            AppError::PayloadTooLarge => Problem::new(ProblemCode::PayloadTooLarge, None),
            AppError::SlowBody => Problem::new(
                ProblemCode::RequestTimeout,
                Some("the request body arrived too slowly".into()),
            ),
            AppError::Validation(errors) => {
                let mut p = Problem::new(ProblemCode::ValidationFailed, None);
                p.errors = Some(errors.clone());
                p
            }
            AppError::PreconditionRequired => Problem::new(
                ProblemCode::PreconditionRequired,
                Some("send If-Match with the version you based this change on".to_owned()),
            ),
            AppError::ResyncRequired => Problem::new(
                ProblemCode::ResyncRequired,
                Some(
                    "the cursor is older than the kept history of deletes; take a fresh snapshot (GET /changes without since)"
                        .to_owned(),
                ),
            ),
            AppError::TooManyRequests(seconds) => Problem::new(
                ProblemCode::TooManyRequests,
                Some(format!(
                    "too many failed sign-ins; try again in {}",
                    crate::store::throttle::describe_wait(*seconds)
                )),
            ),
            AppError::Unavailable(_) => Problem::new(
                ProblemCode::Unavailable,
                Some("the Control Panel cannot answer now; try again shortly".to_owned()),
            ),
            AppError::Internal(_) => Problem::new(ProblemCode::Internal, None),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if let AppError::TooManyRequests(seconds) | AppError::Unavailable(seconds) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// How long a client is asked to wait while the database is unreachable.
const DATABASE_RETRY_AFTER: u64 = 2;

/// Whether `e` means the database cannot be reached now (no connection within the pool's
/// acquire timeout, a connection lost, the server shutting down or starting up), rather than a
/// fault of the request or of our SQL.
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exceptions; 57P01-57P03: admin shutdown, crash shutdown,
            // cannot connect now.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Database errors: an unreachable database is 503 with `Retry-After`; unique violations on
/// known constraints become conflicts; anything else is internal (logged, never shown).
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if unreachable(&e) {
            tracing::warn!(error = %e, "the database is unreachable");
            return AppError::Unavailable(DATABASE_RETRY_AFTER);
        }
        if let Some(db) = e.as_database_error() {
            let constraint = db
                .constraint()
                .or_else(|| named_constraint(db.message()))
                .map(unsharded);
            if db.is_unique_violation() {
                let (field, detail) = match constraint {
                    Some("users_tenant_email") => {
                        ("email", "a user with this e-mail already exists")
                    }
                    Some("operator_emails_pkey" | "operators_tenant_email") => {
                        ("email", "an operator with this e-mail already exists")
                    }
                    _ => ("id", "the resource already exists"),
                };
                return AppError::Conflict {
                    field,
                    detail: detail.to_owned(),
                };
            }
            if db.is_foreign_key_violation() && constraint == Some("servers_client_fkey") {
                return AppError::Conflict {
                    field: "servers",
                    detail: "the client has servers (deleted ones are kept for billing history)"
                        .to_owned(),
                };
            }
        }
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// The constraint a message names (`... constraint "x" ...`): Citus passes a shard's error
/// on with its message but without the constraint field.
fn named_constraint(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("constraint \"")?;
    rest.split_once('"').map(|(name, _)| name)
}

/// A constraint's name as the schema has it: a Citus shard reports it with the shard's number
/// appended (`operator_emails_pkey_102008`).
fn unsharded(name: &str) -> &str {
    match name.rsplit_once('_') {
        Some((base, shard)) if !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit()) => {
            base
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::unsharded;

    #[test]
    fn shard_numbers_are_dropped_from_constraint_names() {
        assert_eq!(
            unsharded("operator_emails_pkey_102008"),
            "operator_emails_pkey"
        );
        assert_eq!(unsharded("users_tenant_email"), "users_tenant_email");
        assert_eq!(unsharded("servers_client_fkey"), "servers_client_fkey");
        assert_eq!(unsharded("x_"), "x_");
    }

    #[test]
    fn a_shards_message_names_its_constraint() {
        assert_eq!(
            super::named_constraint(
                "duplicate key value violates unique constraint \"operator_emails_pkey_102013\""
            ),
            Some("operator_emails_pkey_102013")
        );
        assert_eq!(super::named_constraint("something else"), None);
    }
}
