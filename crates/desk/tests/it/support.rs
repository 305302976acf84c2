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
    try_sign_in_as(w, email, password).await.unwrap()
}

/// Signs in through the proxy, as the app does; the error as it is.
pub async fn try_sign_in_as(
    w: &World,
    email: &str,
    password: &str,
) -> Result<Desk, mspdesk_desk::DeskError> {
    Desk::login(
        &w.data,
        &w.proxy.url(),
        email,
        &secret(password),
        keyring(),
        mspdesk_desk::PlainHttp::LoopbackOnly,
    )
    .await
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

/// Lifts every quota of every client (for tests that write a lot).
pub async fn lift_quotas(w: &World) {
    let api = operator(w).await;
    for c in api.list_clients(None, None, None).await.unwrap().items {
        api.set_quotas(c.id, &mspdesk_api::types::QuotasInput::default(), c.version)
            .await
            .unwrap();
    }
}

/// Sorted JSON values, for comparing lists whatever their order.
fn sorted<T: serde::Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    let mut values: Vec<serde_json::Value> = items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap())
        .collect();
    values.sort_by_key(std::string::ToString::to_string);
    values
}

/// The desk's mirror holds exactly what the server's own routes return, row for row: plans,
/// prices, exchange rates, and every client's record, servers, users, apps, catalog and
/// branding; and nothing of clients the server no longer has.
pub async fn assert_mirror_matches_server(desk: &Desk, w: &World) {
    use mspdesk_api::types::{
        App, Branding, Catalog, Client, FxTableBody, Plan, Price, Server, User,
    };
    use mspdesk_desk::MirrorKind;

    let api = operator(w).await;
    let store = desk.store();
    let msp = desk.account().msp_tenant;
    let plans: Vec<Plan> = store.mirror_all(MirrorKind::Plan, msp).await.unwrap();
    assert_eq!(sorted(&plans), sorted(&api.plans().await.unwrap().items));
    let prices: Vec<Price> = store.mirror_all(MirrorKind::Price, msp).await.unwrap();
    assert_eq!(sorted(&prices), sorted(&api.prices().await.unwrap().items));
    let fx: Option<FxTableBody> = store.mirror(MirrorKind::Fx, msp, "fx").await.unwrap();
    assert_eq!(fx.unwrap(), api.fx().await.unwrap());

    let mut on_server = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = api
            .list_clients(None, Some(500), cursor.as_deref())
            .await
            .unwrap();
        on_server.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mirrored: Vec<Client> = store.mirror_all(MirrorKind::Client, msp).await.unwrap();
    assert_eq!(mirrored.len(), on_server.len(), "clients");
    for summary in &on_server {
        let client = api.get_client(summary.id).await.unwrap();
        let tenant_id: mspdesk_domain::TenantId = client.id.into();
        let mine: Option<Client> = store
            .mirror(MirrorKind::Client, msp, &client.id.to_string())
            .await
            .unwrap();
        assert_eq!(mine.as_ref(), Some(&client), "{}", client.company_name);
        let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);
        let servers = tenant.servers().await.unwrap().items;
        let m_servers: Vec<Server> = store
            .mirror_all(MirrorKind::Server, tenant_id)
            .await
            .unwrap();
        assert_eq!(
            sorted(&m_servers),
            sorted(&servers),
            "{} servers",
            client.company_name
        );
        let users = tenant.users().await.unwrap().items;
        let m_users: Vec<User> = store.mirror_all(MirrorKind::User, tenant_id).await.unwrap();
        assert_eq!(
            sorted(&m_users),
            sorted(&users),
            "{} users",
            client.company_name
        );
        let mut apps = Vec::new();
        for s in servers.iter().filter(|s| s.deleted_at.is_none()) {
            apps.extend(tenant.apps(s.id).await.unwrap().items);
        }
        let m_apps: Vec<App> = store.mirror_all(MirrorKind::App, tenant_id).await.unwrap();
        assert_eq!(
            sorted(&m_apps),
            sorted(&apps),
            "{} apps",
            client.company_name
        );
        let id = client.id.to_string();
        let catalog: Option<Catalog> = store
            .mirror(MirrorKind::Catalog, tenant_id, &id)
            .await
            .unwrap();
        assert_eq!(catalog.unwrap(), tenant.catalog().await.unwrap());
        let branding: Option<Branding> = store
            .mirror(MirrorKind::Branding, tenant_id, &id)
            .await
            .unwrap();
        assert_eq!(branding.unwrap(), tenant.branding().await.unwrap());
    }
}

/// The keyring entries of the `mspdesk` service whose names start with `prefix`.
pub fn keyring_accounts(prefix: &str) -> Vec<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "mspdesk"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("attribute.username = "))
        .filter(|a| a.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}
