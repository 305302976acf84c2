//! Billing data: the MSP's FX table and price edits, and the inputs of billing reports (its
//! clients' instances with their price snapshots). The maths is in crates/domain.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mspdesk_api::types::{
    client_billing_input, BilledClient, ChangeKind, FxRateBody, FxTableBody, NewFx, NewPrice, Price,
};
use mspdesk_domain::{
    billing_report, BillingReport, ClientBillingInput, ClientId, FxTable, Money, Period, Provider,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::currency;
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// The MSP's billing currency and rates, for the billing maths.
pub async fn fx(tx: &mut TenantTx) -> AppResult<FxTable> {
    Ok(FxTable::from(&fx_body(tx).await?))
}

/// The MSP's billing currency and rates, as served.
pub async fn fx_body(tx: &mut TenantTx) -> AppResult<FxTableBody> {
    let tenant = tx.tenant().as_uuid();
    let base: String = sqlx::query_scalar("SELECT billing_currency FROM providers WHERE id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    let rows: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT currency, rate FROM fx_rates WHERE tenant_id = $1 ORDER BY currency",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    Ok(FxTableBody {
        currency: currency(&base)?,
        rates: rows
            .into_iter()
            .map(|(code, rate)| {
                Ok(FxRateBody {
                    currency: currency(&code)?,
                    rate,
                })
            })
            .collect::<AppResult<_>>()?,
    })
}

/// Replaces the billing currency and every rate.
pub async fn set_fx(tx: &mut TenantTx, new: &NewFx) -> AppResult<FxTableBody> {
    let tenant = tx.tenant().as_uuid();
    sqlx::query("UPDATE providers SET billing_currency = $2 WHERE id = $1")
        .bind(tenant)
        .bind(new.currency.code())
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM fx_rates WHERE tenant_id = $1")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    super::changes::msp_upsert(tx, ChangeKind::Fx, super::changes::FX_ID);
    for (currency, rate) in &new.rates {
        sqlx::query("INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(currency.code())
            .bind(rate)
            .execute(tx.conn())
            .await?;
    }
    fx_body(tx).await
}

/// Sets (or adds) a server type's price in the MSP's table.
pub async fn set_price(
    tx: &mut TenantTx,
    provider: Provider,
    server_type: &str,
    new: &NewPrice,
) -> AppResult<Price> {
    sqlx::query(
        "INSERT INTO prices (tenant_id, provider, server_type, description, hourly, monthly, currency,
                             updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (tenant_id, provider, server_type) DO UPDATE SET
             description = CASE WHEN $4 = '' THEN prices.description ELSE $4 END,
             hourly = $5, monthly = $6, currency = $7, updated_at = excluded.updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(provider.as_str())
    .bind(server_type)
    .bind(&new.description)
    .bind(new.price.hourly)
    .bind(new.price.monthly)
    .bind(new.price.currency.code())
    .execute(tx.conn())
    .await?;
    super::changes::msp_upsert(tx, ChangeKind::Price, format!("{provider}/{server_type}"));
    super::plans::prices(tx)
        .await?
        .into_iter()
        .find(|p| p.provider == provider && p.server_type == server_type)
        .ok_or_else(|| AppError::Internal("the price just written is missing".into()))
}

/// Billing inputs of `clients` (the MSP's), with their instances active in `period`, built
/// from the API bodies through the same conversions the desk uses.
pub async fn inputs(
    tx: &mut TenantTx,
    period: Period,
    clients: &[impl BilledClient],
) -> AppResult<Vec<ClientBillingInput>> {
    let plans = super::plans::list(tx).await?;
    let ids: Vec<Uuid> = clients.iter().map(|c| c.client_id().as_uuid()).collect();
    let servers = super::servers::active_for_clients(tx, &ids, period).await?;
    clients
        .iter()
        .map(|c| {
            let instances = servers
                .get(&c.client_id().as_uuid())
                .map_or(&[][..], Vec::as_slice);
            client_billing_input(c, &plans, instances)
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .collect()
}

/// The billing report of the MSP's clients (or one client) for `period`, counting activity
/// up to `now` for the current month.
pub async fn report(
    tx: &mut TenantTx,
    period: Period,
    client: Option<ClientId>,
    now: DateTime<Utc>,
) -> AppResult<BillingReport> {
    let clients = match client {
        // Another MSP's client is not found.
        Some(id) => vec![super::clients::get(tx, id).await?],
        None => super::clients::all(tx).await?,
    };
    let inputs = inputs(tx, period, &clients).await?;
    let fx = fx(tx).await?;
    billing_report(&inputs, period, now, &fx).map_err(|e| AppError::validation("fx", e))
}

/// The current month to date for each of `clients` (None where an exchange rate is missing).
pub async fn month_to_date(
    tx: &mut TenantTx,
    clients: &[impl BilledClient],
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, Option<Money>>> {
    let period = Period::containing(now);
    let inputs = inputs(tx, period, clients).await?;
    let fx = fx(tx).await?;
    Ok(inputs
        .iter()
        .map(|input| {
            let total = billing_report(std::slice::from_ref(input), period, now, &fx)
                .ok()
                .map(|r| Money::new(r.total, fx.base()));
            (input.client_id, total)
        })
        .collect())
}
