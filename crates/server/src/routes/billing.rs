//! The billing report.

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use mspdesk_api::Problem;
use mspdesk_domain::{BillingReport, ClientId, Period};
use serde::Deserialize;

use super::{parse_id, read, Query};
use crate::auth::MspAdmin;
use crate::error::{AppError, AppResult};
use crate::store::billing;
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn billing_report(
    State(state): State<AppState>,
    auth: MspAdmin,
    Query(query): Query<ReportQuery>,
) -> AppResult<Response> {
    let period =
        Period::parse(&query.period).map_err(|e| AppError::BadRequest(format!("period {e}")))?;
    let client: Option<ClientId> = query.client_id.as_deref().map(parse_id).transpose()?;
    read(&state, auth, async |tx| {
        billing::report(tx, period, client, Utc::now()).await
    })
    .await
}
