//! Clients: the MSP's list and records (MSP scope), and a client's own record (tenant scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{Client, ClientSummary, CreateClient, Page, QuotasInput, UpdateClient};
use mspdesk_api::Problem;
use mspdesk_domain::ClientId;
use serde::Deserialize;

use super::{create, mutate, page_size, parse_id, read, Query};
use crate::auth::{ClientAdmin, MspAdmin};
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IdempotencyKey, IfMatch};
use crate::store::audit::Action;
use crate::store::clients;
use crate::AppState;

/// Creates a client. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/clients", tag = "msp", security(("bearer" = [])), request_body = CreateClient,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = Client, headers(("ETag" = String))), (status = 422, body = Problem), (status = 400, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn create_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateClient>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    create(
        &state,
        auth,
        &key,
        "POST /clients",
        &body,
        Action::ClientCreate,
        async |tx| {
            let client = clients::create(tx, &new).await?;
            let id = client.id.to_string();
            Ok((client, id))
        },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search text, matched against company name and contact e-mail.
    q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The MSP's clients with server and user counts and compliance, by company name.
#[utoipa::path(get, path = "/clients", tag = "msp", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<ClientSummary>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn list_clients(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let limit = page_size(query.limit)?;
    read(&state, auth, async |tx| {
        clients::list(tx, query.q.as_deref(), limit, query.cursor.as_deref()).await
    })
    .await
}

/// One client with quotas, usage and compliance.
#[utoipa::path(get, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Client, headers(("ETag" = String))), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn get_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: ClientId = parse_id(&id)?;
    read(&state, auth, async |tx| clients::get(tx, id).await).await
}

/// Changes a client's name, contact or plan. Needs `If-Match`.
#[utoipa::path(patch, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), request_body = UpdateClient,
    params(("id" = Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Client), (status = 412, body = Problem), (status = 428, body = Problem), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn update_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(body): Body<UpdateClient>,
) -> AppResult<Response> {
    let id: ClientId = parse_id(&id)?;
    let changes = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let client = mutate(&state, auth, Action::ClientUpdate, async |tx| {
        Ok((
            clients::update(tx, id, &changes, version).await?,
            id.to_string(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &client)
}

/// Replaces a client's quotas. Needs `If-Match`. Lowering below usage removes nothing.
#[utoipa::path(put, path = "/clients/{id}/quotas", tag = "msp", security(("bearer" = [])), request_body = QuotasInput,
    params(("id" = Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Client), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn set_quotas(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
    if_match: IfMatch,
    Body(body): Body<QuotasInput>,
) -> AppResult<Response> {
    let id: ClientId = parse_id(&id)?;
    let quotas = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let client = mutate(&state, auth, Action::ClientQuotas, async |tx| {
        Ok((
            clients::set_quotas(tx, id, &quotas, version).await?,
            id.to_string(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &client)
}

/// Deletes a client that has no servers.
#[utoipa::path(delete, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn delete_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: ClientId = parse_id(&id)?;
    mutate(&state, auth, Action::ClientDelete, async |tx| {
        clients::delete(tx, id).await?;
        Ok(((), id.to_string()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's own record: quotas, usage, compliance.
#[utoipa::path(get, path = "/tenant", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Client), (status = 401, body = Problem), (status = 403, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn own_tenant(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| clients::own(tx).await).await
}
