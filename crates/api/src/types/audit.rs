//! The audit trail.

use chrono::{DateTime, Utc};
use mspdesk_domain::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    pub id: Uuid,
    /// The tenant acted on.
    pub tenant_id: TenantId,
    /// The operator who acted (also when acting through a client token).
    pub actor_id: Uuid,
    /// e.g. `client.create`, `server.delete`, `branding.update`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub at: DateTime<Utc>,
}
