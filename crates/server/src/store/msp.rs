//! The MSP's own record (the provider tenant).

use mspdesk_api::types::MspProfile;
use mspdesk_domain::TenantId;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// The profile of the transaction's MSP.
pub async fn profile(tx: &mut TenantTx) -> AppResult<MspProfile> {
    let row: Option<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM providers WHERE id = $1")
            .bind(tx.tenant().as_uuid())
            .fetch_optional(tx.conn())
            .await?;
    let (id, name) = row.ok_or(AppError::NotFound)?;
    Ok(MspProfile {
        id: TenantId::try_from(id).map_err(|_| AppError::NotFound)?,
        name,
    })
}
