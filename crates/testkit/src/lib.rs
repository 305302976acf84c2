//! Test support shared by the server's, the desk's and the CLI's tests: fresh databases on the
//! test cluster, the superuser and the app role (as a tenant) on them, and the real Control
//! Panel on one (seeded with the demo MSP by the test when it wants it), reached through a TCP
//! proxy the test can take down or make drop a response. Panics are the point here: a failed
//! set-up fails the test.
//!
//! The test cluster is plain PostgreSQL, or a Citus cluster when [`CITUS_WORKERS_VAR`] names
//! its workers (`MSPDESK_TEST_DATABASE_URL` is then the coordinator): every database is then
//! made on every node, ready to distribute ([`is_citus`]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mspdesk_server::{db, AppState, DomainSettings};
use sqlx::{Connection, PgPool, Postgres, Transaction};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Mutex};
use uuid::Uuid;

pub use mspdesk_server::demo::{DEMO_EMAIL, DEMO_PASSWORD};

/// One of PostgreSQL's programs (`pg_dump`, `pg_restore`) of the test cluster's version:
/// from `MSPDESK_TEST_PG_BIN` (set by `cargo xtask test`), else Debian's newest.
#[must_use]
pub fn pg_program(name: &str) -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("MSPDESK_TEST_PG_BIN") {
        return std::path::PathBuf::from(bin).join(name);
    }
    let mut versions: Vec<std::path::PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join(name).is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .map_or_else(|| std::path::PathBuf::from(name), |bin| bin.join(name))
}

/// The key-encryption key of the tests' signing keys (every server of a test shares it, as
/// every instance of a deployment does).
#[must_use]
pub fn key_encryption() -> mspdesk_server::auth::KeyEncryption {
    mspdesk_server::auth::KeyEncryption::from_bytes(&[42; 32], &[])
        .expect("a 32-byte key-encryption key")
}

/// The role that owns each test database and that the server runs as: not a superuser, no
/// `BYPASSRLS` (as in production; `serve` refuses anything else).
pub const OWNER_ROLE: &str = "mspdesk_owner";

/// The cluster's superuser URL (`MSPDESK_TEST_DATABASE_URL`), or a failure that says how to
/// get one.
pub fn cluster_url() -> String {
    std::env::var("MSPDESK_TEST_DATABASE_URL").expect(
        "MSPDESK_TEST_DATABASE_URL is not set: run the tests with `cargo xtask test`, which starts a private PostgreSQL cluster",
    )
}

/// The variable that names the workers of a Citus cluster whose coordinator is
/// `MSPDESK_TEST_DATABASE_URL`: `host:port` of each, separated by commas (set by `cargo xtask
/// test`'s Citus stage). Unset or empty: plain PostgreSQL.
pub const CITUS_WORKERS_VAR: &str = "MSPDESK_TEST_CITUS_WORKERS";

/// Shards per distributed table in a Citus test database (Citus's default is 32): a handful
/// are enough to spread the MSPs over both workers, and distributing each test's schema stays
/// quick.
pub const CITUS_SHARD_COUNT: u32 = 4;

/// Whether the tests run on a Citus cluster ([`CITUS_WORKERS_VAR`] is set): each test database
/// is then made on every node, with the extension, and the workers registered in it. A test that
/// cannot run there returns early on it, saying why.
#[must_use]
pub fn is_citus() -> bool {
    !citus_workers().is_empty()
}

/// The workers' `host:port`, from [`CITUS_WORKERS_VAR`].
fn citus_workers() -> Vec<String> {
    std::env::var(CITUS_WORKERS_VAR)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `url` pointing at the server at `address` (`host:port`) instead.
fn at_address(url: &str, address: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a database URL");
    let (host, port) = address
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("{CITUS_WORKERS_VAR}: `{address}` is not host:port"));
    parsed.set_host(Some(host)).expect("a worker's host");
    parsed
        .set_port(Some(port.parse().expect("a worker's port")))
        .expect("a port");
    parsed.to_string()
}

/// Prepares [`OWNER_ROLE`] on the cluster, once per test process. On Citus, on every node
/// (roles are per node), and the app role may log in there too: Citus opens a transaction's
/// connections to the workers as the role it runs as, which for a request is the app role.
async fn owner_role(admin: &PgPool) {
    static READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let mut tx = admin.begin().await.unwrap();
            // Other test processes may prepare the role at the same moment.
            sqlx::query("SELECT pg_advisory_xact_lock(7243002)")
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::raw_sql(&db::owner_role_setup(OWNER_ROLE))
                .execute(&mut *tx)
                .await
                .unwrap();
            if is_citus() {
                let login = format!(
                    "DO $$ BEGIN
                        IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = '{app}') THEN
                            ALTER ROLE {app} LOGIN;
                        END IF;
                    END $$",
                    app = db::APP_ROLE
                );
                sqlx::raw_sql(&login).execute(&mut *tx).await.unwrap();
                for worker in citus_workers() {
                    let url = at_address(&cluster_url(), &worker);
                    let mut conn = sqlx::PgConnection::connect(&url)
                        .await
                        .unwrap_or_else(|e| panic!("connect to the Citus worker {worker}: {e}"));
                    sqlx::raw_sql(&db::owner_role_setup(OWNER_ROLE))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                    sqlx::raw_sql(&login).execute(&mut conn).await.unwrap();
                    conn.close().await.unwrap();
                }
            }
            tx.commit().await.unwrap();
        })
        .await;
}

/// The database every Citus test database is copied from, on every node: the extension
/// installed, and on the coordinator the coordinator and the workers registered (which
/// propagates the roles to the workers). Copying it takes a fifth of the time of making a
/// database with the extension and the nodes from scratch (about 0.25 s against 1 s), and
/// most of that was CPU, of which the tests have two cores.
const CITUS_TEMPLATE: &str = "mspdesk_citus_template";

/// A Citus node's connection as the superuser, in database `name` (`postgres` for the
/// cluster-wide statements).
async fn citus_node(node_url: &str, name: &str) -> sqlx::PgConnection {
    let user = url::Url::parse(node_url)
        .map(|u| u.username().to_owned())
        .unwrap_or_else(|_| "postgres".to_owned());
    let url = with_user_and_db(node_url, &user, name);
    sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to the Citus node {url}: {e}"))
}

/// Runs `each(node URL)` on every node at once, and waits for all.
async fn on_every_node<F, Fut>(nodes: &[String], each: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    for node in nodes {
        running.spawn(each(node.clone()));
    }
    while let Some(done) = running.join_next().await {
        done.unwrap();
    }
}

/// The superuser URLs (of their `postgres` database) of the coordinator and then the workers.
fn citus_nodes(admin_url: &str, workers: &[String]) -> Vec<String> {
    std::iter::once(admin_url.to_owned())
        .chain(workers.iter().map(|w| at_address(admin_url, w)))
        .collect()
}

/// Makes [`CITUS_TEMPLATE`] on every node unless a finished one is there (the coordinator's
/// copy is marked a template last), once per test process and one process at a time.
///
/// Besides the extension and the nodes, it has the schema `public` and the two roles recorded
/// as distributed objects (as the first migration leaves them): otherwise the first statement
/// of each test database's migrations that involves them makes Citus re-create the roles on
/// the workers (`ALTER ROLE ...`, as the superuser), and two tests migrating at once fail on a
/// worker with "tuple concurrently updated".
///
/// Copies need no connection to the template, so none is allowed, and the sessions that
/// making it left (Citus's maintenance daemons and their connections) are ended.
async fn citus_template(admin: &PgPool, nodes: &[String], workers: &[String]) {
    static READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let mut lock = admin.acquire().await.unwrap();
            sqlx::query("SELECT pg_advisory_lock(7243003)")
                .execute(&mut *lock)
                .await
                .unwrap();
            let finished: Option<bool> =
                sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
                    .bind(CITUS_TEMPLATE)
                    .fetch_optional(&mut *lock)
                    .await
                    .unwrap();
            if finished != Some(true) {
                make_citus_template(nodes, workers).await;
            }
            sqlx::query("SELECT pg_advisory_unlock(7243003)")
                .execute(&mut *lock)
                .await
                .unwrap();
        })
        .await;
}

async fn make_citus_template(nodes: &[String], workers: &[String]) {
    // What an interrupted attempt left.
    on_every_node(nodes, |node| async move {
        let mut conn = citus_node(&node, "postgres").await;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(CITUS_TEMPLATE)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if exists {
            sqlx::query(&format!(
                "ALTER DATABASE {CITUS_TEMPLATE} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true"
            ))
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query(&format!("DROP DATABASE {CITUS_TEMPLATE} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        sqlx::query(&format!("CREATE DATABASE {CITUS_TEMPLATE}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut template = citus_node(&node, CITUS_TEMPLATE).await;
        sqlx::query("CREATE EXTENSION citus")
            .execute(&mut template)
            .await
            .expect("create extension citus");
    })
    .await;
    let coordinator = url::Url::parse(&nodes[0]).expect("the cluster URL");
    let mut template = citus_node(&nodes[0], CITUS_TEMPLATE).await;
    sqlx::query("SELECT citus_set_coordinator_host($1, $2)")
        .bind(coordinator.host_str().unwrap_or("127.0.0.1"))
        .bind(i32::from(coordinator.port().unwrap_or(5432)))
        .execute(&mut template)
        .await
        .expect("citus_set_coordinator_host");
    for worker in workers {
        let (host, port) = worker.rsplit_once(':').unwrap();
        sqlx::query("SELECT citus_add_node($1, $2)")
            .bind(host)
            .bind(port.parse::<i32>().unwrap())
            .execute(&mut template)
            .await
            .unwrap_or_else(|e| panic!("citus_add_node {worker}: {e}"));
    }
    // A function in `public` owned by the owner role, made and dropped while the app role
    // may use the schema: Citus propagates the schema, its grantees and the owner.
    let app = db::APP_ROLE;
    sqlx::raw_sql(&format!(
        "GRANT USAGE ON SCHEMA public TO {app};
         CREATE FUNCTION public.mspdesk_citus_probe() RETURNS int LANGUAGE sql AS 'SELECT 1';
         ALTER FUNCTION public.mspdesk_citus_probe() OWNER TO {OWNER_ROLE};
         DROP FUNCTION public.mspdesk_citus_probe();
         REVOKE USAGE ON SCHEMA public FROM {app};"
    ))
    .execute(&mut template)
    .await
    .unwrap();
    template.close().await.unwrap();
    // Closed to connections everywhere first, so no maintenance daemon reconnects to a node
    // whose sessions were already ended; the coordinator last, which marks it finished.
    for close in [true, false] {
        for node in nodes.iter().rev() {
            let mut conn = citus_node(node, "postgres").await;
            let sql = if close {
                format!("ALTER DATABASE {CITUS_TEMPLATE} WITH ALLOW_CONNECTIONS false")
            } else {
                format!("ALTER DATABASE {CITUS_TEMPLATE} WITH IS_TEMPLATE true")
            };
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
            if close {
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = $1 AND pid <> pg_backend_pid()",
                )
                .bind(CITUS_TEMPLATE)
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
    }
}

/// Makes the database `name` on a Citus cluster: a copy of [`CITUS_TEMPLATE`] on every node,
/// owned by [`OWNER_ROLE`], with [`CITUS_SHARD_COUNT`] shards per table. Made on each node
/// directly rather than through `citus.enable_create_database_propagation`, which needs the
/// workers registered in the coordinator's `postgres` database and copies no template.
async fn citus_database(admin: &PgPool, admin_url: &str, name: &str, workers: &[String]) {
    let nodes = citus_nodes(admin_url, workers);
    citus_template(admin, &nodes, workers).await;
    let name = name.to_owned();
    on_every_node(&nodes, |node| {
        let name = name.clone();
        async move {
            let mut conn = citus_node(&node, "postgres").await;
            sqlx::query(&format!(
                "CREATE DATABASE {name} OWNER {OWNER_ROLE} TEMPLATE {CITUS_TEMPLATE}"
            ))
            .execute(&mut conn)
            .await
            .expect("create database");
            // The copy says the template's database is distributed: it is this one.
            let mut copy = citus_node(&node, &name).await;
            sqlx::query(
                "UPDATE pg_dist_object \
                 SET objid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 WHERE classid = 'pg_database'::regclass",
            )
            .execute(&mut copy)
            .await
            .unwrap();
        }
    })
    .await;
    sqlx::query(&format!(
        "ALTER DATABASE {name} SET citus.shard_count = {CITUS_SHARD_COUNT}"
    ))
    .execute(admin)
    .await
    .unwrap();
}

/// The superuser's URL of the database `name` (for tools such as `pg_dump`, which must see
/// every row under row-level security).
#[must_use]
pub fn superuser_url(name: &str) -> String {
    let admin = cluster_url();
    let user = url::Url::parse(&admin)
        .map(|u| u.username().to_owned())
        .unwrap_or_else(|_| "postgres".to_owned());
    with_user_and_db(&admin, &user, name)
}

/// `url` with another user and database.
fn with_user_and_db(url: &str, user: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a database URL");
    parsed.set_username(user).expect("a user");
    parsed.set_path(name);
    parsed.to_string()
}

/// A new, empty database owned by [`OWNER_ROLE`], created through the cluster's superuser;
/// returns the owner's URL of it (for tests that migrate it their own way). On Citus it is on
/// every node, with the extension and the workers registered: migrating it distributes it.
pub async fn empty_database() -> String {
    let admin_url = cluster_url();
    let admin = PgPool::connect(&admin_url)
        .await
        .expect("connect to the test cluster");
    owner_role(&admin).await;
    let name = format!("test_{}", Uuid::now_v7().simple());
    let workers = citus_workers();
    if workers.is_empty() {
        sqlx::query(&format!("CREATE DATABASE {name} OWNER {OWNER_ROLE}"))
            .execute(&admin)
            .await
            .expect("create database");
    } else {
        citus_database(&admin, &admin_url, &name, &workers).await;
    }
    admin.close().await;
    with_user_and_db(&admin_url, OWNER_ROLE, &name)
}

/// A fresh, migrated database with a pool of `pool_size` connections as [`OWNER_ROLE`];
/// returns the owner's URL and the pool.
pub async fn database(pool_size: u32) -> (String, PgPool) {
    let url = empty_database().await;
    let pool = db::connect(&url, pool_size).await.expect("connect");
    mspdesk_server::migrate(&pool).await.expect("migrate");
    (url, pool)
}

/// A pool for the server on the database at `url` (the owner's): on Citus, every statement it
/// runs that would touch more than one shard fails (`citus.multi_task_query_log_level =
/// error`), so a test of any route fails when that route's queries are not single-shard.
pub async fn server_pool(url: &str, pool_size: u32) -> PgPool {
    let options: sqlx::postgres::PgConnectOptions = url.parse().expect("a database URL");
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(pool_size)
        .acquire_timeout(db::ACQUIRE_TIMEOUT)
        .test_before_acquire(true)
        .connect_with(
            options
                .application_name("control-panel")
                .options([("citus.multi_task_query_log_level", "error")]),
        )
        .await
        .expect("connect")
}

/// A fresh, migrated database with a pool of ten connections (see [`database`]).
pub async fn fresh_database() -> (String, PgPool) {
    database(10).await
}

/// The cluster's superuser on the database of `pool`: for tests that set up, change or inspect
/// rows under row-level security behind the server's back (the owner sees none of them, as it
/// should).
pub async fn as_superuser(pool: &PgPool) -> PgPool {
    let name: String = sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(pool)
        .await
        .unwrap();
    let admin = url::Url::parse(&cluster_url()).expect("the cluster URL");
    let url = with_user_and_db(admin.as_str(), admin.username(), &name);
    PgPool::connect(&url).await.expect("connect as superuser")
}

/// A transaction on `pool` as a request runs one: as the app role ([`db::APP_ROLE`]), under
/// row-level security, with `app.tenant_id` set to `tenant` and `app.msp_id` to its MSP (the
/// tenant itself unless the directory names a client's MSP) for the transaction only (`None`:
/// no tenant at all). The caller runs its SQL in it and commits or rolls back.
pub async fn as_tenant(pool: &PgPool, tenant: Option<Uuid>) -> Transaction<'static, Postgres> {
    let Some(tenant) = tenant else {
        return as_scope(pool, None, None).await;
    };
    let mut tx = as_scope(pool, Some(tenant), None).await;
    // A database of an earlier release (upgrade tests) has no directory: no MSP setting then.
    let directory: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('client_directory')::text")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let msp: Option<Uuid> = match directory {
        None => None,
        Some(_) => sqlx::query_scalar("SELECT msp_id FROM client_directory WHERE client_id = $1")
            .bind(tenant)
            .fetch_optional(&mut *tx)
            .await
            .unwrap(),
    };
    tx.rollback().await.unwrap();
    as_scope(pool, Some(tenant), Some(msp.unwrap_or(tenant))).await
}

/// A transaction as the app role with exactly these settings (`None`: unset), for tests of
/// what the policies make of them.
pub async fn as_scope(
    pool: &PgPool,
    tenant: Option<Uuid>,
    msp: Option<Uuid>,
) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    let mut statements = format!(
        "SET LOCAL ROLE {}; SET LOCAL citus.propagate_set_commands = 'local'",
        db::APP_ROLE
    );
    // UUIDs printed by us: safe to write into the statement.
    if let Some(tenant) = tenant {
        statements.push_str(&format!("; SET LOCAL app.tenant_id = '{tenant}'"));
    }
    if let Some(msp) = msp {
        statements.push_str(&format!("; SET LOCAL app.msp_id = '{msp}'"));
    }
    sqlx::raw_sql(&statements).execute(&mut *tx).await.unwrap();
    tx
}

/// A running server instance.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(pool: &PgPool) -> Self {
        Self::start_with_domains(pool, DomainSettings::default()).await
    }

    /// A server with these custom-domain settings (a DNS server on loopback, the Control
    /// Panel's own host name).
    pub async fn start_with_domains(pool: &PgPool, domains: DomainSettings) -> Self {
        let state = AppState::new(pool.clone(), key_encryption())
            .await
            .unwrap()
            .with_domains(domains);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            mspdesk_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// A TCP proxy in front of the server: the desk talks to it; the test decides whether it
/// forwards, refuses (offline), or swallows the next response (a lost answer).
#[derive(Debug, Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<Option<SocketAddr>>>,
    drop_next_response: Arc<AtomicBool>,
    pub dropped: Arc<AtomicBool>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            addr: listener.local_addr().unwrap(),
            upstream: Arc::new(Mutex::new(Some(upstream))),
            drop_next_response: Arc::new(AtomicBool::new(false)),
            dropped: Arc::new(AtomicBool::new(false)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.handle(inbound).await });
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Refuse connections from now on (None), or forward to a (new) server.
    pub async fn set_upstream(&self, upstream: Option<SocketAddr>) {
        *self.upstream.lock().await = upstream;
    }

    /// The next response from the server is swallowed and the connection closed.
    pub fn drop_next_response(&self) {
        self.drop_next_response.store(true, Ordering::SeqCst);
    }

    async fn handle(&self, mut inbound: TcpStream) {
        let Some(upstream) = *self.upstream.lock().await else {
            return; // offline: close at once
        };
        let Ok(mut outbound) = TcpStream::connect(upstream).await else {
            return;
        };
        let (mut ri, mut wi) = inbound.split();
        let (mut ro, mut wo) = outbound.split();
        let to_server = async {
            let _ = tokio::io::copy(&mut ri, &mut wo).await;
            let _ = wo.shutdown().await;
        };
        let to_client = async {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match ro.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if self.drop_next_response.swap(false, Ordering::SeqCst) {
                    // The server has answered; the client never hears it.
                    self.dropped.store(true, Ordering::SeqCst);
                    return;
                }
                if wi.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        // Whichever side ends first ends the connection (a swallowed response closes it).
        tokio::select! {
            () = to_server => {},
            () = to_client => {},
        }
    }
}

/// A fresh temporary data folder.
pub fn data_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mspdesk-desk-test-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
