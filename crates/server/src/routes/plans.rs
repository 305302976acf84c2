//! Plans, the price table and exchange rates (MSP scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{FxTableBody, List, Plan, Price, UpdateFx, UpdatePrice};
use mspdesk_api::Problem;
use mspdesk_domain::Provider;

use super::{mutate, read};
use crate::auth::MspAdmin;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body};
use crate::store::audit::Action;
use crate::store::{billing, plans};
use crate::AppState;

/// The MSP's licensing plans.
#[utoipa::path(get, path = "/plans", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = List<Plan>), (status = 401, body = Problem), (status = 403, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn plans(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: plans::list(tx).await?,
        })
    })
    .await
}

/// The MSP's price table of provider server types.
#[utoipa::path(get, path = "/prices", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = List<Price>), (status = 401, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn prices(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: plans::prices(tx).await?,
        })
    })
    .await
}

/// Sets a server type's price (adding it if new). Instances registered from now on get the new
/// price; existing ones keep the snapshot taken at their registration.
#[utoipa::path(put, path = "/prices/{provider}/{server_type}", tag = "msp", security(("bearer" = [])),
    params(("provider" = Provider, Path), ("server_type" = String, Path)), request_body = UpdatePrice,
    responses((status = 200, body = Price), (status = 422, body = Problem), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
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
    let price = mutate(&state, auth, Action::PriceUpdate, async |tx| {
        Ok((
            billing::set_price(tx, provider, server_type.as_str(), &new).await?,
            format!("{provider}/{server_type}"),
        ))
    })
    .await?;
    respond(StatusCode::OK, &price)
}

/// The MSP's billing currency and exchange rates.
#[utoipa::path(get, path = "/fx", tag = "msp", security(("bearer" = [])),
    responses((status = 200, body = FxTableBody)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn get_fx(State(state): State<AppState>, auth: MspAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| billing::fx_body(tx).await).await
}

/// Replaces the billing currency and exchange rates.
#[utoipa::path(put, path = "/fx", tag = "msp", security(("bearer" = [])), request_body = UpdateFx,
    responses((status = 200, body = FxTableBody), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn put_fx(
    State(state): State<AppState>,
    auth: MspAdmin,
    Body(body): Body<UpdateFx>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let fx = mutate(&state, auth, Action::FxUpdate, async |tx| {
        Ok((
            billing::set_fx(tx, &new).await?,
            new.currency.code().to_owned(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &fx)
}
