//! The audit trail: one row per mutation.

use chrono::{DateTime, Utc};
use mspdesk_api::types::{AuditEntry, Page};
use mspdesk_domain::TenantId;
use uuid::Uuid;

use crate::db::TenantTx;
use crate::error::{AppError, AppResult};

/// What an audit row says was done: stored as `action` (`target.verb`) and `target_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ClientCreate,
    ClientUpdate,
    ClientQuotas,
    ClientDelete,
    ClientToken,
    PriceUpdate,
    FxUpdate,
    ServerCreate,
    ServerDelete,
    UserCreate,
    UserDelete,
    /// An invitation link to the client portal was issued.
    UserInvite,
    /// A portal user set a password through an invitation (the user is the actor).
    UserPassword,
    CatalogUpdate,
    AppCreate,
    AppDelete,
    BrandingUpdate,
    BrandingAsset,
    /// A check of the custom domain's TXT record (target: the domain).
    BrandingDomainVerify,
    /// A sign-in with a wrong password for this operator (the operator is the actor).
    SignInFailed,
    /// A portal sign-in with a wrong password for this user (the user is the actor).
    UserSignInFailed,
    /// A token was revoked by `POST /auth/logout` (target: its `jti`).
    SignOut,
}

impl Action {
    /// The stored action, e.g. `client.create`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::ClientCreate => "client.create",
            Action::ClientUpdate => "client.update",
            Action::ClientQuotas => "client.quotas",
            Action::ClientDelete => "client.delete",
            Action::ClientToken => "client.token",
            Action::PriceUpdate => "price.update",
            Action::FxUpdate => "fx.update",
            Action::ServerCreate => "server.create",
            Action::ServerDelete => "server.delete",
            Action::UserCreate => "user.create",
            Action::UserDelete => "user.delete",
            Action::UserInvite => "user.invite",
            Action::UserPassword => "user.password",
            Action::CatalogUpdate => "catalog.update",
            Action::AppCreate => "app.create",
            Action::AppDelete => "app.delete",
            Action::BrandingUpdate => "branding.update",
            Action::BrandingAsset => "branding.asset",
            Action::BrandingDomainVerify => "branding.domain_verify",
            Action::SignInFailed => "operator.sign_in_failed",
            Action::UserSignInFailed => "user.sign_in_failed",
            Action::SignOut => "session.logout",
        }
    }

    /// The kind of thing acted on, e.g. `client`.
    #[must_use]
    pub const fn target_type(self) -> &'static str {
        match self {
            Action::ClientCreate
            | Action::ClientUpdate
            | Action::ClientQuotas
            | Action::ClientDelete
            | Action::ClientToken => "client",
            Action::PriceUpdate => "price",
            Action::FxUpdate => "fx",
            Action::ServerCreate | Action::ServerDelete => "server",
            Action::UserCreate
            | Action::UserDelete
            | Action::UserInvite
            | Action::UserPassword
            | Action::UserSignInFailed => "user",
            Action::CatalogUpdate => "catalog",
            Action::AppCreate | Action::AppDelete => "app",
            Action::BrandingUpdate | Action::BrandingAsset | Action::BrandingDomainVerify => {
                "branding"
            }
            Action::SignInFailed => "operator",
            Action::SignOut => "session",
        }
    }
}

/// Records that `actor` did `action` to `target_id` in the transaction's tenant.
pub async fn record(
    tx: &mut TenantTx,
    actor: Uuid,
    action: Action,
    target_id: &str,
) -> AppResult<()> {
    let tenant = tx.tenant().as_uuid();
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, id, actor_id, action, target_type, target_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(actor)
    .bind(action.as_str())
    .bind(action.target_type())
    .bind(target_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

type Row = (Uuid, Uuid, Uuid, String, String, String, DateTime<Utc>);

/// The newest entries first: the tenant's own and, for an MSP, its clients'.
pub async fn list(
    tx: &mut TenantTx,
    limit: u32,
    cursor: Option<&str>,
) -> AppResult<Page<AuditEntry>> {
    let before = match cursor {
        None => None,
        Some(c) => Some(
            Uuid::parse_str(c).map_err(|_| AppError::BadRequest("cursor is not valid".into()))?,
        ),
    };
    let tenant = tx.tenant().as_uuid();
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.tenant_id, a.id, a.actor_id, a.action, a.target_type, a.target_id, a.at
         FROM audit_log a
         WHERE (a.tenant_id = $1 OR a.tenant_id IN (SELECT c.id FROM clients c WHERE c.tenant_id = $1))
           AND ($2::uuid IS NULL OR a.id < $2)
         ORDER BY a.id DESC
         LIMIT $3",
    )
    .bind(tenant)
    .bind(before)
    .bind(i64::from(limit) + 1)
    .fetch_all(tx.conn())
    .await?;
    let more = rows.len() > limit as usize;
    let items: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .filter_map(
            |(tenant_id, id, actor_id, action, target_type, target_id, at)| {
                Some(AuditEntry {
                    id,
                    tenant_id: TenantId::try_from(tenant_id).ok()?,
                    actor_id,
                    action,
                    target_type,
                    target_id,
                    at,
                })
            },
        )
        .collect();
    let next_cursor = if more {
        items.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
