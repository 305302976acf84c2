//! `control-panel`: the multi-tenant Control Panel API that MSP Desk syncs with.
//!
//! - [`routes`]: the HTTP surface (axum), described by OpenAPI (utoipa) from the same code.
//! - [`auth`]: JWTs (EdDSA, keys shared through the database), argon2id passwords, and the
//!   extractors that make the tenant a typed value taken only from a verified token.
//! - [`db`]: the per-request tenant transaction (app role + `app.tenant_id`, so row-level
//!   security applies) and migrations.
//! - [`store`]: every query, each taking the tenant transaction.
//! - [`error`]: the one error type, rendered as RFC 9457 problem+json.
//! - [`dns`]: TXT lookups that verify custom domains.
//! - [`Settings`]: token lifetime, key reloads, timeouts and limits of one instance; [`serve`]
//!   applies them (and refuses a superuser or `BYPASSRLS` database role unless allowed).

pub mod auth;
pub mod conn;
pub mod db;
pub mod demo;
pub mod directory;
pub mod dns;
pub mod error;
pub mod extract;
pub mod portal;
pub mod routes;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// How one server instance behaves. [`Settings::default`] is what `control-panel serve` uses
/// unless told otherwise; tests shorten some of it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long an MSP operator's token lasts (`CONTROL_PANEL_TOKEN_MINUTES`; default 8 hours).
    pub msp_token_lifetime: chrono::Duration,
    /// How often the signing keys are reloaded from the database (default 30 s): within this
    /// long every instance verifies a key added by `rotate-keys` and stops verifying a key
    /// revoked by `revoke-key`; a new key signs once three of these have passed.
    pub key_reload_interval: Duration,
    /// The longest a request may take, from its headers to its answer (default 30 s); past it
    /// the answer is 503.
    pub request_timeout: Duration,
    /// The longest a client may take to send a request's headers (default 10 s); past it the
    /// connection is closed.
    pub header_read_timeout: Duration,
    /// Requests handled at once by this instance (default 512); past it, 503 at once.
    pub max_concurrent_requests: usize,
    /// Password checks (argon2id) run at once (default: the number of cores); a sign-in that
    /// finds none free within [`Settings::password_wait`] gets 503.
    pub password_checks: usize,
    /// How long a sign-in waits for a free password-check slot (default 1 s).
    pub password_wait: Duration,
    /// Serve even when the database role is a superuser or may bypass row-level security
    /// (`--allow-superuser`); refused by default.
    pub allow_superuser: bool,
    /// Proxies in front of this server (`CONTROL_PANEL_TRUSTED_PROXIES`): for a request from
    /// one of them, the client's address is the rightmost `X-Forwarded-For` entry that is not
    /// a trusted proxy. Empty by default: the connection's peer is the address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Open connections one address may hold (`CONTROL_PANEL_CONNECTIONS_PER_ADDRESS`; default
    /// 64; IPv6 by /64); past it a new connection is closed at once. Behind a trusted proxy,
    /// the requests at once of one forwarded address (503 past it).
    pub max_connections_per_address: usize,
    /// Open connections in all (default 16,384; the unit's `LimitNOFILE` is 65,536).
    pub max_connections: usize,
    /// How long a new connection may stay silent before its first byte (default 10 s).
    pub first_byte_timeout: Duration,
    /// How long a connection with no request in progress may stay silent (default 60 s).
    pub idle_timeout: Duration,
    /// The slowest a request body may arrive once `body_grace` has passed (default 4 KiB/s
    /// after 10 s): a body is read whole before its request takes a place among the requests
    /// at once, so slow senders hold no place there.
    pub min_body_rate: u64,
    pub body_grace: Duration,
}

/// The shortest and longest MSP token lifetime `CONTROL_PANEL_TOKEN_MINUTES` accepts.
pub const TOKEN_MINUTES: std::ops::RangeInclusive<i64> = 5..=30 * 24 * 60;

impl Default for Settings {
    fn default() -> Self {
        Self {
            msp_token_lifetime: auth::MSP_TOKEN_LIFETIME,
            key_reload_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_concurrent_requests: 512,
            password_checks: std::thread::available_parallelism().map_or(2, usize::from),
            password_wait: Duration::from_secs(1),
            allow_superuser: false,
            trusted_proxies: Vec::new(),
            max_connections_per_address: 64,
            max_connections: 16_384,
            first_byte_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            min_body_rate: 4096,
            body_grace: Duration::from_secs(10),
        }
    }
}

impl Settings {
    /// The connection limits of [`conn`].
    #[must_use]
    pub fn connection_limits(&self) -> conn::Limits {
        conn::Limits {
            per_address: self.max_connections_per_address.max(1),
            total: self.max_connections.max(1),
            first_byte: self.first_byte_timeout,
            idle: self.idle_timeout,
            min_body_rate: self.min_body_rate,
            body_grace: self.body_grace,
            // The largest a route takes (an image upload); each route refuses more by its own.
            max_body: BODY_LIMIT.max(mspdesk_domain::ASSET_MAX_BYTES + 1024),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub keys: Arc<auth::Keys>,
    /// Checked against when a login names an unknown e-mail (same cost as a wrong password).
    pub dummy_hash: Arc<String>,
    pub openapi: Arc<serde_json::Value>,
    /// How custom domains are checked.
    pub domains: Arc<DomainSettings>,
    /// Whether the portal's cookies are `Secure`: yes, unless the server listens on loopback
    /// and has no public host (plain HTTP for local use and tests; anywhere else, or behind a
    /// public host name, TLS is expected in front). Set by [`serve`].
    pub secure_cookies: bool,
    /// Lifetimes, timeouts and limits.
    pub settings: Arc<Settings>,
    /// Slots for password checks (see [`Settings::password_checks`]).
    pub password_checks: Arc<Semaphore>,
    /// The portal's brand sheets, made once per branding version.
    pub portal_sheets: Arc<portal::SheetCache>,
    /// Which MSP each client belongs to (see [`directory`]).
    pub directory: Arc<directory::Directory>,
}

/// How custom domains are checked: where their TXT records are looked up, and which names are
/// the Control Panel's own (refused as custom domains, with every name under them).
#[derive(Debug, Clone, Default)]
pub struct DomainSettings {
    /// `CONTROL_PANEL_DNS`; the system's resolver by default.
    pub nameserver: dns::Nameserver,
    /// `CONTROL_PANEL_PUBLIC_HOST`.
    pub public_host: Option<mspdesk_domain::DomainName>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("keys", &self.keys)
            .field("domains", &self.domains)
            .field("settings", &self.settings)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("signing keys: {0}")]
    Keys(#[from] auth::KeyError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The database role could read every tenant's rows regardless of row-level security.
    #[error("the database role {0} is a superuser or may bypass row-level security: connect as the schema's owner role (see README), or pass --allow-superuser")]
    PrivilegedRole(String),
}

impl AppState {
    /// Loads (or creates) the signing keys and prepares shared state, with the default
    /// [`DomainSettings`] and [`Settings`] (see [`AppState::with_domains`] and
    /// [`AppState::with_settings`]). The schema must be migrated. `sealing` opens the stored
    /// signing keys and seals new ones (keys sealed with a previous key are sealed again).
    pub async fn new(pool: PgPool, sealing: auth::KeyEncryption) -> Result<Self, StartError> {
        let keys = auth::Keys::load_or_create(&pool, sealing).await?;
        let dummy_hash = tokio::task::spawn_blocking(auth::dummy_hash)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let (_, doc) = routes::api();
        let mut openapi = serde_json::to_value(&doc).map_err(std::io::Error::other)?;
        // The bounds, patterns and value sets the validation enforces (crates/api).
        mspdesk_api::openapi::constrain(&mut openapi);
        let settings = Settings::default();
        Ok(Self {
            pool,
            keys,
            dummy_hash: Arc::new(dummy_hash),
            openapi: Arc::new(openapi),
            domains: Arc::new(DomainSettings::default()),
            secure_cookies: true,
            password_checks: Arc::new(Semaphore::new(settings.password_checks.max(1))),
            settings: Arc::new(settings),
            portal_sheets: Arc::default(),
            directory: Arc::default(),
        })
    }

    /// The same state with these domain settings.
    #[must_use]
    pub fn with_domains(mut self, domains: DomainSettings) -> Self {
        self.domains = Arc::new(domains);
        self
    }

    /// The same state with these settings.
    #[must_use]
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.password_checks = Arc::new(Semaphore::new(settings.password_checks.max(1)));
        self.settings = Arc::new(settings);
        self
    }
}

/// Migrates the schema and syncs the template library; on a Citus database (the `citus`
/// extension installed), also distributes what is not distributed yet ([`db::distribute`]).
pub async fn migrate(pool: &PgPool) -> Result<(), StartError> {
    db::migrate(pool).await?;
    store::setup::sync_templates(pool).await?;
    if db::is_citus(pool).await? {
        let done = db::distribute(pool).await?;
        if done != db::Distributed::default() {
            tracing::info!(
                reference = done.reference,
                distributed = done.distributed,
                "tables distributed over the Citus cluster"
            );
        }
    }
    Ok(())
}

/// The whole application as an axum router: the API, the portal, and the request timeout of
/// [`Settings`] (answered with 503 `unavailable`). The bound on requests at once is
/// [`serve`]'s, around the whole router.
pub fn app(state: AppState) -> axum::Router {
    let (router, _) = routes::api();
    let settings = Arc::clone(&state.settings);
    router
        .merge(portal::router())
        // Unknown hosts get a plain 404; a custom domain serves only its client's portal.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            portal::host_filter,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A NUL in a path or a query (`%00`) never reaches PostgreSQL, which refuses it in
        // text: 400 before any handler.
        .layer(axum::middleware::from_fn(refuse_encoded_nul))
        // gzip when the client accepts it (the typed client does); images and tiny bodies
        // are left alone.
        .layer(CompressionLayer::new())
        // Per route (axum applies a router's layers route by route): a timeout holds no
        // shared state, so that is what it should be.
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .timeout(settings.request_timeout),
        )
        // Requests are traced with their path, never a secret in it (invitation links).
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    uri = %redacted_uri(request.uri()),
                    version = ?request.version(),
                )
            },
        ))
        .with_state(state)
}

/// A request's path and query as they may be logged: the token of an invitation link
/// (`/portal/{tenant}/invitation/{token}`) is replaced, whatever else the path holds.
#[must_use]
pub fn redacted_uri(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    let path = match path.split_once("/invitation/") {
        Some((before, _)) => format!("{before}/invitation/[redacted]"),
        None => path.to_owned(),
    };
    match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}

/// Answers 400 to a request whose path or query holds `%00`.
async fn refuse_encoded_nul(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let uri = request.uri();
    if extract::has_encoded_nul(uri.path()) || uri.query().is_some_and(extract::has_encoded_nul) {
        return axum::response::IntoResponse::into_response(error::AppError::BadRequest(
            "a NUL character (%00) in the path or the query".into(),
        ));
    }
    next.run(request).await
}

/// Runs one request (its place among the requests at once, its timeout, its handler) on a task
/// of its own, tracked by `tasks`, so that a client going away stops the wait for the answer,
/// not the work halfway through: a write is finished or rolled back whole, no database
/// connection is abandoned mid-statement, and the work keeps its place in the bound on
/// requests at once until it ends. Only the request timeout, inside the task, still ends the
/// work. A handler that panics is a 500.
async fn run_to_completion<S>(
    tasks: TaskTracker,
    service: S,
    request: axum::http::Request<axum::body::Body>,
) -> Result<axum::response::Response, std::convert::Infallible>
where
    S: tower::Service<
            axum::http::Request<axum::body::Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    match tasks.spawn(service.oneshot(request)).await {
        Ok(answer) => answer,
        Err(e) => Ok(axum::response::IntoResponse::into_response(
            error::AppError::Internal(format!("a request's task failed: {e}")),
        )),
    }
}

/// A request refused for lack of capacity or time: 503 with `Retry-After`.
async fn overloaded(error: tower::BoxError) -> axum::response::Response {
    axum::response::IntoResponse::into_response(refusal(&error))
}

fn refusal(error: &tower::BoxError) -> error::AppError {
    if error.is::<tower::timeout::error::Elapsed>() {
        tracing::warn!("a request took too long and was cut off");
    } else {
        tracing::warn!("too many requests at once: one was turned away");
    }
    error::AppError::Unavailable(1)
}

/// Serves `state` until `shutdown` completes; then stops accepting and lets in-flight requests
/// finish. Refuses to start as a superuser or `BYPASSRLS` role unless
/// [`Settings::allow_superuser`]. Reloads the signing keys every
/// [`Settings::key_reload_interval`] while it serves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    serve_with(listener, state, |router| router, shutdown).await
}

/// [`serve`], with the router passed through `wrap` first (tests add a layer that checks every
/// answer against the OpenAPI document).
pub async fn serve_with(
    listener: TcpListener,
    mut state: AppState,
    wrap: impl FnOnce(axum::Router) -> axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    if !state.settings.allow_superuser {
        if let Some(role) = db::privileged_role(&state.pool).await? {
            return Err(StartError::PrivilegedRole(role));
        }
    }
    let addr = listener.local_addr()?;
    // Plain HTTP only on loopback, and only when no public host is configured: a public host
    // means a TLS proxy in front, wherever this instance listens.
    state.secure_cookies = !addr.ip().is_loopback() || state.domains.public_host.is_some();
    let settings = Arc::clone(&state.settings);
    state
        .keys
        .activate_after_reloads(settings.key_reload_interval);
    let reloader = tokio::spawn(auth::Keys::reload_every(
        Arc::downgrade(&state.keys),
        settings.key_reload_interval,
    ));
    let router = wrap(app(state));
    tracing::info!(%addr, "control panel listening");
    accept_loop(listener, router, &settings, shutdown).await;
    reloader.abort();
    tracing::info!("control panel stopped");
    Ok(())
}

/// Accepts connections until `shutdown`, each served by hyper with a header-read timeout;
/// then waits for the open connections to finish their requests. Every connection holds a slot
/// of its address (closed at once past the cap) and is closed when silent too long with
/// nothing in progress; every request's body is read whole, at the minimum rate, before the
/// request takes a place among the requests at once; `/health` and `/ready` take none.
async fn accept_loop(
    listener: TcpListener,
    router: axum::Router,
    settings: &Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // One bound for the whole instance (the layer's clones share its semaphore): past it, a
    // request is turned away at once with 503 rather than queued.
    let limited = tower::ServiceBuilder::new()
        .layer(HandleErrorLayer::<_, ()>::new(overloaded))
        .load_shed()
        .concurrency_limit(settings.max_concurrent_requests.max(1))
        .service(router.clone());
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let tasks = TaskTracker::new();
    let limits = settings.connection_limits();
    let trusted: Arc<[std::net::IpAddr]> = settings.trusted_proxies.clone().into();
    let connections = Arc::new(conn::Slots::default());
    let forwarded = Arc::new(conn::Slots::default());
    let shutdown = std::pin::pin!(shutdown);
    let mut shutdown = shutdown;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A trusted proxy's connections carry many clients: its clients are capped one by one,
        // request by request (below), not its connections.
        let proxied = trusted.contains(&peer.ip());
        let per_address = if proxied {
            usize::MAX
        } else {
            limits.per_address
        };
        let Some(slot) = connections.take(peer.ip(), per_address, limits.total) else {
            tracing::debug!(%peer, "a connection over the address's or the total cap was closed");
            continue;
        };
        let activity = conn::Activity::new();
        let context = Arc::new(RequestContext {
            peer,
            proxied,
            trusted: Arc::clone(&trusted),
            limits,
            forwarded: Arc::clone(&forwarded),
            activity: Arc::clone(&activity),
            router: router.clone(),
            limited: limited.clone(),
            tasks: tasks.clone(),
        });
        let service = tower::service_fn(move |request| Arc::clone(&context).handle(request));
        let io = TokioIo::new(conn::Watched::new(stream, Arc::clone(&activity)));
        let connection = builder
            .serve_connection_with_upgrades(io, TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        let (first_byte, idle) = (limits.first_byte, limits.idle);
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                () = activity.silent_too_long(first_byte, idle) => {
                    tracing::debug!("a silent connection was closed");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    // Requests whose clients left before the answer still finish (within the request timeout).
    tasks.close();
    tasks.wait().await;
}

/// What one connection's requests share.
struct RequestContext<L> {
    peer: SocketAddr,
    /// The peer is a trusted proxy.
    proxied: bool,
    trusted: Arc<[std::net::IpAddr]>,
    limits: conn::Limits,
    /// Requests at once of addresses forwarded by trusted proxies.
    forwarded: Arc<conn::Slots>,
    activity: Arc<conn::Activity>,
    router: axum::Router,
    limited: L,
    tasks: TaskTracker,
}

impl<L> RequestContext<L>
where
    L: tower::Service<
            axum::http::Request<axum::body::Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    L::Future: Send + 'static,
{
    async fn handle(
        self: Arc<Self>,
        request: axum::http::Request<hyper::body::Incoming>,
    ) -> Result<axum::response::Response, std::convert::Infallible> {
        let _in_progress = self.activity.request();
        let (mut parts, body) = request.into_parts();
        parts
            .extensions
            .insert(ConnectInfo::<SocketAddr>(self.peer));
        // Health checks answer whatever the load: they take no place among the requests at once.
        if matches!(parts.uri.path(), "/health" | "/ready") {
            let request = axum::http::Request::from_parts(parts, axum::body::Body::new(body));
            return self.router.clone().oneshot(request).await;
        }
        let _forwarded_slot = if self.proxied {
            let header = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            let client = extract::client_address(self.peer.ip(), &header, &self.trusted);
            match self
                .forwarded
                .take(client, self.limits.per_address, usize::MAX)
            {
                Some(slot) => Some(slot),
                None => {
                    return Ok(axum::response::IntoResponse::into_response(
                        error::AppError::Unavailable(1),
                    ))
                }
            }
        } else {
            None
        };
        let body = match conn::buffered(body, &self.limits).await {
            Ok(body) => body,
            Err(refused) => return Ok(axum::response::IntoResponse::into_response(refused)),
        };
        let request = axum::http::Request::from_parts(parts, body);
        run_to_completion(self.tasks.clone(), self.limited.clone(), request).await
    }
}
