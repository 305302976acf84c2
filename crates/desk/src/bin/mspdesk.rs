//! `mspdesk`: MSP Desk from the command line, for headless machines and cron. The same
//! services as the desktop app: the local store, sync, and tokens in the OS keyring.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mspdesk_api::types::{CreateClient, QuotasInput, UpdateBranding, UpdateCatalog};
use mspdesk_desk::{Desk, DraftKind, OsKeyring, Resolution, SecretStore};
use mspdesk_domain::{ClientId, Period};
use mspdesk_reports::{Layout, ReportBranding};

#[derive(Debug, Parser)]
#[command(
    name = "mspdesk",
    version,
    about = "MSP Desk on the command line: sync with your Control Panel, manage clients, export billing reports."
)]
struct Cli {
    /// Where the local store lives (default: the desktop app's data folder).
    #[arg(long, env = "MSPDESK_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to a Control Panel. The password is asked for, or read from standard input when
    /// it is not a terminal. The session token goes to the OS keyring.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        email: String,
    },
    /// Sign out: delete this server's tokens from the keyring and the local data.
    Logout,
    /// Send drafts and queued creates, then fetch everything from the Control Panel.
    Sync,
    /// The client list (from the last sync), or add a client.
    #[command(subcommand)]
    Clients(ClientsCmd),
    /// Change a client's quotas (saved as a draft, sent at the next sync).
    #[command(subcommand)]
    Quotas(QuotasCmd),
    /// Draft a client's white-label branding offline, look at it, publish it.
    #[command(subcommand)]
    Branding(BrandingCmd),
    /// Allow or forbid apps in a client's catalog (saved as a draft).
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// Drafts the server refused because it changed meanwhile.
    #[command(subcommand)]
    Conflicts(ConflictsCmd),
    /// Export a billing report, computed from the synced data (works offline).
    Report(ReportArgs),
}

#[derive(Debug, Subcommand)]
enum ClientsCmd {
    /// List the synced clients.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Queue a new client and send it to the server (now if online, else at the next sync).
    Create {
        #[arg(long)]
        company_name: String,
        #[arg(long)]
        contact_email: String,
        /// Plan name (default: the first plan, the cheapest).
        #[arg(long)]
        plan: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum QuotasCmd {
    /// Set limits; each is a number or `unlimited`; limits not given stay as they are.
    Set {
        /// Client id or company name.
        client: String,
        #[arg(long, allow_negative_numbers = true)]
        max_servers: Option<Limit>,
        #[arg(long, allow_negative_numbers = true)]
        max_users: Option<Limit>,
        #[arg(long, allow_negative_numbers = true)]
        max_apps_per_server: Option<Limit>,
        #[arg(long, allow_negative_numbers = true)]
        storage_quota_gb: Option<Limit>,
    },
}

/// A quota limit on the command line: a number, or `unlimited`.
#[derive(Debug, Clone, Copy)]
struct Limit(Option<i64>);

impl std::str::FromStr for Limit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(Limit(None));
        }
        s.parse::<i64>()
            .map(|n| Limit(Some(n)))
            .map_err(|_| format!("{s:?} is neither a number nor `unlimited`"))
    }
}

#[derive(Debug, Subcommand)]
enum BrandingCmd {
    /// Work on the branding draft.
    #[command(subcommand)]
    Draft(DraftCmd),
}

#[derive(Debug, Subcommand)]
enum DraftCmd {
    /// Change fields of the draft (an empty value clears the field).
    Set(BrandingSet),
    /// Show the draft (or the synced branding when there is no draft).
    Show { client: String },
    /// Send the draft now.
    Publish { client: String },
}

#[derive(Debug, Args)]
struct BrandingSet {
    client: String,
    #[arg(long)]
    company_name: Option<String>,
    #[arg(long)]
    logo_url: Option<String>,
    #[arg(long)]
    favicon_url: Option<String>,
    #[arg(long)]
    primary_color: Option<String>,
    #[arg(long)]
    secondary_color: Option<String>,
    #[arg(long)]
    accent_color: Option<String>,
    #[arg(long)]
    custom_domain: Option<String>,
    /// A file with the custom CSS.
    #[arg(long)]
    custom_css_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum CatalogCmd {
    /// Allow templates (switches the catalog to a custom allow-list).
    Enable {
        client: String,
        templates: Vec<String>,
    },
    /// Forbid templates (switches the catalog to a custom allow-list).
    Disable {
        client: String,
        templates: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ConflictsCmd {
    /// List conflicts with both sides.
    List,
    /// Settle a conflict.
    Resolve {
        client: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// Rebase my draft on the server's version and send it.
        #[arg(long, conflicts_with_all = ["take_theirs", "field"])]
        keep_mine: bool,
        /// Drop my draft and keep the server's value.
        #[arg(long, conflicts_with = "field")]
        take_theirs: bool,
        /// Per field: NAME=mine or NAME=theirs (fields not named keep the server's value).
        #[arg(long)]
        field: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Branding,
    Quotas,
    Catalog,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Pdf,
    Csv,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The month, YYYY-MM (UTC).
    #[arg(long)]
    period: String,
    /// One client (id or company name): its lines.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    client: Option<String>,
    /// All clients: one row per client and a grand total.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum)]
    format: Format,
    /// Output file.
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// The MSP's name in the PDF header (default: the Control Panel's host name).
    #[arg(long)]
    msp_name: Option<String>,
    /// A PNG logo for the PDF header.
    #[arg(long)]
    logo: Option<PathBuf>,
}

fn secrets() -> Arc<dyn SecretStore> {
    Arc::new(OsKeyring)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MSPDESK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => mspdesk_desk::default_data_dir()
            .context("no data folder on this system: pass --data-dir")?,
    };
    match cli.command {
        Command::Login { server, email } => {
            let password = read_password(&email)?;
            let desk = Desk::login(&data_dir, &server, &email, &password, secrets()).await?;
            println!(
                "signed in to {} as {email}; run `mspdesk sync` to fetch your clients",
                desk.account().server
            );
        }
        Command::Logout => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            desk.logout().await?;
            println!("signed out; tokens deleted from the keyring");
        }
        Command::Sync => sync(&Desk::open(&data_dir, secrets()).await?).await?,
        Command::Clients(ClientsCmd::List { json }) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let clients = desk.clients().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&clients)?);
            } else {
                println!(
                    "{:<36}  {:<32} {:>7} {:>6}  {:<12} {:<12} {:>12}",
                    "ID", "COMPANY", "SERVERS", "USERS", "PLAN", "STATUS", "MONTH"
                );
                for c in &clients {
                    let total = c.monthly_total.map_or("n/a".to_owned(), |m| m.to_string());
                    let status = serde_json::to_value(c.compliance.status)?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    println!(
                        "{:<36}  {:<32} {:>7} {:>6}  {:<12} {:<12} {:>12}",
                        c.id,
                        truncate(&c.company_name, 32),
                        c.server_count,
                        c.user_count,
                        c.plan_name,
                        status,
                        total
                    );
                }
                if clients.is_empty() {
                    eprintln!("no clients synced yet: run `mspdesk sync`");
                }
            }
        }
        Command::Clients(ClientsCmd::Create {
            company_name,
            contact_email,
            plan,
        }) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let plans = desk.plans().await?;
            let plan = match plan {
                Some(name) => plans
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(&name))
                    .with_context(|| {
                        format!(
                            "no plan named {name:?}; plans: {}",
                            plans
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
                None => plans
                    .first()
                    .context("no plans synced yet: run `mspdesk sync` first")?,
            };
            desk.create_client(CreateClient {
                company_name: company_name.clone(),
                contact_email,
                plan_id: plan.id.to_string(),
                quotas: None,
            })
            .await?;
            println!("queued {company_name} ({}); sending now", plan.name);
            sync(&desk).await?;
        }
        Command::Quotas(QuotasCmd::Set {
            client,
            max_servers,
            max_users,
            max_apps_per_server,
            storage_quota_gb,
        }) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let c = desk.find_client(&client).await?;
            let current = current_quotas(&desk, c.id).await?;
            let pick = |given: Option<Limit>, now: Option<i64>| given.map_or(now, |l| l.0);
            let body = QuotasInput {
                max_servers: pick(max_servers, current.max_servers),
                max_users: pick(max_users, current.max_users),
                max_apps_per_server: pick(max_apps_per_server, current.max_apps_per_server),
                storage_quota_gb: pick(storage_quota_gb, current.storage_quota_gb),
            };
            desk.save_quotas_draft(c.id, &body).await?;
            println!(
                "quotas draft saved for {}; `mspdesk sync` sends it",
                c.company_name
            );
        }
        Command::Branding(BrandingCmd::Draft(cmd)) => {
            branding(&Desk::open(&data_dir, secrets()).await?, cmd).await?
        }
        Command::Catalog(cmd) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let (client, templates, enable) = match cmd {
                CatalogCmd::Enable { client, templates } => (client, templates, true),
                CatalogCmd::Disable { client, templates } => (client, templates, false),
            };
            if templates.is_empty() {
                bail!("name at least one template, e.g. nextcloud");
            }
            let c = desk.find_client(&client).await?;
            let mut catalog = desk.catalog(c.id).await?;
            if catalog.mode == "all" {
                // Start the allow-list from the whole library, so only the named apps change.
                catalog.enabled = desk.templates().await?.into_iter().map(|t| t.id).collect();
            }
            catalog.mode = "custom".into();
            for t in &templates {
                catalog.enabled.retain(|e| e != t);
                if enable {
                    catalog.enabled.push(t.clone());
                }
            }
            desk.save_catalog_draft(
                c.id,
                &UpdateCatalog {
                    mode: catalog.mode,
                    enabled: catalog.enabled,
                },
            )
            .await?;
            println!(
                "catalog draft saved for {}; `mspdesk sync` sends it",
                c.company_name
            );
        }
        Command::Conflicts(ConflictsCmd::List) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let conflicts = desk.conflicts().await?;
            if conflicts.is_empty() {
                println!("no conflicts");
            }
            for c in conflicts {
                println!(
                    "{} of client {} (server version {}):",
                    c.kind.as_str(),
                    c.tenant,
                    c.server_version
                );
                println!("  mine:   {}", c.draft);
                println!("  server: {}", c.server);
            }
        }
        Command::Conflicts(ConflictsCmd::Resolve {
            client,
            kind,
            keep_mine,
            take_theirs,
            field,
        }) => {
            let desk = Desk::open(&data_dir, secrets()).await?;
            let c = desk.find_client(&client).await?;
            let resolution = if keep_mine {
                Resolution::KeepMine
            } else if take_theirs {
                Resolution::TakeTheirs
            } else if !field.is_empty() {
                let mut choices = std::collections::BTreeMap::new();
                for f in field {
                    let (name, side) = f
                        .split_once('=')
                        .with_context(|| format!("--field {f}: write NAME=mine or NAME=theirs"))?;
                    let mine = match side {
                        "mine" => true,
                        "theirs" => false,
                        other => bail!("--field {name}={other}: the side is mine or theirs"),
                    };
                    choices.insert(name.to_owned(), mine);
                }
                Resolution::PerField(choices)
            } else {
                bail!("say how to resolve: --keep-mine, --take-theirs or --field NAME=mine|theirs");
            };
            let kind = match kind {
                Kind::Branding => DraftKind::Branding,
                Kind::Quotas => DraftKind::Quotas,
                Kind::Catalog => DraftKind::Catalog,
            };
            desk.resolve(kind, c.id, &resolution).await?;
            println!(
                "resolved the {} conflict of {}",
                kind.as_str(),
                c.company_name
            );
        }
        Command::Report(args) => report(&Desk::open(&data_dir, secrets()).await?, args).await?,
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn read_password(email: &str) -> Result<String> {
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("password for {email}: "))
            .context("reading the password")?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the password from standard input")?;
        s.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        bail!("no password given");
    }
    Ok(password)
}

async fn sync(desk: &Desk) -> Result<()> {
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let summary = desk
        .sync(|p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(p.step);
        })
        .await;
    bar.finish_and_clear();
    let summary = summary?;
    println!(
        "synced {} clients ({} rows) in {:.1} s; sent {}, conflicts {}",
        summary.clients,
        summary.rows,
        started.elapsed().as_secs_f64(),
        summary.pushed,
        summary.conflicts
    );
    for f in &summary.failed {
        eprintln!("not sent: {f}");
    }
    if summary.conflicts > 0 {
        eprintln!("some drafts conflict with changes on the server: see `mspdesk conflicts list`");
    }
    Ok(())
}

async fn current_quotas(desk: &Desk, client: ClientId) -> Result<QuotasInput> {
    if let Some(d) = desk
        .store()
        .draft(DraftKind::Quotas, &client.to_string())
        .await?
    {
        return Ok(serde_json::from_value(d.body)?);
    }
    let synced: mspdesk_api::types::Client = desk
        .store()
        .mirror("client", &desk.account().msp_tenant, &client.to_string())
        .await?
        .context("this client has not been synced yet: run `mspdesk sync`")?;
    Ok(QuotasInput::from(synced.quotas))
}

async fn branding(desk: &Desk, cmd: DraftCmd) -> Result<()> {
    match cmd {
        DraftCmd::Show { client } => {
            let c = desk.find_client(&client).await?;
            let (body, base) = desk.branding(c.id).await?;
            match base {
                Some(v) => println!("draft for {} (based on version {v}):", c.company_name),
                None => println!("no draft for {}; synced branding:", c.company_name),
            }
            println!("{}", serde_json::to_string_pretty(&body)?);
        }
        DraftCmd::Set(set) => {
            let c = desk.find_client(&set.client).await?;
            let (mut body, _) = desk.branding(c.id).await?;
            let value = |v: Option<String>, old: Option<String>| match v {
                None => old,
                Some(s) if s.is_empty() => None,
                Some(s) => Some(s),
            };
            let css = match set.custom_css_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?,
                ),
                None => None,
            };
            body = UpdateBranding {
                company_name: value(set.company_name, body.company_name),
                logo_url: value(set.logo_url, body.logo_url),
                favicon_url: value(set.favicon_url, body.favicon_url),
                primary_color: value(set.primary_color, body.primary_color),
                secondary_color: value(set.secondary_color, body.secondary_color),
                accent_color: value(set.accent_color, body.accent_color),
                custom_domain: value(set.custom_domain, body.custom_domain),
                custom_css: value(css, body.custom_css),
            };
            desk.save_branding_draft(c.id, &body).await?;
            println!("branding draft saved for {}", c.company_name);
        }
        DraftCmd::Publish { client } => {
            let c = desk.find_client(&client).await?;
            if desk
                .store()
                .draft(DraftKind::Branding, &c.id.to_string())
                .await?
                .is_none()
            {
                bail!("{} has no branding draft", c.company_name);
            }
            sync(desk).await?;
            if desk
                .store()
                .draft(DraftKind::Branding, &c.id.to_string())
                .await?
                .is_some()
            {
                bail!(
                    "the branding of {} was not published (see above)",
                    c.company_name
                );
            }
            println!("published the branding of {}", c.company_name);
        }
    }
    Ok(())
}

async fn report(desk: &Desk, args: ReportArgs) -> Result<()> {
    let period = Period::parse(&args.period).map_err(|e| anyhow::anyhow!("--period {e}"))?;
    let client = match &args.client {
        Some(c) => Some(desk.find_client(c).await?.id),
        None => None,
    };
    let report = desk.report(period, client, chrono::Utc::now()).await?;
    let layout = if args.all {
        Layout::Summary
    } else {
        Layout::Lines
    };
    let bytes = match args.format {
        Format::Csv => mspdesk_reports::to_csv(&report, layout),
        Format::Pdf => {
            let host = url::Url::parse(&desk.account().server)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned));
            let logo = match &args.logo {
                Some(p) => {
                    Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?)
                }
                None => None,
            };
            let branding = ReportBranding {
                msp_name: args
                    .msp_name
                    .clone()
                    .or(host)
                    .unwrap_or_else(|| "MSP".into()),
                logo_png: logo,
            };
            mspdesk_reports::to_pdf(&report, layout, &branding)?
        }
    };
    // Write next to the target and rename, so a crash never leaves half a report.
    let tmp = args.output.with_extension("partial");
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "wrote {} ({} clients, {} lines, total {} {})",
        args.output.display(),
        report.clients.len(),
        report.line_count(),
        report.total,
        report.currency
    );
    Ok(())
}
