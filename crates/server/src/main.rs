//! `control-panel`: migrate | serve | create-admin | seed-demo | keys | rotate-keys | revoke-key |
//! reseal-keys | generate-key-encryption-key | unlock.

use std::io::Read;
use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use mspdesk_domain::{DomainName, Email};
use mspdesk_server::dns::Nameserver;
use mspdesk_server::{auth, db, demo, store, AppState, DomainSettings, Settings};
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
    database_url: Option<String>,
    /// Connections in the pool.
    #[arg(long, env = "CONTROL_PANEL_POOL_SIZE", default_value_t = 10)]
    pool_size: u32,
    /// The key-encryption key that seals the signing keys in the database (base64 of 32
    /// bytes; `control-panel generate-key-encryption-key` makes one). Keep it out of backups.
    #[arg(long, env = "CONTROL_PANEL_KEY_ENCRYPTION_KEY", hide_env_values = true)]
    key_encryption_key: Option<String>,
    /// A file holding the key-encryption key instead (base64).
    #[arg(long, env = "CONTROL_PANEL_KEY_ENCRYPTION_KEY_FILE")]
    key_encryption_key_file: Option<std::path::PathBuf>,
    /// Earlier key-encryption keys (comma-separated), during a rotation: keys they sealed are
    /// sealed again with the current one at start.
    #[arg(
        long,
        env = "CONTROL_PANEL_PREVIOUS_KEY_ENCRYPTION_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    previous_key_encryption_keys: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply database migrations and sync the app template library; on a Citus coordinator,
    /// distribute the tables by MSP too.
    Migrate {
        /// Require Citus: fail unless the database has the `citus` extension (a plain
        /// PostgreSQL database is never distributed).
        #[arg(long)]
        citus: bool,
    },
    /// Print a new random key-encryption key (base64), for CONTROL_PANEL_KEY_ENCRYPTION_KEY.
    GenerateKeyEncryptionKey,
    /// Seal every signing key with the current key-encryption key (a rotation's last step;
    /// `serve` does it at start too).
    ResealKeys,
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
        /// How long an MSP operator's token lasts, in minutes (5 to 43200).
        #[arg(long, env = "CONTROL_PANEL_TOKEN_MINUTES", default_value_t = 480,
              value_parser = clap::value_parser!(i64).range(*mspdesk_server::TOKEN_MINUTES.start()..=*mspdesk_server::TOKEN_MINUTES.end()))]
        token_minutes: i64,
        /// Requests this instance handles at once; past it, 503 at once.
        #[arg(long, env = "CONTROL_PANEL_MAX_REQUESTS", default_value_t = 512,
              value_parser = clap::value_parser!(u32).range(1..))]
        max_requests: u32,
        /// How long a request may take, in seconds; past it, 503 and what it did is rolled back.
        #[arg(long, env = "CONTROL_PANEL_REQUEST_SECONDS", default_value_t = 30,
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        request_seconds: u64,
        /// How long an HTTP/1 client may take to send a request's headers, in seconds.
        #[arg(long, env = "CONTROL_PANEL_HEADER_SECONDS", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..=600))]
        header_seconds: u64,
        /// Serve even as a superuser or a role that may bypass row-level security (refused
        /// by default: such a role sees every tenant's rows).
        #[arg(long)]
        allow_superuser: bool,
        /// Addresses of the proxies in front of this server (comma-separated): behind them,
        /// the sign-in throttle counts the client's address from `X-Forwarded-For`.
        #[arg(long, env = "CONTROL_PANEL_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Open connections one address may hold (IPv6 by /64); behind a trusted proxy, the
        /// requests at once of one forwarded address.
        #[arg(long, env = "CONTROL_PANEL_CONNECTIONS_PER_ADDRESS", default_value_t = 64,
              value_parser = clap::value_parser!(u32).range(1..))]
        connections_per_address: u32,
        /// Open connections in all (keep under the process's open-file limit).
        #[arg(long, env = "CONTROL_PANEL_MAX_CONNECTIONS", default_value_t = 16_384,
              value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: u32,
        /// How long a connection may stay silent before its first byte, and (times six) with
        /// no request in progress, in seconds.
        #[arg(long, env = "CONTROL_PANEL_IDLE_SECONDS", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        idle_seconds: u64,
    },
    /// List the token signing keys (newest first; the newest in force for 90 s signs).
    Keys,
    /// Add a new signing key: every instance verifies its tokens within 30 s and signs with it
    /// after 90 s; older keys keep verifying the tokens they signed until those expire.
    RotateKeys,
    /// Revoke a signing key: every token it signed fails on every instance within 30 s.
    RevokeKey {
        /// The key's id (`control-panel keys` lists them).
        kid: String,
    },
    /// Clear an operator's sign-in waits from every address (after someone else's guesses).
    Unlock {
        #[arg(long)]
        email: String,
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
    if matches!(cli.command, Command::GenerateKeyEncryptionKey) {
        println!("{}", auth::KeyEncryption::generate_base64()?);
        return Ok(());
    }
    let Some(database_url) = &cli.database_url else {
        bail!("set DATABASE_URL (or --database-url) to the Control Panel's PostgreSQL");
    };
    let pool = db::connect(database_url, cli.pool_size)
        .await
        .context("connecting to PostgreSQL (DATABASE_URL)")?;
    // Needed by the commands that touch signing keys; the others never look at it.
    let sealing = sealing(&cli);
    match cli.command {
        Command::GenerateKeyEncryptionKey => {}
        Command::ResealKeys => {
            mspdesk_server::migrate(&pool).await?;
            let resealed = auth::reseal_keys(&pool, &sealing?).await?;
            eprintln!("{resealed} signing key(s) sealed again with the current key-encryption key");
        }
        Command::Migrate { citus } => {
            let on_citus = db::is_citus(&pool).await?;
            if citus && !on_citus {
                bail!(
                    "the database has no citus extension: as a superuser, CREATE EXTENSION citus on every node and add the workers first (README, \"Scaling out on Citus\")"
                );
            }
            mspdesk_server::migrate(&pool).await?;
            if on_citus {
                eprintln!("database is up to date and distributed by MSP");
            } else {
                eprintln!("database is up to date");
            }
        }
        Command::Serve {
            addr,
            dns,
            public_host,
            token_minutes,
            max_requests,
            request_seconds,
            header_seconds,
            allow_superuser,
            trusted_proxies,
            connections_per_address,
            max_connections,
            idle_seconds,
        } => {
            if !allow_superuser {
                if let Some(role) = db::privileged_role(&pool).await? {
                    bail!("{}", mspdesk_server::StartError::PrivilegedRole(role));
                }
            }
            mspdesk_server::migrate(&pool).await?;
            let settings = Settings {
                msp_token_lifetime: chrono::Duration::minutes(token_minutes),
                max_concurrent_requests: max_requests as usize,
                request_timeout: std::time::Duration::from_secs(request_seconds),
                header_read_timeout: std::time::Duration::from_secs(header_seconds),
                allow_superuser,
                trusted_proxies,
                max_connections_per_address: connections_per_address as usize,
                max_connections: max_connections as usize,
                first_byte_timeout: std::time::Duration::from_secs(idle_seconds),
                idle_timeout: std::time::Duration::from_secs(idle_seconds * 6),
                ..Settings::default()
            };
            let state = AppState::new(pool, sealing?)
                .await?
                .with_domains(DomainSettings {
                    nameserver: dns.map_or(Nameserver::System, Nameserver::At),
                    public_host,
                })
                .with_settings(settings);
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
        Command::Keys => {
            mspdesk_server::migrate(&pool).await?;
            for key in auth::list_keys(&pool).await? {
                match key.revoked_at {
                    Some(at) => println!("{}  created {}  revoked {at}", key.kid, key.created_at),
                    None => println!("{}  created {}  in force", key.kid, key.created_at),
                }
            }
        }
        Command::RotateKeys => {
            mspdesk_server::migrate(&pool).await?;
            let kid = auth::rotate_keys(&pool, &sealing?).await?;
            println!("{kid}");
            eprintln!("added signing key {kid}: running instances verify its tokens within 30 s and sign with it after 90 s");
        }
        Command::RevokeKey { kid } => {
            mspdesk_server::migrate(&pool).await?;
            let created = auth::revoke_key(&pool, &kid, &sealing?).await?;
            eprintln!("revoked signing key {kid}: its tokens fail on every instance within 30 s");
            if let Some(new) = created {
                eprintln!("it was the last key in force, so a new one was added: {new}");
            }
        }
        Command::Unlock { email } => {
            let cleared = store::throttle::clear_account(
                &pool,
                store::throttle::OPERATOR_ACCOUNT,
                &mspdesk_domain::email_key(&email),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("cleared the sign-in waits of {email} from {cleared} address(es)");
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

/// The key-encryption keys from the command line or the environment.
fn sealing(cli: &Cli) -> Result<auth::KeyEncryption> {
    let current = match (&cli.key_encryption_key, &cli.key_encryption_key_file) {
        (Some(key), _) => key.clone(),
        (None, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("reading {} (CONTROL_PANEL_KEY_ENCRYPTION_KEY_FILE)", file.display()))?,
        (None, None) => bail!(
            "set CONTROL_PANEL_KEY_ENCRYPTION_KEY (or CONTROL_PANEL_KEY_ENCRYPTION_KEY_FILE): the key that seals the \
             token signing keys in the database; `control-panel generate-key-encryption-key` makes one"
        ),
    };
    let previous: Vec<&str> = cli
        .previous_key_encryption_keys
        .iter()
        .map(String::as_str)
        .filter(|k| !k.trim().is_empty())
        .collect();
    Ok(auth::KeyEncryption::from_base64(&current, &previous)?)
}
