//! Seeding for `cargo xtask bench` beyond the sync driver's clients, through the API:
//!
//! - `load SERVER_URL EMAIL CREATORS LIST_ROWS QUOTA`: for the load test, a client with
//!   LIST_ROWS servers (the tenant-scoped list), CREATORS clients that create servers under a
//!   large quota, and one client whose quota allows QUOTA servers (over-admission check).
//!   Prints their client tokens as JSON.
//! - `clients SERVER_URL EMAIL N`: N clients without servers (the desktop's client list).
//!
//! The password comes on standard input.

use std::io::{Read, Write};

use anyhow::{bail, Result};
use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{CreateClient, CreateServer, QuotasInput};
use mspdesk_desk::{ExposeSecret, SecretString};
use mspdesk_domain::ClientId;
use tokio::task::JoinSet;

/// Requests in flight while seeding.
const PARALLEL: usize = 16;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = SecretString::from(password.trim_end().to_owned());
    let out = match args.as_slice() {
        [_, mode, server, email, creators, list_rows, quota] if mode == "load" => {
            let msp = sign_in(server, email, &password).await?;
            load(&msp, creators.parse()?, list_rows.parse()?, quota.parse()?).await?
        }
        [_, mode, server, email, n] if mode == "clients" => {
            let msp = sign_in(server, email, &password).await?;
            let n: usize = n.parse()?;
            clients(&msp, "Desk Client", n, QuotasInput::default()).await?;
            serde_json::json!({ "clients": n })
        }
        _ => bail!(
            "usage: bench_setup load SERVER_URL EMAIL CREATORS LIST_ROWS QUOTA | clients SERVER_URL EMAIL N"
        ),
    };
    std::io::stdout().write_all(out.to_string().as_bytes())?;
    Ok(())
}

async fn sign_in(server: &str, email: &str, password: &SecretString) -> Result<ApiClient> {
    let api = ApiClient::new(server)?;
    let login = api.login(email, password).await?;
    Ok(api.with_token(login.token))
}

/// Creates `n` clients named `<prefix> NNNNN` with `quotas`; returns their ids.
async fn clients(
    msp: &ApiClient,
    prefix: &str,
    n: usize,
    quotas: QuotasInput,
) -> Result<Vec<ClientId>> {
    let plan = msp.plans().await?.items[0].id.to_string();
    let mut ids = Vec::with_capacity(n);
    let mut tasks = JoinSet::new();
    for i in 0..n {
        if tasks.len() >= PARALLEL {
            if let Some(done) = tasks.join_next().await {
                ids.push(done??);
            }
        }
        let (msp, plan, quotas) = (msp.clone(), plan.clone(), quotas.clone());
        let body = CreateClient {
            company_name: format!("{prefix} {i:05}"),
            contact_email: format!("it{i}@{}.example", prefix.to_lowercase().replace(' ', "-")),
            plan_id: plan,
            quotas: Some(quotas),
        };
        tasks
            .spawn(async move { Ok::<_, anyhow::Error>(msp.create_client(&body, None).await?.id) });
    }
    while let Some(done) = tasks.join_next().await {
        ids.push(done??);
    }
    Ok(ids)
}

async fn token(msp: &ApiClient, client: ClientId) -> Result<String> {
    Ok(msp
        .client_token(client)
        .await?
        .token
        .expose_secret()
        .to_owned())
}

async fn load(
    msp: &ApiClient,
    creators: usize,
    list_rows: usize,
    quota: i64,
) -> Result<serde_json::Value> {
    let lister = clients(msp, "Load List", 1, QuotasInput::default()).await?[0];
    let list_token = token(msp, lister).await?;
    let tenant = msp.with_token(SecretString::from(list_token.clone()));
    for i in 0..list_rows {
        tenant
            .create_server(
                &CreateServer {
                    name: format!("list-{i:03}"),
                    provider: "hetzner".into(),
                    server_type: "cx22".into(),
                    storage_gb: 10,
                    region: None,
                    created_at: None,
                    deleted_at: None,
                    price: None,
                },
                None,
            )
            .await?;
    }
    let large = QuotasInput {
        max_servers: Some(1_000_000),
        storage_quota_gb: Some(1_000_000_000),
        ..QuotasInput::default()
    };
    let mut create_tokens = Vec::new();
    for id in clients(msp, "Load Create", creators, large.clone()).await? {
        create_tokens.push(token(msp, id).await?);
    }
    let limited = QuotasInput {
        max_servers: Some(quota),
        ..large
    };
    let contended = clients(msp, "Load Quota", 1, limited).await?[0];
    Ok(serde_json::json!({
        "list_client": lister,
        "list_token": list_token,
        "create_tokens": create_tokens,
        "quota_client": contended,
        "quota_token": token(msp, contended).await?,
    }))
}
