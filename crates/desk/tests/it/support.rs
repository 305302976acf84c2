//! What the desk's tests share: a world (a fresh database with the demo MSP, the server, and a
//! proxy in front of it), a signed-in desk, and the operator's own API.

use std::sync::Arc;

use mspdesk_api::client::ApiClient;
use mspdesk_desk::{CancellationToken, Desk, OsKeyring, SecretStore, SecretString};
use mspdesk_testkit::*;

pub fn keyring() -> Arc<dyn SecretStore> {
    Arc::new(OsKeyring)
}

/// A password or token as the APIs take it.
pub fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

/// A cancellation token nobody cancels.
pub fn never() -> CancellationToken {
    CancellationToken::new()
}

pub struct World {
    pub pool: sqlx::PgPool,
    pub server: Option<Server>,
    pub proxy: Proxy,
    pub data: std::path::PathBuf,
}

/// A fresh database seeded with the demo MSP, its server, and a proxy in front of it.
pub async fn world() -> World {
    let (_, pool) = fresh_database().await;
    mspdesk_server::demo::seed(&pool).await.unwrap();
    bare_world(pool).await
}

/// A world on `pool` as it is.
pub async fn bare_world(pool: sqlx::PgPool) -> World {
    let server = Server::start(&pool).await;
    let proxy = Proxy::start(server.addr).await;
    World {
        pool,
        server: Some(server),
        proxy,
        data: data_dir(),
    }
}

pub async fn signed_in(w: &World) -> Desk {
    sign_in_as(w, DEMO_EMAIL, DEMO_PASSWORD).await
}

pub async fn sign_in_as(w: &World, email: &str, password: &str) -> Desk {
    Desk::login(&w.data, &w.proxy.url(), email, &secret(password), keyring())
        .await
        .unwrap()
}

/// The demo MSP's API, straight to the server (not through the desk).
pub async fn operator(w: &World) -> ApiClient {
    operator_as(w, DEMO_EMAIL, DEMO_PASSWORD).await
}

pub async fn operator_as(w: &World, email: &str, password: &str) -> ApiClient {
    let api = ApiClient::new(&w.proxy.url()).unwrap();
    let login = api.login(email, &secret(password)).await.unwrap();
    api.with_token(login.token)
}
