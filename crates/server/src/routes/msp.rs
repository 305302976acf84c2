//! MSP scope: plans, prices, FX, clients, quotas, billing, audit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use mspdesk_api::types::{
    AuditEntry, Client, ClientSummary, CreateClient, FxTableBody, List, Page, Plan, Price,
    QuotasInput, UpdateClient, UpdateFx, UpdatePrice,
};
use mspdesk_api::Problem;
use mspdesk_domain::{BillingReport, ClientId, Period, Provider};
use serde::Deserialize;

use super::{parse_id, Query};
use crate::auth::MspAdmin;
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::extract::{json_response, respond, to_value, Body, IdempotencyKey, IfMatch};
use crate::store::idempotency::{self, Begun};
use crate::store::{audit, billing, clients, plans};
use crate::AppState;

/// The MSP's licensing plans.
#[utoipa::path(get, path = "/plans", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = List<Plan>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn plans(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let items = plans::list(&mut tx).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &List { items })
}

/// The MSP's price table of provider server types.
#[utoipa::path(get, path = "/prices", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = List<Price>), (status = 401, body = Problem)))]
pub async fn prices(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let items = plans::prices(&mut tx).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &List { items })
}

/// Creates a client. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/clients", tag = "msp", security(("bearer" = [])), request_body = CreateClient,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 201, body = Client, headers(("ETag" = String))), (status = 422, body = Problem), (status = 400, body = Problem)))]
pub async fn create_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateClient>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let claimed = match idempotency::begin(&mut tx, key.as_deref(), "POST /clients", &body).await? {
        Begun::Replay(status, stored) => return Ok(json_response(status, &stored)),
        Begun::Fresh(claimed) => claimed,
    };
    let client = clients::create(&mut tx, &new).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "client.create",
        "client",
        &client.id.to_string(),
    )
    .await?;
    let value = to_value(&client)?;
    idempotency::finish(&mut tx, claimed, StatusCode::CREATED, &value).await?;
    tx.commit().await?;
    Ok(json_response(StatusCode::CREATED, &value))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Search text, matched against company name and contact e-mail.
    q: Option<String>,
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

const MAX_PAGE: u32 = 500;

fn page_size(limit: Option<u32>, default: u32) -> AppResult<u32> {
    match limit.unwrap_or(default) {
        n @ 1..=MAX_PAGE => Ok(n),
        _ => Err(AppError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE}"
        ))),
    }
}

/// The MSP's clients with server and user counts and compliance, by company name.
#[utoipa::path(get, path = "/clients", tag = "msp", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = Page<ClientSummary>)))]
pub async fn list_clients(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let limit = page_size(query.limit, 100)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let page = clients::list(&mut tx, query.q.as_deref(), limit, query.cursor.as_deref()).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &page)
}

/// One client with quotas, usage and compliance.
#[utoipa::path(get, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Client, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn get_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: ClientId = parse_id(&id)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let client = clients::get(&mut tx, id).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &client)
}

/// Changes a client's name, contact or plan. Needs `If-Match`.
#[utoipa::path(patch, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), request_body = UpdateClient,
    params(("id" = Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Client), (status = 412, body = Problem), (status = 428, body = Problem), (status = 404, body = Problem)))]
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
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let client = clients::update(&mut tx, id, &changes, version).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "client.update",
        "client",
        &id.to_string(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &client)
}

/// Replaces a client's quotas. Needs `If-Match`. Lowering below usage removes nothing.
#[utoipa::path(put, path = "/clients/{id}/quotas", tag = "msp", security(("bearer" = [])), request_body = QuotasInput,
    params(("id" = Uuid, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = Client), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
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
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let client = clients::set_quotas(&mut tx, id, &quotas, version).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "client.quotas",
        "client",
        &id.to_string(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &client)
}

/// Deletes a client that has no servers.
#[utoipa::path(delete, path = "/clients/{id}", tag = "msp", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_client(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: ClientId = parse_id(&id)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    clients::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "client.delete",
        "client",
        &id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Page size, 1 to 500 (default 100).
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The audit trail of the MSP and its clients, newest first.
#[utoipa::path(get, path = "/audit", tag = "msp", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>)))]
pub async fn audit(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    let limit = page_size(query.limit, 100)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let page = audit::list(&mut tx, limit, query.cursor.as_deref()).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &page)
}

/// Sets a server type's price (adding it if new). Instances registered from now on get the new
/// price; existing ones keep the snapshot taken at their registration.
#[utoipa::path(put, path = "/prices/{provider}/{server_type}", tag = "msp", security(("bearer" = [])),
    params(("provider" = Provider, Path), ("server_type" = String, Path)), request_body = UpdatePrice,
    responses((status = 200, body = Price), (status = 422, body = Problem), (status = 404, body = Problem)))]
pub async fn set_price(
    State(state): State<AppState>,
    auth: MspAdmin,
    Path((provider, server_type)): Path<(String, String)>,
    Body(body): Body<UpdatePrice>,
) -> AppResult<Response> {
    let provider = match Provider::parse(&provider) {
        Some(p @ (Provider::Hetzner | Provider::Digitalocean)) => p,
        // `other` instances carry their own price; there is no table for them.
        _ => return Err(AppError::NotFound),
    };
    let server_type = mspdesk_domain::Label::parse(&server_type)
        .map_err(|e| AppError::validation("server_type", e))?;
    let new = body.validate().map_err(AppError::Validation)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let price = billing::set_price(&mut tx, provider, server_type.as_str(), &new).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "price.update",
        "price",
        &format!("{provider}/{server_type}"),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &price)
}

/// The MSP's billing currency and exchange rates.
#[utoipa::path(get, path = "/fx", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = FxTableBody)))]
pub async fn get_fx(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let fx = billing::fx_body(&mut tx).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &fx)
}

/// Replaces the billing currency and exchange rates.
#[utoipa::path(put, path = "/fx", tag = "msp", security(("bearer" = [])), request_body = UpdateFx,
    responses((status = 200, body = FxTableBody), (status = 422, body = Problem)))]
pub async fn put_fx(
    State(state): State<AppState>,
    auth: MspAdmin,
    Body(body): Body<UpdateFx>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let fx = billing::set_fx(&mut tx, &new).await?;
    audit::record(&mut tx, auth.actor, "fx.update", "fx", new.currency.code()).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &fx)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// A calendar month, `YYYY-MM` (UTC).
    period: String,
    /// One client; omitted: all clients.
    client_id: Option<String>,
}

/// The billing report for a month: per client (server count, hosting costs, license fees,
/// total, with one line per instance) and the grand total, in the MSP's billing currency.
#[utoipa::path(get, path = "/billing/report", tag = "msp", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = BillingReport), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn billing_report(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<ReportQuery>,
) -> AppResult<Response> {
    let period =
        Period::parse(&query.period).map_err(|e| AppError::BadRequest(format!("period {e}")))?;
    let client: Option<ClientId> = query.client_id.as_deref().map(parse_id).transpose()?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let report = billing::report(&mut tx, period, client, Utc::now()).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &report)
}
