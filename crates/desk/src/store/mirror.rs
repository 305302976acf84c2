//! The mirror: the API's JSON bodies as last synced, by kind, tenant and id. The desk reads
//! them back whole, so a new field needs no migration.

use mspdesk_domain::TenantId;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{json, now, parse, Store, StoreError};

/// The generation a mirror write belongs to: the snapshot being taken, else the mirror's.
pub(super) const CURRENT_GEN: &str =
    "COALESCE((SELECT COALESCE(snapshot_gen, mirror_gen) FROM account WHERE id = 1), 0)";
use crate::kinds::MirrorKind;

impl Store {
    /// Replaces every mirrored item of `kind` in `tenant` by `items` (id, value, version), in
    /// one transaction: a sync never leaves half a list.
    pub async fn replace_mirror<T: Serialize>(
        &self,
        kind: MirrorKind,
        tenant: TenantId,
        items: &[(String, T, Option<i64>)],
    ) -> Result<(), StoreError> {
        let now = now();
        let tenant = tenant.to_string();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM mirror WHERE kind = ? AND tenant = ?")
            .bind(kind.as_str())
            .bind(&tenant)
            .execute(&mut *tx)
            .await?;
        for (id, value, version) in items {
            sqlx::query(&format!("INSERT INTO mirror (kind, tenant, id, body, version, synced_at, gen) VALUES (?, ?, ?, ?, ?, ?, {CURRENT_GEN})"))
                .bind(kind.as_str())
                .bind(&tenant)
                .bind(id)
                .bind(json(value)?)
                .bind(version)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn put_mirror<T: Serialize>(
        &self,
        kind: MirrorKind,
        tenant: TenantId,
        id: &str,
        value: &T,
        version: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            &format!("INSERT INTO mirror (kind, tenant, id, body, version, synced_at, gen) VALUES (?, ?, ?, ?, ?, ?, {CURRENT_GEN})
             ON CONFLICT (kind, tenant, id) DO UPDATE SET body = excluded.body, version = excluded.version, synced_at = excluded.synced_at, gen = excluded.gen"),
        )
        .bind(kind.as_str())
        .bind(tenant.to_string())
        .bind(id)
        .bind(json(value)?)
        .bind(version)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mirror<T: DeserializeOwned>(
        &self,
        kind: MirrorKind,
        tenant: TenantId,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let body: Option<String> =
            sqlx::query_scalar("SELECT body FROM mirror WHERE kind = ? AND tenant = ? AND id = ?")
                .bind(kind.as_str())
                .bind(tenant.to_string())
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        body.map(|b| parse(kind.as_str(), &b)).transpose()
    }

    pub async fn mirror_all<T: DeserializeOwned>(
        &self,
        kind: MirrorKind,
        tenant: TenantId,
    ) -> Result<Vec<T>, StoreError> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM mirror WHERE kind = ? AND tenant = ? ORDER BY rowid",
        )
        .bind(kind.as_str())
        .bind(tenant.to_string())
        .fetch_all(&self.pool)
        .await?;
        bodies.iter().map(|b| parse(kind.as_str(), b)).collect()
    }

    /// Every mirrored item of `kind`, whatever its tenant, with the tenant (e.g. all servers
    /// of all clients, read in one query), in the primary key's order: ordering by `rowid`
    /// instead made SQLite sort all rows in a temporary B-tree (20,000 servers: about a
    /// third of a report's time; see BENCHMARKS.md).
    pub async fn mirror_all_tenants<T: DeserializeOwned>(
        &self,
        kind: MirrorKind,
    ) -> Result<Vec<(TenantId, T)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT tenant, body FROM mirror WHERE kind = ? ORDER BY tenant, id")
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|(t, b)| Ok((super::parse_id(kind.as_str(), t)?, parse(kind.as_str(), b)?)))
            .collect()
    }

    /// Rows of one kind in the mirror, whatever their tenant.
    pub async fn count_mirror(&self, kind: MirrorKind) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM mirror WHERE kind = ?")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Rows in the mirror (for sync figures).
    pub async fn mirror_rows(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM mirror")
            .fetch_one(&self.pool)
            .await?)
    }
}
