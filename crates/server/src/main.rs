//! `control-panel`: migrate | serve | create-admin | seed-demo.

use std::io::Read;
use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use mspdesk_domain::{DomainName, Email};
use mspdesk_server::dns::Nameserver;
use mspdesk_server::{db, demo, store, AppState, DomainSettings};
use secrecy::{ExposeSecret, SecretString};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "control-panel",
    version,
    about = "The MSP Desk Control Panel API server"
)]
struct Cli {
    /// PostgreSQL URL of the owner role (it runs migrations; requests run as mspdesk_app).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Connections in the pool.
    #[arg(long, env = "CONTROL_PANEL_POOL_SIZE", default_value_t = 10)]
    pool_size: u32,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply database migrations and sync the app template library.
    Migrate,
    /// Migrate, then serve the API until SIGTERM or Ctrl-C (in-flight requests finish).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CONTROL_PANEL_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// The DNS server (`ip:port`) that custom-domain TXT records are looked up at; the
        /// system's resolver when unset.
        #[arg(long, env = "CONTROL_PANEL_DNS")]
        dns: Option<SocketAddr>,
        /// The Control Panel's own host name: it and every name under it are refused as a
        /// client's custom domain.
        #[arg(long, env = "CONTROL_PANEL_PUBLIC_HOST", value_parser = parse_public_host)]
        public_host: Option<DomainName>,
    },
    /// Create an MSP with its first operator (password read from standard input).
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The MSP's name.
        #[arg(long, default_value = "My MSP")]
        msp_name: String,
    },
    /// Create a demo MSP with three clients, their servers, users and apps.
    SeedDemo,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let pool = db::connect(&cli.database_url, cli.pool_size)
        .await
        .context("connecting to PostgreSQL (DATABASE_URL)")?;
    match cli.command {
        Command::Migrate => {
            mspdesk_server::migrate(&pool).await?;
            eprintln!("database is up to date");
        }
        Command::Serve {
            addr,
            dns,
            public_host,
        } => {
            mspdesk_server::migrate(&pool).await?;
            let state = AppState::new(pool).await?.with_domains(DomainSettings {
                nameserver: dns.map_or(Nameserver::System, Nameserver::At),
                public_host,
            });
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("listening on {addr} (CONTROL_PANEL_ADDR)"))?;
            mspdesk_server::serve(listener, state, shutdown_signal()).await?;
        }
        Command::CreateAdmin {
            email,
            password_stdin: _,
            msp_name,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = SecretString::from(password.trim_end_matches(['\r', '\n']));
            if password.expose_secret().is_empty() {
                bail!("no password on standard input");
            }
            mspdesk_server::migrate(&pool).await?;
            let msp = store::setup::create_msp(&pool, &msp_name, &email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("created MSP {} with operator {email}", msp.tenant);
        }
        Command::SeedDemo => {
            mspdesk_server::migrate(&pool).await?;
            let seeded = demo::seed(&pool)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match seeded.msp {
                Some(msp) => eprintln!(
                    "created demo MSP {msp} with {} clients; sign in as {} / {}",
                    seeded.clients,
                    demo::DEMO_EMAIL,
                    demo::DEMO_PASSWORD
                ),
                None => eprintln!(
                    "the demo MSP exists already; sign in as {}",
                    demo::DEMO_EMAIL
                ),
            }
        }
    }
    Ok(())
}

fn parse_public_host(s: &str) -> Result<DomainName, String> {
    DomainName::parse(s).map_err(|e| format!("not a host name: {e}"))
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
