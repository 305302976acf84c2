//! Plans and the price table.

use mspdesk_api::types::{Plan, Price, PriceSnapshot};
use mspdesk_domain::Provider;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{currency, quotas_from};
use crate::db::TenantTx;
use crate::error::AppResult;

type PlanRow = (
    Uuid,
    String,
    Decimal,
    String,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
);

fn plan(r: PlanRow) -> AppResult<Plan> {
    Ok(Plan {
        id: r.0,
        name: r.1,
        license_fee_per_instance: r.2,
        currency: currency(&r.3)?,
        default_quotas: quotas_from([r.4, r.5, r.6, r.7]),
    })
}

const PLAN_COLUMNS: &str =
    "id, name, license_fee, currency, max_servers, max_users, max_apps_per_server, storage_quota_gb";

/// The MSP's plans, cheapest first.
pub async fn list(tx: &mut TenantTx) -> AppResult<Vec<Plan>> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM plans WHERE tenant_id = $1 ORDER BY license_fee, name"
    ))
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(plan).collect()
}

/// Those of `ids` that are the MSP's plans.
pub async fn by_ids(tx: &mut TenantTx, ids: &[Uuid]) -> AppResult<Vec<Plan>> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM plans WHERE tenant_id = $1 AND id = ANY($2)"
    ))
    .bind(tx.msp().as_uuid())
    .bind(ids)
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(plan).collect()
}

/// One of the MSP's plans.
pub async fn get(tx: &mut TenantTx, id: Uuid) -> AppResult<Option<Plan>> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM plans WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tx.msp().as_uuid())
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    row.map(plan).transpose()
}

type PriceRow = (String, String, String, Decimal, Decimal, String);

/// The MSP's price table.
pub async fn prices(tx: &mut TenantTx) -> AppResult<Vec<Price>> {
    let rows: Vec<PriceRow> = sqlx::query_as(
        "SELECT provider, server_type, description, hourly, monthly, currency FROM prices
         WHERE tenant_id = $1 ORDER BY provider, monthly, server_type",
    )
    .bind(tx.msp().as_uuid())
    .fetch_all(tx.conn())
    .await?;
    price_list(rows)
}

/// Those of the MSP's prices whose `provider/server_type` is one of `keys`.
pub async fn prices_by_keys(tx: &mut TenantTx, keys: &[&str]) -> AppResult<Vec<Price>> {
    let rows: Vec<PriceRow> = sqlx::query_as(
        "SELECT provider, server_type, description, hourly, monthly, currency FROM prices
         WHERE tenant_id = $1 AND provider || '/' || server_type = ANY($2)",
    )
    .bind(tx.msp().as_uuid())
    .bind(keys)
    .fetch_all(tx.conn())
    .await?;
    price_list(rows)
}

fn price_list(rows: Vec<PriceRow>) -> AppResult<Vec<Price>> {
    let mut prices = Vec::with_capacity(rows.len());
    for (provider, server_type, description, hourly, monthly, code) in rows {
        let Some(provider) = Provider::parse(&provider) else {
            continue;
        };
        prices.push(Price {
            provider,
            server_type,
            description,
            price: PriceSnapshot {
                hourly,
                monthly,
                currency: currency(&code)?,
            },
        });
    }
    Ok(prices)
}

/// The current price of a server type in the price table of the MSP of the transaction's
/// client tenant.
pub async fn price_for_client(
    tx: &mut TenantTx,
    provider: Provider,
    server_type: &str,
) -> AppResult<Option<PriceSnapshot>> {
    let row: Option<(Decimal, Decimal, String)> = sqlx::query_as(
        "SELECT p.hourly, p.monthly, p.currency FROM prices p
         WHERE p.tenant_id = $1 AND p.provider = $2 AND p.server_type = $3",
    )
    .bind(tx.msp().as_uuid())
    .bind(provider.as_str())
    .bind(server_type)
    .fetch_optional(tx.conn())
    .await?;
    row.map(|(hourly, monthly, code)| {
        Ok(PriceSnapshot {
            hourly,
            monthly,
            currency: currency(&code)?,
        })
    })
    .transpose()
}
