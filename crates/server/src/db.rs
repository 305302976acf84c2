//! Database access: the pool, migrations, and the per-request tenant transaction.
//!
//! Every request that touches tenant data runs in a [`TenantTx`]: a transaction that first
//! switches to the `mspdesk_app` role (which owns nothing and cannot bypass row-level security)
//! and sets `app.tenant_id` for this transaction only. Both settings end with the transaction,
//! so nothing carries over to the next request on the same pooled connection.

use std::time::Duration;

use mspdesk_domain::TenantId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::error::{AppError, AppResult};
use crate::store::changes::{self, Change};

/// The role requests run as. Created by the first migration.
pub const APP_ROLE: &str = "mspdesk_app";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

/// The statements a superuser runs once per cluster so that `role` can own the schema without
/// being a superuser: it may log in, create databases and roles (the first migration creates
/// `mspdesk_app`), and switch to `mspdesk_app` (granted with the admin option, so that the
/// migration's own grant works on every PostgreSQL version). Safe to run again.
#[must_use]
pub fn owner_role_setup(role: &str) -> String {
    let role = role.replace('"', "\"\"");
    format!(
        r#"DO $$ BEGIN
    CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB CREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN
    CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
GRANT {APP_ROLE} TO "{role}" WITH ADMIN OPTION;"#
    )
}

/// How long a request waits for a database connection before it is answered 503: while
/// PostgreSQL is unreachable, every request gets that answer this quickly.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects to `url` (the owner role) with a pool of `size` connections. The pool checks a
/// connection before handing it out and reconnects by itself, so service resumes when the
/// database is back (or restarted).
pub async fn connect(url: &str, size: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(true)
        .connect_with(options.application_name("control-panel"))
        .await
}

/// The pool's role, when it is a superuser or may bypass row-level security (then it would see
/// every tenant's rows should a policy or a filter be missed); `None` for a safe role.
pub async fn privileged_role(pool: &PgPool) -> Result<Option<String>, sqlx::Error> {
    let (name, superuser, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT rolname::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(pool)
    .await?;
    Ok((superuser || bypass).then_some(name))
}

/// Whether the database answers (`GET /ready`).
pub async fn ready(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
}

/// Applies the migrations in `migrations/server` that have not run yet.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Whether the database is a Citus coordinator (the `citus` extension is installed in it).
pub async fn is_citus(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')")
        .fetch_one(pool)
        .await
}

/// Distributes the schema over a Citus cluster: global tables become reference tables, the
/// others are distributed by their MSP id in one co-location group. Tables already
/// distributed are left alone, so running it again is harmless.
pub async fn distribute(_pool: &PgPool) -> Result<(), sqlx::Error> {
    // Filled in with the distribution-ready schema (migration 0010).
    Ok(())
}

/// A transaction scoped to one tenant, as the app role. It also collects what its store
/// functions changed, for the change feed, and writes that at [`TenantTx::commit`].
#[derive(Debug)]
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
    changes: Vec<Change>,
}

impl TenantTx {
    pub async fn begin(pool: &PgPool, tenant: TenantId) -> AppResult<Self> {
        Self::open(pool, "BEGIN", tenant).await
    }

    /// A read-only transaction that sees one snapshot from its first query to its end
    /// (`REPEATABLE READ`), for reads that must be consistent across several queries.
    pub async fn begin_snapshot(pool: &PgPool, tenant: TenantId) -> AppResult<Self> {
        Self::open(
            pool,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            tenant,
        )
        .await
    }

    /// Opens a transaction with `begin` and switches it to the app role and the tenant, all in
    /// one round trip (one simple query, as sqlx's custom `BEGIN`), through [`begin_with`].
    async fn open(pool: &PgPool, begin: &str, tenant: TenantId) -> AppResult<Self> {
        let tx = begin_with(pool, format!("{begin}; {}", scope(tenant))).await?;
        Ok(Self::scoped(tx, tenant))
    }

    fn scoped(tx: Transaction<'static, Postgres>, tenant: TenantId) -> Self {
        Self {
            tx,
            tenant,
            changes: Vec::new(),
        }
    }

    /// The tenant every query of this transaction is for.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Records a change for the feed (written at commit; a later change of the same resource
    /// in this transaction replaces an earlier one).
    pub fn record(&mut self, change: Change) {
        self.changes
            .retain(|c| (c.kind, &c.id) != (change.kind, &change.id));
        self.changes.push(change);
    }

    /// Writes the recorded changes to the feed, as the last statements, then commits. The
    /// MSP's head row stays locked from the stamp to the commit, so the feed's numbers are
    /// handed out in commit order.
    pub async fn commit(mut self) -> AppResult<()> {
        if !self.changes.is_empty() {
            changes::stamp(&mut self.tx, &self.changes).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Serialises creates of one kind within this tenant until the transaction ends, so that
    /// the quota check and the insert are atomic (across all server instances, since the lock
    /// lives in PostgreSQL).
    pub async fn lock(&mut self, what: &str) -> AppResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("{}:{what}", self.tenant))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

/// Opens a transaction with `statement` (a `BEGIN`, and what else goes in the same round trip)
/// on a task of its own, so that the caller being cancelled (a request timing out) cannot cut
/// it off: sqlx 0.8 arms its rollback only once `BEGIN` has answered, and a connection
/// abandoned while waiting would go back to the pool inside a transaction. Cancelled, the
/// caller drops a whole `Transaction`, which rolls back as it should.
pub async fn begin_with(
    pool: &PgPool,
    statement: String,
) -> AppResult<Transaction<'static, Postgres>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|e| AppError::Internal(format!("opening a transaction: {e}")))?
        .map_err(AppError::from)
}

/// [`begin_with`] a plain `BEGIN`.
pub async fn begin(pool: &PgPool) -> AppResult<Transaction<'static, Postgres>> {
    begin_with(pool, "BEGIN".to_owned()).await
}

/// The statements that scope a transaction to a tenant, sent with its `BEGIN` as one simple
/// query: the switch to the app role, and the tenant for this transaction only. The tenant is
/// a UUID printed by us (hex digits and dashes), never text from a request, so it can be
/// written into the statement.
fn scope(tenant: TenantId) -> String {
    format!(
        "SET LOCAL ROLE {APP_ROLE}; SELECT set_config('app.tenant_id', '{}', true)",
        tenant.as_uuid()
    )
}

/// A transaction for checking a login: as the app role, with no tenant, seeing only the
/// operator whose e-mail is being checked.
pub async fn login_tx(pool: &PgPool, email: &str) -> AppResult<Transaction<'static, Postgres>> {
    let mut tx = begin(pool).await?;
    sqlx::query("SET LOCAL ROLE mspdesk_app")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT set_config('app.login_email', $1, true)")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// A transaction for finding the client a custom domain serves: as the app role, with no
/// tenant, seeing only the `verified_domains` row of `host`.
pub async fn host_tx(pool: &PgPool, host: &str) -> AppResult<Transaction<'static, Postgres>> {
    let mut tx = begin(pool).await?;
    sqlx::query("SET LOCAL ROLE mspdesk_app")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT set_config('app.portal_host', $1, true)")
        .bind(host)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_is_scoped_in_one_statement_list() {
        let tenant: TenantId = "01a22582-adca-719c-aac1-e5bab0a86a6d"
            .parse()
            .expect("a uuid");
        assert_eq!(
            scope(tenant),
            "SET LOCAL ROLE mspdesk_app; \
             SELECT set_config('app.tenant_id', '01a22582-adca-719c-aac1-e5bab0a86a6d', true)"
        );
    }
}
