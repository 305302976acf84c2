//! Test harness: the real server on 127.0.0.1:0 on a fresh database per test (from
//! `mspdesk_testkit`, on the PostgreSQL cluster that `cargo xtask test` starts), the typed
//! client, MSPs and clients to act as, and a log capture.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Once;

use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{ClientToken, CreateClient, QuotasInput};
pub use mspdesk_api::{ExposeSecret, SecretString};
use mspdesk_domain::{ClientId, Email, TenantId};
use mspdesk_server::{store, AppState, DomainSettings, Settings};
pub use mspdesk_testkit::{
    as_scope, as_superuser, as_tenant, database, empty_database, key_encryption,
};

use crate::contract;
use reqwest::{Method, StatusCode};
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

pub struct TestApp {
    pub addr: SocketAddr,
    pub url: String,
    #[allow(dead_code)] // for tests that need their own connections to the database
    pub db_url: String,
    /// The server's pool (the owner role).
    pub pool: PgPool,
    /// The superuser on this database (see [`as_superuser`]).
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

/// How [`spawn_app_with`] starts the server; the default is [`spawn_app`]'s.
pub struct AppOptions {
    /// Serve this database (its owner's URL and pool), as another instance behind a load
    /// balancer would; `None`: a fresh database with a pool of [`AppOptions::pool_size`].
    pub database: Option<(String, PgPool)>,
    /// The connections of a fresh database's pool.
    pub pool_size: u32,
    /// Custom domains: the DNS server to ask (a fake one on loopback) and the Control Panel's
    /// own host name.
    pub domains: DomainSettings,
    /// Limits, timeouts and token lifetimes.
    pub settings: Settings,
    /// The key-encryption keys of the signing keys; `None`: the tests' shared one.
    pub sealing: Option<mspdesk_server::auth::KeyEncryption>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            database: None,
            pool_size: 10,
            domains: DomainSettings::default(),
            settings: Settings::default(),
            sealing: None,
        }
    }
}

impl AppOptions {
    /// Another instance on the database at `db_url` with this `pool` (as behind a load
    /// balancer), otherwise the defaults.
    pub fn on(db_url: &str, pool: &PgPool) -> Self {
        Self {
            database: Some((db_url.to_owned(), pool.clone())),
            ..Self::default()
        }
    }
}

/// The server on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// The server as `options` say.
pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    init_logging();
    let (db_url, pool, server_pool) = match options.database {
        Some((url, pool)) => (url, pool.clone(), pool),
        None => {
            let (url, pool) = database(options.pool_size).await;
            // On Citus: a pool of its own, on which any multi-shard statement fails.
            let server_pool = if mspdesk_testkit::is_citus() {
                mspdesk_testkit::server_pool(&url, options.pool_size).await
            } else {
                pool.clone()
            };
            (url, pool, server_pool)
        }
    };
    let sealing = options.sealing.unwrap_or_else(key_encryption);
    let state = AppState::new(server_pool, sealing)
        .await
        .expect("state")
        .with_domains(options.domains)
        .with_settings(options.settings);
    serve_state(db_url, pool, state).await
}

async fn serve_state(db_url: String, pool: PgPool, state: AppState) -> TestApp {
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
        admin: as_superuser(&pool).await,
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

/// Holds client `t`'s server-creation lock (the `quota_locks` row the store locks), so that a
/// create waits inside the server until the returned transaction ends.
#[allow(dead_code)] // used by some modules only
pub async fn hold_server_lock(
    app: &TestApp,
    t: &Tenant,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut blocker = app.admin.begin().await.expect("begin");
    sqlx::query(
        "INSERT INTO quota_locks (msp_id, tenant_id, what)
         SELECT msp_id, client_id, 'servers' FROM client_directory WHERE client_id = $1
         ON CONFLICT (msp_id, tenant_id, what) DO UPDATE SET taken = quota_locks.taken + 1",
    )
    .bind(t.id.as_uuid())
    .execute(&mut *blocker)
    .await
    .expect("the lock");
    blocker
}

/// Starts creating server `name` for `t` and returns once the request waits inside the server
/// on the lock [`hold_server_lock`] holds (a backend of this test's own database waiting in
/// its `quota_locks` statement: on a lock, or on Citus, on the worker that waits on it).
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
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND state = 'active'
               AND wait_event IS NOT NULL AND query LIKE 'INSERT INTO quota_locks%'",
        )
        .fetch_one(&app.admin)
        .await
        .expect("pg_stat_activity");
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

/// The status of `GET path` with `token` as the bearer (`None`: no token at all).
pub async fn status_of(app: &TestApp, token: Option<&str>, path: &str) -> StatusCode {
    let mut req = app.api.request(Method::GET, path);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status()
}

/// The fields a 422 response names (fails on any other status).
pub async fn refused_fields_in(res: reqwest::Response) -> Vec<String> {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: mspdesk_api::Problem = res.json().await.unwrap();
    problem
        .errors
        .unwrap()
        .into_iter()
        .map(|e| e.field)
        .collect()
}
