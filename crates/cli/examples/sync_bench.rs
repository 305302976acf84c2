//! The sync benchmark's driver (run by `cargo xtask bench`): seeds a Control Panel through its
//! API with N clients of M imported instances each, then times the `mspdesk` binary as a user
//! runs it, process start to exit: the first sync after signing in, a sync with nothing
//! changed, and a sync after one change. Prints the timings as JSON.
//!
//! Usage: sync_bench SERVER_URL EMAIL MSPDESK_BINARY WORK_DIR CLIENTS INSTANCES RUNS
//! (the password on standard input).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{Duration, Utc};
use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{CreateClient, CreateServer, CreateUser, QuotasInput};
use mspdesk_desk::SecretString;
use tokio::task::JoinSet;

/// Clients seeded at once.
const PARALLEL: usize = 16;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, server, email, mspdesk, work, clients, instances, runs] = args.as_slice() else {
        bail!("usage: sync_bench SERVER_URL EMAIL MSPDESK_BINARY WORK_DIR CLIENTS INSTANCES RUNS");
    };
    let (clients, instances, runs): (usize, usize, usize) =
        (clients.parse()?, instances.parse()?, runs.parse()?);
    let mut password = String::new();
    std::io::stdin().read_to_string(&mut password)?;
    let password = password.trim_end().to_owned();

    let api = ApiClient::new(server)?;
    let login = api
        .login(email, &SecretString::from(password.clone()))
        .await?;
    let msp = api.with_token(login.token);
    let started = Instant::now();
    let ids = seed(&msp, clients, instances).await?;
    eprintln!(
        "seeded {clients} clients x {instances} instances in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let bench = Bench {
        server: server.clone(),
        email: email.clone(),
        password,
        mspdesk: PathBuf::from(mspdesk),
        work: PathBuf::from(work),
    };
    let mut first = Vec::new();
    let mut last_dir = PathBuf::new();
    for run in 0..runs {
        let dir = bench.work.join(format!("first-{run}"));
        let _ = std::fs::remove_dir_all(&dir);
        bench.login(&dir)?;
        first.push(bench.sync(&dir)?);
        last_dir = dir;
    }
    let mut idle = Vec::new();
    for _ in 0..runs {
        idle.push(bench.sync(&last_dir)?);
    }
    let mut one = Vec::new();
    for run in 0..runs {
        let client = ids[run % ids.len()];
        let tenant = msp.with_token(msp.client_token(client).await?.token);
        tenant
            .create_user(
                &CreateUser {
                    email: format!(
                        "bench-{run}-{}@one-change.example",
                        Utc::now().timestamp_micros()
                    ),
                    name: "One change".into(),
                },
                None,
            )
            .await?;
        one.push(bench.sync(&last_dir)?);
    }
    let out = serde_json::json!({
        "clients": clients,
        "instances": instances,
        "first_sync_s": first,
        "no_change_sync_s": idle,
        "one_change_sync_s": one,
        "data_dir": last_dir,
    });
    std::io::stdout().write_all(out.to_string().as_bytes())?;
    Ok(())
}

/// Seeds `clients` clients, each with `instances` instances imported from last month.
async fn seed(
    msp: &ApiClient,
    clients: usize,
    instances: usize,
) -> Result<Vec<mspdesk_domain::ClientId>> {
    let plan = msp.plans().await?.items[0].id;
    let mut ids = Vec::new();
    let mut tasks = JoinSet::new();
    for n in 0..clients {
        if tasks.len() >= PARALLEL {
            if let Some(done) = tasks.join_next().await {
                ids.push(done??);
            }
        }
        let msp = msp.clone();
        tasks.spawn(async move {
            let client = msp
                .create_client(
                    &CreateClient {
                        company_name: format!("Bench Client {n:04}"),
                        contact_email: format!("it{n}@bench.example"),
                        plan_id: plan.to_string(),
                        quotas: Some(QuotasInput::default()),
                    },
                    None,
                )
                .await?;
            let tenant = msp.with_token(msp.client_token(client.id).await?.token);
            let base = Utc::now() - Duration::days(40);
            for i in 0..instances {
                let offset = i64::try_from(n * instances + i).unwrap_or(0);
                tenant
                    .create_server(
                        &CreateServer {
                            name: format!("srv-{n:04}-{i:02}"),
                            provider: "hetzner".into(),
                            server_type: "cx22".into(),
                            storage_gb: 10,
                            region: None,
                            created_at: Some(base + Duration::minutes(offset)),
                            deleted_at: None,
                            price: None,
                        },
                        None,
                    )
                    .await?;
            }
            Ok::<_, anyhow::Error>(client.id)
        });
    }
    while let Some(done) = tasks.join_next().await {
        ids.push(done??);
    }
    Ok(ids)
}

struct Bench {
    server: String,
    email: String,
    password: String,
    mspdesk: PathBuf,
    work: PathBuf,
}

impl Bench {
    fn login(&self, dir: &Path) -> Result<()> {
        let mut child = Command::new(&self.mspdesk)
            .args(["--data-dir"])
            .arg(dir)
            .args(["login", "--server", &self.server, "--email", &self.email])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("starting mspdesk login")?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(self.password.as_bytes())?;
        if !child.wait()?.success() {
            bail!("mspdesk login failed");
        }
        Ok(())
    }

    /// Seconds from starting `mspdesk sync` to its exit.
    fn sync(&self, dir: &Path) -> Result<f64> {
        let started = Instant::now();
        let out = Command::new(&self.mspdesk)
            .arg("--data-dir")
            .arg(dir)
            .arg("sync")
            .stdin(Stdio::null())
            .output()
            .context("starting mspdesk sync")?;
        let seconds = started.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "mspdesk sync failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim());
        Ok(seconds)
    }
}
