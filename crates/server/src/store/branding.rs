//! A client's white-label branding. A client without stored branding has empty branding at
//! version 1.

use mspdesk_api::types::{
    asset_path, asset_sha256, no_upload_error, Branding, ChangeKind, ChangeOp, ImageRef,
    NewBranding,
};
use mspdesk_domain::{AssetKind, CheckedImage};
use uuid::Uuid;

use super::domains::{self, ClaimCols, CLAIM_COLUMNS, CLAIM_JOINS};
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
    #[sqlx(flatten)]
    claim: ClaimCols,
}

impl Row {
    /// The branding of `tenant` (the client it belongs to).
    fn into_branding(self, tenant: Uuid) -> Branding {
        let custom_domain_verification = self
            .claim
            .verification(tenant, self.custom_domain.as_deref());
        Branding {
            company_name: self.company_name,
            logo_url: self.logo_url,
            favicon_url: self.favicon_url,
            primary_color: self.primary_color,
            secondary_color: self.secondary_color,
            accent_color: self.accent_color,
            custom_domain: self.custom_domain,
            custom_css: self.custom_css,
            version: self.version,
            custom_domain_verification,
            warnings: Vec::new(),
        }
        .with_warnings()
    }
}

/// The branding columns of `b` but its version (which [`of_clients`] reads with a default).
const COLUMNS: &str = "b.company_name, b.logo_url, b.favicon_url, b.primary_color,
    b.secondary_color, b.accent_color, b.custom_domain, b.custom_css";

pub async fn get(tx: &mut TenantTx) -> AppResult<Branding> {
    let tenant = tx.tenant().as_uuid();
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, b.version, {CLAIM_COLUMNS} FROM branding b {CLAIM_JOINS}
         WHERE b.msp_id = $2 AND b.tenant_id = $1"
    ))
    .bind(tenant)
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map_or_else(
        || Branding {
            version: 1,
            ..Branding::default()
        },
        |r| r.into_branding(tenant),
    ))
}

#[derive(Debug, sqlx::FromRow)]
struct ClientRow {
    client: Uuid,
    #[sqlx(flatten)]
    row: Row,
}

/// The branding of those of `clients` that are the MSP's clients, by client (unstored
/// branding reads as empty at version 1, like [`get`]).
pub async fn of_clients(tx: &mut TenantTx, clients: &[Uuid]) -> AppResult<Vec<(Uuid, Branding)>> {
    let rows: Vec<ClientRow> = sqlx::query_as(&format!(
        "SELECT c.id AS client, {COLUMNS}, coalesce(b.version, 1) AS version, {CLAIM_COLUMNS}
         FROM clients c
         LEFT JOIN branding b ON b.msp_id = $1 AND b.tenant_id = c.id {CLAIM_JOINS}
         WHERE c.tenant_id = $1 AND c.id = ANY($2)"
    ))
    .bind(tx.msp().as_uuid())
    .bind(clients)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.client, r.row.into_branding(r.client)))
        .collect())
}

/// Replaces the branding if `version` is current (412 otherwise). A custom domain that another
/// client has verified is a 409 conflict on `custom_domain`; see [`domains::follow_change`].
pub async fn put(tx: &mut TenantTx, new: &NewBranding, version: i64) -> AppResult<Branding> {
    tx.lock("branding").await?;
    let current = get(tx).await?;
    if current.version != version {
        return Err(AppError::VersionConflict(current.version));
    }
    let logo_url = image_url(tx, AssetKind::Logo, new.logo_url.as_ref()).await?;
    let favicon_url = image_url(tx, AssetKind::Favicon, new.favicon_url.as_ref()).await?;
    domains::follow_change(
        tx,
        current.custom_domain.as_deref(),
        new.custom_domain.as_ref(),
    )
    .await?;
    sqlx::query(
        "INSERT INTO branding (tenant_id, company_name, logo_url, favicon_url, primary_color,
                               secondary_color, accent_color, custom_domain, custom_css, version,
                               msp_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10 + 1, $11, now())
         ON CONFLICT (msp_id, tenant_id) DO UPDATE SET
             company_name = $2, logo_url = $3, favicon_url = $4, primary_color = $5,
             secondary_color = $6, accent_color = $7, custom_domain = $8, custom_css = $9,
             version = branding.version + 1, updated_at = excluded.updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(new.company_name.as_ref().map(|v| v.as_str().to_owned()))
    .bind(logo_url)
    .bind(favicon_url)
    .bind(new.primary_color.map(|c| c.to_string()))
    .bind(new.secondary_color.map(|c| c.to_string()))
    .bind(new.accent_color.map(|c| c.to_string()))
    .bind(new.custom_domain.as_ref().map(|d| d.as_str().to_owned()))
    .bind(new.custom_css.as_ref().map(|c| c.as_str().to_owned()))
    .bind(version)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let client = tx.tenant().as_uuid();
    super::changes::own(tx, ChangeKind::Branding, client, ChangeOp::Upsert);
    get(tx).await
}

/// The URL to store for a logo or favicon: an https URL as given, or the path of the tenant's
/// uploaded image (which must exist).
async fn image_url(
    tx: &mut TenantTx,
    kind: AssetKind,
    image: Option<&ImageRef>,
) -> AppResult<Option<String>> {
    match image {
        None => Ok(None),
        Some(ImageRef::Url(url)) => Ok(Some(url.as_str().to_owned())),
        Some(ImageRef::Uploaded) => {
            let sha: Option<String> = sqlx::query_scalar(
                "SELECT sha256 FROM branding_assets WHERE msp_id = $3 AND tenant_id = $1 AND kind = $2",
            )
            .bind(tx.tenant().as_uuid())
            .bind(kind.as_str())
            .bind(tx.msp().as_uuid())
            .fetch_optional(tx.conn())
            .await?;
            let sha = sha.ok_or_else(|| AppError::Validation(vec![no_upload_error(kind)]))?;
            Ok(Some(asset_path(tx.tenant(), kind, &sha)))
        }
    }
}

/// Stores an uploaded logo or favicon (checked by content and size in pixels; an SVG is stored
/// as the PNG it was rendered to) and points the branding at it.
/// Needs the current branding version, like any other branding change.
pub async fn upload(
    tx: &mut TenantTx,
    kind: AssetKind,
    checked: &CheckedImage,
    version: i64,
) -> AppResult<Branding> {
    let (content_type, bytes) = (checked.content_type, checked.bytes.as_slice());
    let sha = asset_sha256(bytes);
    tx.lock("branding").await?;
    let current = get(tx).await?;
    if current.version != version {
        return Err(AppError::VersionConflict(current.version));
    }
    sqlx::query(
        "INSERT INTO branding_assets (tenant_id, kind, content_type, bytes, sha256, msp_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (msp_id, tenant_id, kind) DO UPDATE SET content_type = $3, bytes = $4,
             sha256 = $5, updated_at = excluded.updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(kind.as_str())
    .bind(content_type)
    .bind(bytes)
    .bind(&sha)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let path = asset_path(tx.tenant(), kind, &sha);
    let (logo, favicon) = match kind {
        AssetKind::Logo => (Some(path), current.favicon_url),
        AssetKind::Favicon => (current.logo_url, Some(path)),
    };
    sqlx::query(
        "INSERT INTO branding (tenant_id, logo_url, favicon_url, version, msp_id, updated_at)
         VALUES ($1, $2, $3, $4 + 1, $5, now())
         ON CONFLICT (msp_id, tenant_id) DO UPDATE SET logo_url = $2, favicon_url = $3,
             version = branding.version + 1, updated_at = excluded.updated_at",
    )
    .bind(tx.tenant().as_uuid())
    .bind(logo)
    .bind(favicon)
    .bind(version)
    .bind(tx.msp().as_uuid())
    .execute(tx.conn())
    .await?;
    let client = tx.tenant().as_uuid();
    super::changes::own(tx, ChangeKind::Branding, client, ChangeOp::Upsert);
    get(tx).await
}

/// An uploaded image of the transaction's tenant: (media type, bytes).
pub async fn asset(tx: &mut TenantTx, kind: AssetKind) -> AppResult<(String, Vec<u8>)> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT content_type, bytes FROM branding_assets
         WHERE msp_id = $3 AND tenant_id = $1 AND kind = $2",
    )
    .bind(tx.tenant().as_uuid())
    .bind(kind.as_str())
    .bind(tx.msp().as_uuid())
    .fetch_optional(tx.conn())
    .await?;
    row.ok_or(AppError::NotFound)
}
