//! The Control Panel API contract (JSON over HTTP under `/api/v1`), shared by the server, the
//! desktop app and the tests:
//!
//! - [`types`]: request and response bodies. Request bodies carry raw JSON values and are turned
//!   into validated domain values by their `validate` methods, which report every bad field at
//!   once (`422 validation_failed`), while malformed JSON stays a `400 bad_request`.
//! - [`problem`]: the RFC 9457 `application/problem+json` error body and its stable codes.
//! - `client` (feature `client`): a typed reqwest client with a method per route.

pub mod openapi;
pub mod problem;
pub mod types;

#[cfg(feature = "client")]
pub mod client;

pub use problem::{FieldError, Problem, ProblemCode};
/// The secret types of the contract (passwords, tokens), re-exported for its users.
pub use secrecy::{ExposeSecret, SecretString};

/// Path prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";
