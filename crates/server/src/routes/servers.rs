//! Cloud OS instances of a client, and its usage report (tenant scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use mspdesk_api::types::{CreateServer, Page, Server, UsageReport};
use mspdesk_api::Problem;
use mspdesk_domain::Period;
use serde::Deserialize;
use uuid::Uuid;

use super::{create, mutate, parse_id, read, PageQuery, Query};
use crate::auth::ClientAdmin;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IdempotencyKey};
use crate::store::audit::Action;
use crate::store::servers;
use crate::AppState;

/// Registers a Cloud OS instance (or imports an existing or historical one). Checks
/// `max_servers` and `storage_quota_gb`. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/servers", tag = "tenant", security(("bearer" = [])), request_body = CreateServer,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Server), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn create_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateServer>,
) -> AppResult<Response> {
    let new = body.validate(Utc::now()).map_err(AppError::Validation)?;
    create(
        &state,
        auth,
        &key,
        "POST /servers",
        &body,
        Action::ServerCreate,
        async |tx| {
            let server = servers::create(tx, &new).await?;
            let id = server.id.to_string();
            Ok((server, id))
        },
    )
    .await
}

/// The client's servers, deleted ones included (they matter for billing), in registration
/// order, a page at a time.
#[utoipa::path(get, path = "/servers", tag = "tenant", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<Server>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn list_servers(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let limit = query.limit()?;
    read(&state, auth, async |tx| {
        servers::page(tx, limit, query.cursor()).await
    })
    .await
}

#[utoipa::path(get, path = "/servers/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Server), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn get_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: Uuid = parse_id(&id)?;
    read(&state, auth, async |tx| servers::get(tx, id).await).await
}

/// Marks a server deleted now, freeing its quota; it stays listed for billing.
#[utoipa::path(delete, path = "/servers/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Server), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn delete_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: Uuid = parse_id(&id)?;
    let server = mutate(&state, auth, Action::ServerDelete, async |tx| {
        Ok((servers::delete(tx, id).await?, id.to_string()))
    })
    .await?;
    respond(StatusCode::OK, &server)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// A calendar month, `YYYY-MM` (UTC).
    period: String,
}

/// The instances active in a month, with their price snapshots.
#[utoipa::path(get, path = "/usage", tag = "tenant", security(("bearer" = [])), params(UsageQuery),
    responses((status = 200, body = UsageReport), (status = 400, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn usage(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Query(query): Query<UsageQuery>,
) -> AppResult<Response> {
    let period =
        Period::parse(&query.period).map_err(|e| AppError::BadRequest(format!("period {e}")))?;
    read(&state, auth, async |tx| {
        Ok(UsageReport {
            period: period.to_string(),
            instances: servers::active_in(tx, period).await?,
        })
    })
    .await
}
