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

/// Global tables: copied to every node (Citus reference tables). Listed so that a table with
/// a foreign key to one comes after it.
pub const REFERENCE_TABLES: &[&str] = &[
    "templates",
    "signing_keys",
    "revoked_tokens",
    "revoked_subjects",
    "throttle",
    "operator_emails",
    "verified_domains",
    "client_directory",
];

/// Tables distributed by their MSP id, all in `providers`' co-location group, with the column
/// that holds the MSP id. Listed so that a table comes after every table its foreign keys
/// reference.
pub const DISTRIBUTED_TABLES: &[(&str, &str)] = &[
    ("providers", "id"),
    ("operators", "tenant_id"),
    ("plans", "tenant_id"),
    ("prices", "tenant_id"),
    ("fx_rates", "tenant_id"),
    ("feed_heads", "tenant_id"),
    ("changes", "msp_id"),
    ("clients", "tenant_id"),
    ("servers", "msp_id"),
    ("users", "msp_id"),
    ("catalogs", "msp_id"),
    ("branding", "msp_id"),
    ("branding_assets", "msp_id"),
    ("domain_claims", "msp_id"),
    ("quota_locks", "msp_id"),
    ("apps", "msp_id"),
    ("portal_credentials", "msp_id"),
    ("portal_invitations", "msp_id"),
    ("portal_sessions", "msp_id"),
    ("idempotency_keys", "msp_id"),
    ("audit_log", "msp_id"),
];

/// What [`distribute`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Distributed {
    /// Tables made reference tables now.
    pub reference: usize,
    /// Tables distributed now.
    pub distributed: usize,
}

/// Distributes the schema over a Citus cluster: global tables become reference tables, the
/// others are distributed by their MSP id in one co-location group, so that everything of one
/// MSP lives on one shard. A database already distributed is left alone, so running it again
/// (as every `migrate` on Citus does) is harmless. Runs as the schema's owner, in one
/// transaction, so a failure leaves the database as it was:
/// - the foreign keys between these tables go first and come back last (Citus distributes a
///   table only when no local table references it), validated again on the shards;
/// - row-level security is unforced while Citus copies rows that are already there (the copy
///   runs as the owner, whom forced policies would show nothing), and forced again after.
pub async fn distribute(pool: &PgPool) -> Result<Distributed, sqlx::Error> {
    let mut report = Distributed::default();
    let done: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM citus_tables
         WHERE citus_table_type IN ('distributed', 'reference')",
    )
    .fetch_all(pool)
    .await?;
    let pending = |table: &&str| !done.iter().any(|d| d == table);
    let reference: Vec<&str> = REFERENCE_TABLES.iter().copied().filter(pending).collect();
    let distributed: Vec<(&str, &str)> = DISTRIBUTED_TABLES
        .iter()
        .copied()
        .filter(|(table, _)| pending(table))
        .collect();
    if reference.is_empty() && distributed.is_empty() {
        return Ok(report);
    }
    let all: Vec<&str> = REFERENCE_TABLES
        .iter()
        .copied()
        .chain(DISTRIBUTED_TABLES.iter().map(|(t, _)| *t))
        .collect();
    let mut tx = pool.begin().await?;
    // Foreign keys, reference tables and distributed tables in one transaction.
    sqlx::raw_sql("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
        .execute(&mut *tx)
        .await?;
    // Requests switch to the app role, and Citus opens the workers' connections as that role.
    // (Roles are cluster-wide: only when needed, so databases migrating side by side do not
    // update the role's row at once.)
    let login: bool = sqlx::query_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1")
        .bind(APP_ROLE)
        .fetch_one(&mut *tx)
        .await?;
    if !login {
        sqlx::raw_sql(&format!("ALTER ROLE {APP_ROLE} LOGIN"))
            .execute(&mut *tx)
            .await?;
    }
    // The policies' functions, on every node.
    for function in ["app_tenant()", "app_msp()"] {
        sqlx::query("SELECT create_distributed_function($1::regprocedure)")
            .bind(function)
            .execute(&mut *tx)
            .await?;
    }
    let keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.conname::text, pg_get_constraintdef(c.oid)
         FROM pg_constraint c
         WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1)
           AND c.confrelid::regclass::text = ANY($1)
         ORDER BY c.oid",
    )
    .bind(&all)
    .fetch_all(&mut *tx)
    .await?;
    for (table, name, _) in &keys {
        sqlx::raw_sql(&format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            ident(table),
            ident(name)
        ))
        .execute(&mut *tx)
        .await?;
    }
    let forced: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relforcerowsecurity
           AND relname::text = ANY($1)",
    )
    .bind(&all)
    .fetch_all(&mut *tx)
    .await?;
    for table in &forced {
        sqlx::raw_sql(&format!(
            "ALTER TABLE {} NO FORCE ROW LEVEL SECURITY",
            ident(table)
        ))
        .execute(&mut *tx)
        .await?;
    }
    for table in &reference {
        sqlx::query("SELECT create_reference_table($1::regclass)")
            .bind(table)
            .execute(&mut *tx)
            .await?;
        report.reference += 1;
    }
    for (table, column) in &distributed {
        let colocate = if *table == "providers" {
            "none"
        } else {
            "providers"
        };
        sqlx::query("SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)")
            .bind(table)
            .bind(column)
            .bind(colocate)
            .execute(&mut *tx)
            .await?;
        report.distributed += 1;
    }
    for (table, name, definition) in &keys {
        sqlx::raw_sql(&format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {definition}",
            ident(table),
            ident(name)
        ))
        .execute(&mut *tx)
        .await?;
    }
    for table in &forced {
        sqlx::raw_sql(&format!(
            "ALTER TABLE {} FORCE ROW LEVEL SECURITY",
            ident(table)
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// A name as a quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Who a request acts for: its tenant and that tenant's MSP (the tenant itself for an MSP).
/// The MSP is the distribution key: every query filters by it, and the transaction's
/// `app.msp_id` carries it to the row-level-security policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub tenant: TenantId,
    pub msp: TenantId,
}

impl Scope {
    /// An MSP acting in its own tenant.
    #[must_use]
    pub fn msp(msp: TenantId) -> Self {
        Self { tenant: msp, msp }
    }

    /// A client of `msp`.
    #[must_use]
    pub fn client(client: TenantId, msp: TenantId) -> Self {
        Self {
            tenant: client,
            msp,
        }
    }

    /// Whether the tenant is a client (not the MSP itself).
    #[must_use]
    pub fn is_client(&self) -> bool {
        self.tenant != self.msp
    }
}

/// A transaction scoped to one tenant of one MSP, as the app role. It also collects what its
/// store functions changed, for the change feed, and writes that at [`TenantTx::commit`].
#[derive(Debug)]
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    scope: Scope,
    changes: Vec<Change>,
}

impl TenantTx {
    pub async fn begin(pool: &PgPool, scope: Scope) -> AppResult<Self> {
        Self::open(pool, "BEGIN", scope).await
    }

    /// A read-only transaction that sees one snapshot from its first query to its end
    /// (`REPEATABLE READ`), for reads that must be consistent across several queries.
    pub async fn begin_snapshot(pool: &PgPool, scope: Scope) -> AppResult<Self> {
        Self::open(
            pool,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            scope,
        )
        .await
    }

    /// Opens a transaction with `begin` and switches it to the app role and the scope, all in
    /// one round trip (one simple query, as sqlx's custom `BEGIN`), through [`begin_with`].
    async fn open(pool: &PgPool, begin: &str, scope: Scope) -> AppResult<Self> {
        let tx = begin_with(pool, format!("{begin}; {}", scoped(scope))).await?;
        Ok(Self {
            tx,
            scope,
            changes: Vec::new(),
        })
    }

    /// The tenant every query of this transaction is for.
    pub fn tenant(&self) -> TenantId {
        self.scope.tenant
    }

    /// The tenant's MSP: the distribution key every query filters by.
    pub fn msp(&self) -> TenantId {
        self.scope.msp
    }

    pub fn scope(&self) -> Scope {
        self.scope
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
            changes::stamp(&mut self.tx, self.scope.msp, &self.changes).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Serialises creates of one kind within this client until the transaction ends, so that
    /// the quota check and the insert are atomic, across all server instances and all
    /// coordinators: a row lock on the client's `quota_locks` row, which lives on the MSP's
    /// shard. (An advisory lock would hold on one node only.)
    pub async fn lock(&mut self, what: &str) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO quota_locks (msp_id, tenant_id, what) VALUES ($1, $2, $3)
             ON CONFLICT (msp_id, tenant_id, what) DO UPDATE SET taken = quota_locks.taken + 1",
        )
        .bind(self.scope.msp.as_uuid())
        .bind(self.scope.tenant.as_uuid())
        .bind(what)
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

/// The statements that scope a transaction, sent with its `BEGIN` as one simple query: the
/// switch to the app role, then (Citus) that `SET LOCAL` reaches the workers this transaction
/// uses, then the settings the policies read, for this transaction only. In that order: the
/// propagation must be on before the settings, and runs as the app role. On one PostgreSQL the
/// `citus.` setting is an unused placeholder. `SET` (not `set_config()`, which Citus does not
/// pass on) cannot take parameters: the values are quoted with [`literal`].
fn scoped(scope: Scope) -> String {
    format!(
        "{PRELUDE}; SET LOCAL app.tenant_id = {}; SET LOCAL app.msp_id = {}",
        literal(&scope.tenant.as_uuid().to_string()),
        literal(&scope.msp.as_uuid().to_string()),
    )
}

/// The start of every request's transaction: the app role, and `SET LOCAL` passed on to the
/// Citus workers. `standard_conforming_strings` makes a backslash plain text in [`literal`]s.
const PRELUDE: &str =
    "SET LOCAL ROLE mspdesk_app; SET LOCAL citus.propagate_set_commands = 'local'; \
     SET LOCAL standard_conforming_strings = on";

/// `text` as an SQL string literal (with `standard_conforming_strings` on): quotes doubled.
/// Texts from requests never hold NUL (refused at the edge).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A transaction as the app role with no tenant, and `setting` set to `value` for the
/// transaction only: what a lookup before any tenant is known may see.
async fn lookup_tx(
    pool: &PgPool,
    setting: &str,
    value: &str,
) -> AppResult<Transaction<'static, Postgres>> {
    begin_with(
        pool,
        format!("BEGIN; {PRELUDE}; SET LOCAL {setting} = {}", literal(value)),
    )
    .await
}

/// A transaction for checking a login: as the app role, with no tenant, seeing only the
/// operator whose e-mail key (`Email::key`) is being checked.
pub async fn login_tx(pool: &PgPool, email_key: &str) -> AppResult<Transaction<'static, Postgres>> {
    lookup_tx(pool, "app.login_email", email_key).await
}

/// A transaction for finding the client a custom domain serves: as the app role, with no
/// tenant, seeing only the `verified_domains` row of `host`.
pub async fn host_tx(pool: &PgPool, host: &str) -> AppResult<Transaction<'static, Postgres>> {
    lookup_tx(pool, "app.portal_host", host).await
}

/// A transaction for finding a client's MSP: as the app role, in the client's tenant with no
/// MSP, which lets it see the client's `client_directory` row and nothing else.
pub async fn directory_tx(
    pool: &PgPool,
    client: TenantId,
) -> AppResult<Transaction<'static, Postgres>> {
    lookup_tx(pool, "app.tenant_id", &client.as_uuid().to_string()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_is_scoped_in_one_statement_list() {
        let client: TenantId = "01a22582-adca-719c-aac1-e5bab0a86a6d"
            .parse()
            .expect("a uuid");
        let msp: TenantId = "01a22582-adca-719c-aac1-e5bab0a86a6e"
            .parse()
            .expect("a uuid");
        assert_eq!(
            scoped(Scope::client(client, msp)),
            "SET LOCAL ROLE mspdesk_app; SET LOCAL citus.propagate_set_commands = 'local'; \
             SET LOCAL standard_conforming_strings = on; \
             SET LOCAL app.tenant_id = '01a22582-adca-719c-aac1-e5bab0a86a6d'; \
             SET LOCAL app.msp_id = '01a22582-adca-719c-aac1-e5bab0a86a6e'"
        );
    }

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(literal("o'brien@x.example"), "'o''brien@x.example'");
        assert_eq!(literal("a\\'; DROP"), "'a\\''; DROP'");
    }
}
