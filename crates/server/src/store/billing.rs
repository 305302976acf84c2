//! Billing data: the MSP's FX table and price edits, and the inputs of billing reports (its
//! clients' instances with their price snapshots). The maths is in crates/domain.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mspdesk_api::types::{FxTableBody, NewFx, NewPrice, Price};
use mspdesk_domain::{
    billing_report, parse_currency, BillingReport, ClientBillingInput, ClientId, Currency, FxRate,
    FxTable, Money, Period, PricedInstance, Provider,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// The MSP's billing currency and rates.
pub async fn fx(tx: &mut TenantTx) -> AppResult<FxTable> {
    let tenant = tx.tenant().as_uuid();
    let base: String = sqlx::query_scalar("SELECT billing_currency FROM providers WHERE id = $1")
        .bind(tenant)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    let base = parse_currency(&base).map_err(|e| AppError::Internal(e.to_string()))?;
    let rows: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT currency, rate FROM fx_rates WHERE tenant_id = $1 ORDER BY currency",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    let mut table = FxTable::new(base);
    for (code, rate) in rows {
        if let Ok(c) = parse_currency(&code) {
            table = table.with_rate(c, rate);
        }
    }
    Ok(table)
}

pub async fn fx_body(tx: &mut TenantTx) -> AppResult<FxTableBody> {
    let tenant = tx.tenant().as_uuid();
    let currency: String =
        sqlx::query_scalar("SELECT billing_currency FROM providers WHERE id = $1")
            .bind(tenant)
            .fetch_one(tx.conn())
            .await?;
    let rows: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT currency, rate FROM fx_rates WHERE tenant_id = $1 ORDER BY currency",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?;
    Ok(FxTableBody {
        currency,
        rates: rows
            .into_iter()
            .map(|(currency, rate)| FxRate { currency, rate })
            .collect(),
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
        "INSERT INTO prices (tenant_id, provider, server_type, description, hourly, monthly, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, provider, server_type) DO UPDATE SET
             description = CASE WHEN $4 = '' THEN prices.description ELSE $4 END,
             hourly = $5, monthly = $6, currency = $7, updated_at = now()",
    )
    .bind(tx.tenant().as_uuid())
    .bind(provider.as_str())
    .bind(server_type)
    .bind(&new.description)
    .bind(new.price.hourly)
    .bind(new.price.monthly)
    .bind(&new.price.currency)
    .execute(tx.conn())
    .await?;
    super::plans::prices(tx)
        .await?
        .into_iter()
        .find(|p| p.provider == provider && p.server_type == server_type)
        .ok_or_else(|| AppError::Internal("the price just written is missing".into()))
}

#[derive(Debug, sqlx::FromRow)]
struct ClientRow {
    id: Uuid,
    company_name: String,
    plan_name: String,
    license_fee: Decimal,
    currency: String,
}

#[derive(Debug, sqlx::FromRow)]
struct InstanceRow {
    tenant_id: Uuid,
    id: Uuid,
    name: String,
    provider: String,
    server_type: String,
    hourly: Decimal,
    monthly: Decimal,
    currency: String,
    created_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

/// Billing inputs of the MSP's clients (all, or those in `only`), with their instances active
/// in `period`, ordered by company name.
pub async fn inputs(
    tx: &mut TenantTx,
    period: Period,
    only: Option<&[Uuid]>,
) -> AppResult<Vec<ClientBillingInput>> {
    let tenant = tx.tenant().as_uuid();
    let clients: Vec<ClientRow> = sqlx::query_as(
        "SELECT c.id, c.company_name, p.name AS plan_name, p.license_fee, p.currency
         FROM clients c JOIN plans p ON p.id = c.plan_id
         WHERE c.tenant_id = $1 AND ($2::uuid[] IS NULL OR c.id = ANY($2))
         ORDER BY lower(c.company_name), c.id",
    )
    .bind(tenant)
    .bind(only)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<Uuid> = clients.iter().map(|c| c.id).collect();
    let rows: Vec<InstanceRow> = sqlx::query_as(
        "SELECT s.tenant_id, s.id, s.name, s.provider, s.server_type, s.hourly, s.monthly, s.currency,
                s.created_at, s.deleted_at
         FROM servers s
         WHERE s.tenant_id = ANY($1) AND s.created_at < $3 AND (s.deleted_at IS NULL OR s.deleted_at > $2)
         ORDER BY s.created_at, s.id",
    )
    .bind(&ids)
    .bind(period.start())
    .bind(period.end())
    .fetch_all(tx.conn())
    .await?;
    let mut by_client: HashMap<Uuid, Vec<PricedInstance>> = HashMap::new();
    for r in rows {
        let provider = Provider::parse(&r.provider).ok_or_else(|| {
            AppError::Internal(format!("server {} has provider {}", r.id, r.provider))
        })?;
        let currency =
            parse_currency(&r.currency).map_err(|e| AppError::Internal(e.to_string()))?;
        by_client
            .entry(r.tenant_id)
            .or_default()
            .push(PricedInstance {
                id: r.id,
                name: r.name,
                provider,
                server_type: r.server_type,
                hourly: r.hourly,
                monthly: r.monthly,
                currency,
                created_at: r.created_at,
                deleted_at: r.deleted_at,
            });
    }
    clients
        .into_iter()
        .map(|c| {
            let currency: Currency =
                parse_currency(&c.currency).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(ClientBillingInput {
                instances: by_client.remove(&c.id).unwrap_or_default(),
                client_id: c.id,
                company_name: c.company_name,
                plan_name: c.plan_name,
                license_fee: Money::new(c.license_fee, currency),
            })
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
    let only = client.map(|c| vec![c.as_uuid()]);
    let inputs = inputs(tx, period, only.as_deref()).await?;
    if client.is_some() && inputs.is_empty() {
        return Err(AppError::NotFound);
    }
    let fx = fx(tx).await?;
    billing_report(&inputs, period, now, &fx).map_err(|e| AppError::validation("fx", e))
}

/// The current month to date for each of `clients` (None where an exchange rate is missing).
pub async fn month_to_date(
    tx: &mut TenantTx,
    clients: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, Option<Money>>> {
    let period = Period::containing(now);
    let inputs = inputs(tx, period, Some(clients)).await?;
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
