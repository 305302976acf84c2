//! The error half of the OpenAPI document: every operation lists each error status it can
//! answer, each with the problem+json body (and `Retry-After` where it is sent). Derived from
//! what the operation takes (a token, a body, path and query parameters, `If-Match`,
//! `Idempotency-Key`), so a new route gets its errors without anyone remembering to list them.
//! The server's tests check every answer they receive against this document.

use mspdesk_api::problem::PROBLEM_JSON;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::Modify;

/// Adds the error responses to every operation (see the module docs).
pub(super) struct ProblemResponses;

/// The routes whose token may be of either role (no 403 for the wrong one).
const ANY_ROLE: [&str; 2] = ["/api/v1/auth/logout", "/api/v1/catalog/templates"];

fn describe(status: u16) -> &'static str {
    match status {
        400 => {
            "Malformed request: bad JSON, a wrong type, an unknown field, a bad query parameter, \
             or a NUL character anywhere"
        }
        401 => "No token, or one that is invalid, expired or revoked",
        403 => "The token's role may not do this",
        404 => "No such resource (or one of another tenant)",
        409 => "A conflict: a quota, the catalog, a uniqueness rule or a state",
        410 => "The change-feed cursor is older than the kept history",
        412 => "If-Match names an old version",
        408 => "The request body arrived too slowly",
        413 => "The request body is too large",
        422 => "Some values are invalid (every bad field is listed)",
        428 => "If-Match is required",
        429 => "Too many sign-in attempts; wait Retry-After seconds",
        500 => "A failure on the server (details in its log)",
        503 => "The database is unreachable or the server is busy; wait Retry-After seconds",
        _ => "An error",
    }
}

/// The error statuses `op` (at `path`) can answer, besides those it lists itself.
fn statuses(path: &str, op: &Operation) -> Vec<u16> {
    // Every request may meet an unreachable database or a full server, and a bug.
    let mut out = vec![500, 503];
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn, name: Option<&str>| {
        params
            .iter()
            .any(|p| p.parameter_in == place && name.is_none_or(|n| p.name == n))
    };
    if op.security.is_some() {
        out.push(401);
        if !ANY_ROLE.contains(&path) {
            out.push(403);
        }
    }
    if op.request_body.is_some() {
        out.extend([400, 408, 413, 422]);
    }
    if has(ParameterIn::Path, None) {
        // A NUL (`%00`) in a path is refused before any handler.
        out.extend([400, 404]);
    }
    if has(ParameterIn::Query, None) {
        out.extend([400, 422]);
    }
    if has(ParameterIn::Header, Some("If-Match")) {
        out.extend([400, 412, 428]);
    }
    if has(ParameterIn::Header, Some("Idempotency-Key")) {
        out.extend([400, 409, 422]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn problem_content() -> Content {
    Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
}

fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        )
        .description(Some("Seconds to wait before trying again"))
        .build()
}

fn complete(path: &str, op: &mut Operation) {
    for status in statuses(path, op) {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(describe(status))
                    .build()
                    .into()
            });
    }
    for (status, response) in &mut op.responses.responses {
        let Ok(code) = status.parse::<u16>() else {
            continue;
        };
        let RefOr::T(response) = response else {
            continue;
        };
        if code >= 400 {
            // Errors are problem+json, never plain JSON.
            response.content.clear();
            response
                .content
                .insert(PROBLEM_JSON.to_owned(), problem_content());
            if response.description.is_empty() {
                response.description = describe(code).to_owned();
            }
        }
        if matches!(code, 429 | 503) {
            response
                .headers
                .insert("Retry-After".to_owned(), retry_after());
        }
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                complete(path, op);
            }
        }
    }
}
