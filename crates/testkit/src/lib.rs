//! Test support shared by the server's, the desk's and the CLI's tests: fresh databases on the
//! test cluster, the superuser and the app role (as a tenant) on them, and the real Control
//! Panel on one (seeded with the demo MSP by the test when it wants it), reached through a TCP
//! proxy the test can take down or make drop a response. Panics are the point here: a failed
//! set-up fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mspdesk_server::{db, AppState, DomainSettings};
use sqlx::{PgPool, Postgres, Transaction};
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

/// Prepares [`OWNER_ROLE`] on the cluster, once per test process.
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
            tx.commit().await.unwrap();
        })
        .await;
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
/// returns the owner's URL of it (for tests that migrate it their own way).
pub async fn empty_database() -> String {
    let admin_url = cluster_url();
    let admin = PgPool::connect(&admin_url)
        .await
        .expect("connect to the test cluster");
    owner_role(&admin).await;
    let name = format!("test_{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name} OWNER {OWNER_ROLE}"))
        .execute(&admin)
        .await
        .expect("create database");
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
