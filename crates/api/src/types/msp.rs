//! The MSP itself: who issues the reports and invoices.

use mspdesk_domain::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /msp`: the signed-in operator's MSP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MspProfile {
    /// The MSP's tenant id.
    pub id: TenantId,
    /// The MSP's name, as its reports name their issuer.
    pub name: String,
}
