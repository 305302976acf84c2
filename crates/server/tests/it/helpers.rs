//! Test harness: a fresh database per test on the PostgreSQL cluster that `cargo xtask test`
//! starts (`MSPDESK_TEST_DATABASE_URL`), the real server on 127.0.0.1:0, and the typed client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Once;

use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{ClientToken, CreateClient, QuotasInput};
pub use mspdesk_api::{ExposeSecret, SecretString};
use mspdesk_domain::{ClientId, Email, TenantId};
use mspdesk_server::{db, store, AppState, DomainSettings, Settings};

use crate::contract;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// A password or token as the typed client takes it.
pub fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

/// The cluster's URL, or a failure that says how to get one.
pub fn cluster_url() -> String {
    std::env::var("MSPDESK_TEST_DATABASE_URL").expect(
        "MSPDESK_TEST_DATABASE_URL is not set: run the tests with `cargo xtask test`, which starts a private PostgreSQL cluster",
    )
}

thread_local! {
    /// The log text captured on this thread, while a [`LogCapture`] is alive.
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

fn capturing() -> bool {
    CAPTURED.with(|c| c.borrow().is_some())
}

/// Appends to this thread's capture.
struct ThreadCapture;

impl std::io::Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with(|c| {
            if let Some(text) = c.borrow_mut().as_mut() {
                text.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lets everything through on a thread that captures, nothing elsewhere; decided per event,
/// never cached per callsite (a callsite first hit on another thread must still log here).
struct WhileCapturing;

impl<S> tracing_subscriber::layer::Filter<S> for WhileCapturing {
    fn enabled(
        &self,
        _: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        capturing()
    }

    fn callsite_enabled(
        &self,
        _: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
}

/// Installs, once per process and before any test logs, the one global subscriber: every
/// level, written to the capture of the thread that logs, and only while that thread has one.
/// (All tests share this process; a subscriber scoped to one thread would miss callsites that
/// another test's thread registered at the same moment.)
fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| ThreadCapture)
            .with_filter(WhileCapturing);
        let _ = tracing_subscriber::registry().with(layer).try_init();
    });
}

/// Captures everything logged on this thread (with `#[tokio::test]`'s current-thread runtime,
/// that includes the servers the test spawns) until dropped.
pub struct LogCapture(());

impl LogCapture {
    pub fn start() -> Self {
        init_logging();
        CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
        LogCapture(())
    }

    pub fn text(&self) -> String {
        CAPTURED.with(|c| {
            String::from_utf8_lossy(c.borrow().as_deref().unwrap_or_default()).into_owned()
        })
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        CAPTURED.with(|c| *c.borrow_mut() = None);
    }
}

/// The role that owns each test database and that the server runs as: not a superuser, no
/// `BYPASSRLS` (as in production; `serve` refuses anything else).
pub const OWNER_ROLE: &str = "mspdesk_owner";

/// Prepares the owner role on the cluster, once per test process.
async fn owner_role(admin: &PgPool) {
    static READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let mut tx = admin.begin().await.expect("begin");
            // Other test processes (the desk's) may do the same at the same moment.
            sqlx::query("SELECT pg_advisory_xact_lock(7243002)")
                .execute(&mut *tx)
                .await
                .expect("lock");
            sqlx::raw_sql(&db::owner_role_setup(OWNER_ROLE))
                .execute(&mut *tx)
                .await
                .expect("owner role");
            tx.commit().await.expect("commit");
        })
        .await;
}

/// `url` with another user and database.
fn with_user_and_db(url: &str, user: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("a database URL");
    parsed.set_username(user).expect("a user");
    parsed.set_path(name);
    parsed.to_string()
}

/// Creates an empty database owned by [`OWNER_ROLE`] and returns the owner's URL of it.
pub async fn fresh_database() -> String {
    init_logging();
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

/// The cluster's superuser on the database of `db_url`: for tests that set up or inspect
/// rows under row-level security (the owner sees none, as it should).
pub async fn superuser(db_url: &str) -> PgPool {
    let name = url::Url::parse(db_url)
        .expect("a database URL")
        .path()
        .to_owned();
    let admin = url::Url::parse(&cluster_url()).expect("the cluster URL");
    let user = admin.username().to_owned();
    let url = with_user_and_db(admin.as_str(), &user, name.trim_start_matches('/'));
    PgPool::connect(&url).await.expect("connect as superuser")
}

/// A migrated database with a pool of `pool_size` (as the owner role).
pub async fn database(pool_size: u32) -> (String, PgPool) {
    let url = fresh_database().await;
    let pool = db::connect(&url, pool_size).await.expect("connect");
    mspdesk_server::migrate(&pool).await.expect("migrate");
    (url, pool)
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    #[allow(dead_code)] // for tests that need their own connections to the database
    pub db_url: String,
    /// The server's pool (the owner role).
    pub pool: PgPool,
    /// The superuser on this database (see [`superuser`]).
    pub admin: PgPool,
    pub api: ApiClient,
    /// Answers that the OpenAPI document does not describe (checked when the app drops).
    contract: contract::Recorder,
    shutdown: Option<oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Stops accepting connections; in-flight requests finish.
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
        // Every answer the test received must be one the OpenAPI document describes.
        let violations = self.contract.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "answers the OpenAPI document does not describe:\n{}",
                violations.join("\n")
            );
        }
    }
}

/// The server on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_pool(10).await
}

pub async fn spawn_app_with_pool(pool_size: u32) -> TestApp {
    let (db_url, pool) = database(pool_size).await;
    spawn_on(db_url, pool).await
}

/// The server on a fresh database, with these custom-domain settings (a DNS server on
/// loopback, the Control Panel's own host name).
#[allow(dead_code)] // used by the domains module only
pub async fn spawn_app_with_domains(domains: DomainSettings) -> TestApp {
    let (db_url, pool) = database(10).await;
    let state = AppState::new(pool.clone())
        .await
        .expect("state")
        .with_domains(domains);
    serve_state(db_url, pool, state).await
}

/// Another server instance on an existing database (as behind a load balancer).
pub async fn spawn_on(db_url: String, pool: PgPool) -> TestApp {
    let state = AppState::new(pool.clone()).await.expect("state");
    serve_state(db_url, pool, state).await
}

/// A server on a fresh database with these settings.
#[allow(dead_code)] // used by some modules only
pub async fn spawn_app_with_settings(settings: Settings) -> TestApp {
    let (db_url, pool) = database(10).await;
    spawn_with_settings(db_url, pool, settings).await
}

/// Another server instance on an existing database, with these settings.
#[allow(dead_code)] // used by some modules only
pub async fn spawn_with_settings(db_url: String, pool: PgPool, settings: Settings) -> TestApp {
    let state = AppState::new(pool.clone())
        .await
        .expect("state")
        .with_settings(settings);
    serve_state(db_url, pool, state).await
}

pub async fn serve_state(db_url: String, pool: PgPool, state: AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let contract = contract::Recorder::new(state.openapi.as_ref());
    let recorder = contract.clone();
    let task = tokio::spawn(async move {
        mspdesk_server::serve_with(listener, state, |router| recorder.layer(router), async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    let url = format!("http://{addr}");
    TestApp {
        addr,
        api: ApiClient::new(&url).expect("client"),
        url,
        admin: superuser(&db_url).await,
        db_url,
        pool,
        contract,
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// An MSP with a signed-in operator.
pub struct Msp {
    pub tenant: TenantId,
    pub api: ApiClient,
    pub email: String,
}

pub async fn msp(app: &TestApp) -> Msp {
    let email = format!("ops-{}@msp.example", Uuid::now_v7().simple());
    let parsed = Email::parse(&email).expect("email");
    let created = store::setup::create_msp(&app.pool, "Test MSP", &parsed, &secret(PASSWORD))
        .await
        .expect("create msp");
    let login = app
        .api
        .login(&email, &secret(PASSWORD))
        .await
        .expect("login");
    assert_eq!(login.tenant_id, created.tenant);
    Msp {
        tenant: created.tenant,
        api: app.api.with_token(login.token),
        email,
    }
}

/// A client of `msp` with the given quotas, and a client-scope API.
pub struct Tenant {
    pub id: ClientId,
    pub api: ApiClient,
    pub version: i64,
}

pub async fn client(msp: &Msp, name: &str, quotas: QuotasInput) -> Tenant {
    let plans = msp.api.plans().await.expect("plans");
    let plan = plans.items.first().expect("a plan");
    let created = msp
        .api
        .create_client(
            &CreateClient {
                company_name: name.to_owned(),
                contact_email: "contact@client.example".to_owned(),
                plan_id: plan.id.to_string(),
                quotas: Some(quotas),
            },
            None,
        )
        .await
        .expect("create client");
    let token: ClientToken = msp
        .api
        .client_token(created.id)
        .await
        .expect("client token");
    Tenant {
        id: created.id,
        api: msp.api.with_token(token.token),
        version: created.version,
    }
}

pub fn unlimited() -> QuotasInput {
    QuotasInput::default()
}

pub fn server_body(name: &str, storage_gb: i64) -> mspdesk_api::types::CreateServer {
    mspdesk_api::types::CreateServer {
        name: name.to_owned(),
        provider: "hetzner".to_owned(),
        server_type: "cx22".to_owned(),
        storage_gb,
        region: None,
        created_at: None,
        deleted_at: None,
        price: None,
    }
}

/// Holds client `t`'s server-creation lock (the advisory lock the store takes), so that a
/// create waits inside the server until the returned transaction ends.
#[allow(dead_code)] // used by some modules only
pub async fn hold_server_lock(
    app: &TestApp,
    t: &Tenant,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut blocker = app.pool.begin().await.expect("begin");
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("{}:servers", t.id))
        .execute(&mut *blocker)
        .await
        .expect("the lock");
    blocker
}

/// Starts creating server `name` for `t` and returns once the request waits inside the server
/// on the lock [`hold_server_lock`] holds. pg_locks shows the whole cluster, where tests
/// running beside this one take advisory locks of their own: only this database's waiter on
/// this key counts (a bigint key is split into classid and objid).
#[allow(dead_code)] // used by some modules only
pub async fn create_waiting_on_lock(
    app: &TestApp,
    t: &Tenant,
    name: &str,
) -> tokio::task::JoinHandle<Result<mspdesk_api::types::Server, mspdesk_api::client::ApiError>> {
    let api = t.api.clone();
    let body = server_body(name, 5);
    let request = tokio::spawn(async move { api.create_server(&body, None).await });
    for _ in 0..100 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks, hashtextextended($1, 0) AS key \
             WHERE locktype = 'advisory' AND NOT granted \
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND classid = ((key >> 32) & 4294967295)::oid \
               AND objid = (key & 4294967295)::oid AND objsubid = 1",
        )
        .bind(format!("{}:servers", t.id))
        .fetch_one(&app.pool)
        .await
        .expect("pg_locks");
        if n > 0 {
            return request;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the request never reached the lock");
}

/// The fields a 422 answer names (panics on any other answer).
#[allow(dead_code)] // used by some modules only
pub fn refused_fields(err: &mspdesk_api::client::ApiError) -> Vec<String> {
    let problem = err.problem().expect("a problem+json answer");
    assert_eq!(problem.status, 422, "{problem:?}");
    problem
        .errors
        .iter()
        .flatten()
        .map(|e| e.field.clone())
        .collect()
}
