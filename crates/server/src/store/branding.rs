//! A client's white-label branding. A client without stored branding has empty branding at
//! version 1.

use mspdesk_api::types::{Branding, NewBranding};

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

#[derive(Debug, sqlx::FromRow)]
struct Row {
    company_name: Option<String>,
    logo_url: Option<String>,
    favicon_url: Option<String>,
    primary_color: Option<String>,
    secondary_color: Option<String>,
    accent_color: Option<String>,
    custom_domain: Option<String>,
    custom_css: Option<String>,
    version: i64,
}

impl From<Row> for Branding {
    fn from(r: Row) -> Self {
        Branding {
            company_name: r.company_name,
            logo_url: r.logo_url,
            favicon_url: r.favicon_url,
            primary_color: r.primary_color,
            secondary_color: r.secondary_color,
            accent_color: r.accent_color,
            custom_domain: r.custom_domain,
            custom_css: r.custom_css,
            version: r.version,
        }
    }
}

const COLUMNS: &str = "company_name, logo_url, favicon_url, primary_color, secondary_color, accent_color, custom_domain, custom_css, version";

pub async fn get(tx: &mut TenantTx) -> AppResult<Branding> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM branding WHERE tenant_id = $1"
    ))
    .bind(tx.tenant().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Branding::from).unwrap_or(Branding {
        version: 1,
        ..Branding::default()
    }))
}

/// Replaces the branding if `version` is current (412 otherwise). A custom domain that another
/// client uses is a 409 conflict on `custom_domain`.
pub async fn put(tx: &mut TenantTx, new: &NewBranding, version: i64) -> AppResult<Branding> {
    tx.lock("branding").await?;
    let current = get(tx).await?;
    if current.version != version {
        return Err(AppError::VersionConflict(current.version));
    }
    let text = |v: &Option<String>| v.clone();
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO branding (tenant_id, company_name, logo_url, favicon_url, primary_color,
                               secondary_color, accent_color, custom_domain, custom_css, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10 + 1)
         ON CONFLICT (tenant_id) DO UPDATE SET
             company_name = $2, logo_url = $3, favicon_url = $4, primary_color = $5,
             secondary_color = $6, accent_color = $7, custom_domain = $8, custom_css = $9,
             version = branding.version + 1, updated_at = now()
         RETURNING {COLUMNS}"
    ))
    .bind(tx.tenant().as_uuid())
    .bind(new.company_name.as_ref().map(|v| v.as_str().to_owned()))
    .bind(new.logo_url.as_ref().map(|v| v.as_str().to_owned()))
    .bind(new.favicon_url.as_ref().map(|v| v.as_str().to_owned()))
    .bind(new.primary_color.map(|c| c.to_string()))
    .bind(new.secondary_color.map(|c| c.to_string()))
    .bind(new.accent_color.map(|c| c.to_string()))
    .bind(new.custom_domain.as_ref().map(|d| d.as_str().to_owned()))
    .bind(text(&new.custom_css))
    .bind(version)
    .fetch_one(tx.conn())
    .await?;
    Ok(row.into())
}
