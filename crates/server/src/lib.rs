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

pub mod auth;
pub mod db;
pub mod demo;
pub mod dns;
pub mod error;
pub mod extract;
pub mod portal;
pub mod routes;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 256 * 1024;

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
}

impl AppState {
    /// Loads (or creates) the signing keys and prepares shared state, with the default
    /// [`DomainSettings`] (see [`AppState::with_domains`]). The schema must be migrated.
    pub async fn new(pool: PgPool) -> Result<Self, StartError> {
        let keys = auth::Keys::load_or_create(&pool).await?;
        let dummy_hash = tokio::task::spawn_blocking(auth::dummy_hash)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let (_, doc) = routes::api();
        let openapi = serde_json::to_value(&doc).map_err(std::io::Error::other)?;
        Ok(Self {
            pool,
            keys,
            dummy_hash: Arc::new(dummy_hash),
            openapi: Arc::new(openapi),
            domains: Arc::new(DomainSettings::default()),
            secure_cookies: true,
        })
    }

    /// The same state with these domain settings.
    #[must_use]
    pub fn with_domains(mut self, domains: DomainSettings) -> Self {
        self.domains = Arc::new(domains);
        self
    }
}

/// Migrates the schema and syncs the template library.
pub async fn migrate(pool: &PgPool) -> Result<(), StartError> {
    db::migrate(pool).await?;
    store::setup::sync_templates(pool).await?;
    Ok(())
}

/// The whole application as an axum router.
pub fn app(state: AppState) -> axum::Router {
    let (router, _) = routes::api();
    router
        .merge(portal::router())
        // Unknown hosts get a plain 404; a custom domain serves only its client's portal.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            portal::host_filter,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // gzip when the client accepts it (the typed client does); images and tiny bodies
        // are left alone.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes; then stops accepting and lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let addr = listener.local_addr()?;
    // Plain HTTP only on loopback, and only when no public host is configured: a public host
    // means a TLS proxy in front, wherever this instance listens.
    state.secure_cookies = !addr.ip().is_loopback() || state.domains.public_host.is_some();
    tracing::info!(%addr, "control panel listening");
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    tracing::info!("control panel stopped");
    Ok(())
}
