//! Which MSP a client belongs to, for requests that name a client but carry no MSP: the portal
//! (the client is in its path or behind its custom domain), the public images, and client
//! tokens minted before tokens named their MSP. The answer comes from `client_directory` (a
//! reference table, on every node) and is kept in memory: a client never changes MSP, and ids
//! are never reused, so a kept answer never goes wrong (a deleted client's requests then find
//! no rows, as before). Unknown ids are not kept, so random ids cannot fill the memory.

use std::collections::HashMap;
use std::sync::Mutex;

use mspdesk_domain::TenantId;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{self, Scope};
use crate::error::AppResult;
use crate::store::portal::stored_id;

/// Answers kept at most (a full map is emptied: each answer is then looked up once more).
const KEPT: usize = 100_000;

#[derive(Debug, Default)]
pub struct Directory {
    msps: Mutex<HashMap<TenantId, TenantId>>,
}

impl Directory {
    /// The scope of `client` (with its MSP), or `None` for an id that is no client.
    pub async fn client(&self, pool: &PgPool, client: TenantId) -> AppResult<Option<Scope>> {
        if let Some(msp) = self.kept(client) {
            return Ok(Some(Scope::client(client, msp)));
        }
        let mut tx = db::directory_tx(pool, client).await?;
        let msp: Option<Uuid> =
            sqlx::query_scalar("SELECT msp_id FROM client_directory WHERE client_id = $1")
                .bind(client.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        let Some(msp) = msp.map(stored_id).transpose()? else {
            return Ok(None);
        };
        self.keep(client, msp);
        Ok(Some(Scope::client(client, msp)))
    }

    fn kept(&self, client: TenantId) -> Option<TenantId> {
        self.lock().get(&client).copied()
    }

    fn keep(&self, client: TenantId, msp: TenantId) {
        let mut msps = self.lock();
        if msps.len() >= KEPT {
            msps.clear();
        }
        msps.insert(client, msp);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, TenantId>> {
        self.msps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
