//! Provisioning: the template library, and new MSPs with their first operator, plans and
//! price table.

use mspdesk_api::types::ChangeKind;
use mspdesk_domain::{Email, TenantId, DEFAULT_PLANS, DEFAULT_PRICES, TEMPLATES};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use super::changes::{msp_upsert, FX_ID};
use super::quota_col;
use crate::db::{Scope, TenantTx};
use crate::error::{AppError, AppResult};

/// Brings the `templates` table in line with the library in crates/domain (as the owner role:
/// the library is not tenant data).
pub async fn sync_templates(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for t in TEMPLATES {
        sqlx::query(
            "INSERT INTO templates (id, name, category, description, size_mb) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET name = $2, category = $3, description = $4, size_mb = $5",
        )
        .bind(t.id)
        .bind(t.name)
        .bind(t.category)
        .bind(t.description)
        .bind(i32::try_from(t.size_mb).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// A newly provisioned MSP.
#[derive(Debug, Clone, Copy)]
pub struct NewMsp {
    pub tenant: TenantId,
    pub operator: Uuid,
}

/// Creates an MSP (a provider tenant) with its first operator, the default plans and the
/// default price table. The password is hashed here; it is never stored or logged in clear.
pub async fn create_msp(
    pool: &PgPool,
    name: &str,
    email: &Email,
    password: &SecretString,
) -> AppResult<NewMsp> {
    if password.expose_secret().chars().count() < 12 {
        return Err(AppError::validation(
            "password",
            "must be at least 12 characters",
        ));
    }
    let password = password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let tenant = TenantId::new();
    let operator = Uuid::now_v7();
    let mut tx = TenantTx::begin(pool, Scope::msp(tenant)).await?;
    sqlx::query("INSERT INTO providers (id, name) VALUES ($1, $2)")
        .bind(tenant.as_uuid())
        .bind(name)
        .execute(tx.conn())
        .await?;
    super::operators::insert(&mut tx, operator, email, &hash).await?;
    for plan in DEFAULT_PLANS {
        let fee: Decimal = plan.license_fee_per_instance.parse().unwrap_or_default();
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO plans (tenant_id, id, name, license_fee, currency, max_servers, max_users,
                                max_apps_per_server, storage_quota_gb)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tenant.as_uuid())
        .bind(id)
        .bind(plan.name)
        .bind(fee)
        .bind(plan.currency)
        .bind(quota_col(plan.quotas.max_servers))
        .bind(quota_col(plan.quotas.max_users))
        .bind(quota_col(plan.quotas.max_apps_per_server))
        .bind(quota_col(plan.quotas.storage_quota_gb))
        .execute(tx.conn())
        .await?;
        msp_upsert(&mut tx, ChangeKind::Plan, id);
    }
    for price in DEFAULT_PRICES {
        let (hourly, monthly) = price.amounts();
        sqlx::query(
            "INSERT INTO prices (tenant_id, provider, server_type, description, hourly, monthly, currency)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant.as_uuid())
        .bind(price.provider.as_str())
        .bind(price.server_type)
        .bind(price.description)
        .bind(hourly)
        .bind(monthly)
        .bind(price.currency)
        .execute(tx.conn())
        .await?;
        msp_upsert(
            &mut tx,
            ChangeKind::Price,
            format!("{}/{}", price.provider, price.server_type),
        );
    }
    // A starting rate so that DigitalOcean's USD prices can be billed in EUR from day one
    // (ECB reference rate, January 2025); the MSP maintains its table with PUT /fx.
    sqlx::query("INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, 'USD', 0.96)")
        .bind(tenant.as_uuid())
        .execute(tx.conn())
        .await?;
    msp_upsert(&mut tx, ChangeKind::Fx, FX_ID);
    tx.commit().await?;
    Ok(NewMsp { tenant, operator })
}
