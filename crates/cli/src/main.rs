//! `mspdesk`: MSP Desk from the command line, for headless machines and cron. The same
//! services as the desktop app: the local store, sync, and tokens in the OS keyring. This
//! binary parses arguments (`args.rs`) and presents results; every action is a method of the
//! desk library.

mod args;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use mspdesk_api::types::CreateClient;
use mspdesk_desk::{
    BrandingChanges, CancellationToken, CatalogChange, ClientQuery, CreateOutcome, Desk, DeskError,
    DraftKind, ExportRequest, OsKeyring, PlainHttp, PublishOutcome, QuotaChanges, ReportFormat,
    ReportScope, Resolution, SecretStore, SecretString, SignOut,
};
use mspdesk_domain::Period;

use args::{
    BrandingCmd, CatalogCmd, Cli, ClientsCmd, Command, ConflictsCmd, DraftCmd, Format, Kind,
    QuotasCmd, ReportArgs,
};

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
    let open = || Desk::open(&data_dir, secrets());
    match cli.command {
        Command::Login {
            server,
            email,
            insecure_http,
        } => {
            let plain_http = if insecure_http {
                eprintln!(
                    "warning: --insecure-http: the password and tokens may travel unencrypted"
                );
                PlainHttp::Allowed
            } else {
                PlainHttp::LoopbackOnly
            };
            let password = read_password(&email)?;
            let desk =
                Desk::login(&data_dir, &server, &email, &password, secrets(), plain_http).await?;
            println!(
                "signed in to {} as {email}; run `mspdesk sync` to fetch your clients",
                desk.account().server
            );
        }
        Command::Logout {
            keep_unsent,
            discard_unsent,
        } => {
            let choice = match (keep_unsent, discard_unsent) {
                (true, _) => SignOut::KeepUnsent,
                (_, true) => SignOut::DiscardUnsent,
                _ => SignOut::IfNothingUnsent,
            };
            let desk = open().await?;
            let unsent = desk.unsent_work().await?;
            desk.logout(choice).await?;
            if choice == SignOut::KeepUnsent && !unsent.is_empty() {
                println!(
                    "signed out; tokens deleted from the keyring; {} unsent change(s) kept for the next sign-in as {}",
                    unsent.items.len(),
                    unsent.email
                );
            } else {
                println!("signed out; tokens deleted from the keyring");
            }
        }
        Command::Unsent { export } => {
            let unsent = match Desk::open(&data_dir, secrets()).await {
                Ok(desk) => Some(desk.unsent_work().await?),
                Err(DeskError::NotSignedIn) => Desk::kept_work(&data_dir).await?,
                Err(e) => return Err(e.into()),
            };
            let Some(unsent) = unsent.filter(|u| !u.is_empty()) else {
                println!("nothing unsent");
                return Ok(());
            };
            println!("{} on {}:", unsent.email, unsent.server);
            for line in unsent.lines() {
                println!("  {line}");
            }
            if let Some(path) = export {
                let count = Desk::export_unsent_in(&data_dir, &path).await?;
                println!("{count} item(s) written to {}", path.display());
            }
        }
        Command::Whoami => {
            let account = open().await?.whoami().await?;
            println!("{} on {}", account.email, account.server);
            match account.last_sync_at {
                Some(t) => println!("last sync {}", t.format("%Y-%m-%d %H:%M UTC")),
                None => println!("not synced yet"),
            }
        }
        Command::Sync => sync(&open().await?).await?,
        Command::Clients(ClientsCmd::List { json }) => {
            let desk = open().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&desk.clients().await?)?);
            } else {
                let rows = desk.list_clients(&ClientQuery::default()).await?;
                println!(
                    "{:<36}  {:<32} {:>7} {:>6}  {:<12} {:<12} {:>12}",
                    "ID", "COMPANY", "SERVERS", "USERS", "PLAN", "STATUS", "MONTH"
                );
                for c in &rows {
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
                if rows.is_empty() {
                    eprintln!("no clients synced yet: run `mspdesk sync`");
                }
            }
        }
        Command::Clients(ClientsCmd::Create {
            company_name,
            contact_email,
            plan,
        }) => {
            let desk = open().await?;
            let plan = desk.plan_named(plan.as_deref()).await?;
            let outcome = desk
                .create_client(CreateClient {
                    company_name: company_name.clone(),
                    contact_email,
                    plan_id: plan.id.to_string(),
                    quotas: None,
                })
                .await?;
            match outcome {
                CreateOutcome::Created(c) => {
                    println!("created {} ({}, id {})", c.company_name, plan.name, c.id);
                }
                CreateOutcome::Queued => println!(
                    "queued {company_name} ({}): the Control Panel is unreachable; `mspdesk sync` sends it",
                    plan.name
                ),
            }
        }
        Command::Quotas(QuotasCmd::Set {
            client,
            max_servers,
            max_users,
            max_apps_per_server,
            storage_quota_gb,
        }) => {
            let desk = open().await?;
            let c = desk.find_client(&client).await?;
            let changes = QuotaChanges {
                max_servers: max_servers.map(|l| l.0),
                max_users: max_users.map(|l| l.0),
                max_apps_per_server: max_apps_per_server.map(|l| l.0),
                storage_quota_gb: storage_quota_gb.map(|l| l.0),
            };
            desk.draft_quotas(c.id, changes).await?;
            println!(
                "quotas draft saved for {}; `mspdesk sync` sends it",
                c.company_name
            );
        }
        Command::Branding(BrandingCmd::Draft(cmd)) => branding(&open().await?, cmd).await?,
        Command::Catalog(cmd) => {
            let desk = open().await?;
            let (client, change) = match cmd {
                CatalogCmd::Enable { client, templates } => {
                    (client, CatalogChange::Enable(templates))
                }
                CatalogCmd::Disable { client, templates } => {
                    (client, CatalogChange::Disable(templates))
                }
            };
            let c = desk.find_client(&client).await?;
            desk.draft_catalog(c.id, change).await?;
            println!(
                "catalog draft saved for {}; `mspdesk sync` sends it",
                c.company_name
            );
        }
        Command::Conflicts(ConflictsCmd::List) => {
            let desk = open().await?;
            let conflicts = desk.conflicts().await?;
            if conflicts.is_empty() {
                println!("no conflicts");
            }
            for c in conflicts {
                println!(
                    "{} of client {} (server version {}):",
                    c.kind, c.client, c.server_version
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
            let desk = open().await?;
            let c = desk.find_client(&client).await?;
            let resolution = resolution(keep_mine, take_theirs, field)?;
            let kind = DraftKind::from(kind);
            match desk.resolve(kind, c.id, &resolution).await? {
                PublishOutcome::Published => {
                    println!("resolved the {kind} conflict of {}", c.company_name);
                }
                PublishOutcome::Conflict => bail!(
                    "the {kind} of {} changed on the server again: see `mspdesk conflicts list`",
                    c.company_name
                ),
            }
        }
        Command::Report(args) => report(&open().await?, args).await?,
    }
    Ok(())
}

impl From<Kind> for DraftKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Branding => DraftKind::Branding,
            Kind::Quotas => DraftKind::Quotas,
            Kind::Catalog => DraftKind::Catalog,
        }
    }
}

fn resolution(keep_mine: bool, take_theirs: bool, field: Vec<String>) -> Result<Resolution> {
    if keep_mine {
        return Ok(Resolution::KeepMine);
    }
    if take_theirs {
        return Ok(Resolution::TakeTheirs);
    }
    if field.is_empty() {
        bail!("say how to resolve: --keep-mine, --take-theirs or --field NAME=mine|theirs");
    }
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
    Ok(Resolution::PerField(choices))
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn read_password(email: &str) -> Result<SecretString> {
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
    Ok(SecretString::from(password))
}

async fn sync(desk: &Desk) -> Result<()> {
    // The feed's length is not known in advance: a spinner with pages and changes.
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} page {pos}: {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    // Ctrl-C stops the sync between two requests; what was stored stays consistent.
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.cancel();
        }
    });
    let started = std::time::Instant::now();
    let summary = desk
        .sync(
            |p| {
                bar.set_position(p.pages as u64);
                bar.set_message(p.step);
                bar.tick();
            },
            &cancel,
        )
        .await;
    bar.finish_and_clear();
    let summary = summary?;
    println!(
        "synced {} clients ({} rows; {} changes in {} pages) in {:.1} s; sent {}, conflicts {}",
        summary.clients,
        summary.rows,
        summary.changes,
        summary.pages,
        started.elapsed().as_secs_f64(),
        summary.pushed,
        summary.conflicts
    );
    for f in &summary.failed {
        eprintln!("not sent: {f}");
    }
    if summary.removed_clients > 0 {
        eprintln!(
            "{} client(s) were deleted on the server and removed here",
            summary.removed_clients
        );
    }
    for n in desk.notices().await? {
        eprintln!("notice: {}", n.message);
    }
    if summary.conflicts > 0 {
        eprintln!("some drafts conflict with changes on the server: see `mspdesk conflicts list`");
    }
    Ok(())
}

/// A `--flag VALUE` for a branding field: absent keeps it, empty clears it.
fn field(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.is_empty() { None } else { Some(s) })
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
            let css = match set.custom_css_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?,
                ),
                None => None,
            };
            let changes = BrandingChanges {
                company_name: field(set.company_name),
                logo_url: field(set.logo_url),
                favicon_url: field(set.favicon_url),
                primary_color: field(set.primary_color),
                secondary_color: field(set.secondary_color),
                accent_color: field(set.accent_color),
                custom_domain: field(set.custom_domain),
                custom_css: field(css),
            };
            desk.draft_branding(c.id, changes).await?;
            println!("branding draft saved for {}", c.company_name);
        }
        DraftCmd::Publish { client } => {
            let c = desk.find_client(&client).await?;
            match desk.publish(DraftKind::Branding, c.id).await? {
                PublishOutcome::Published => {
                    println!("published the branding of {}", c.company_name);
                }
                PublishOutcome::Conflict => bail!(
                    "the branding of {} was not published: it changed on the server meanwhile; see `mspdesk conflicts list`",
                    c.company_name
                ),
            }
        }
    }
    Ok(())
}

async fn report(desk: &Desk, args: ReportArgs) -> Result<()> {
    let period = Period::parse(&args.period).map_err(|e| anyhow::anyhow!("--period {e}"))?;
    let scope = match &args.client {
        Some(c) => ReportScope::Client(desk.find_client(c).await?.id),
        None => ReportScope::All,
    };
    let format = match args.format {
        Format::Csv => ReportFormat::Csv,
        Format::Pdf => ReportFormat::Pdf,
    };
    let output = match args.output {
        Some(path) => path,
        None => PathBuf::from(desk.report_file_name(period, scope, format).await?),
    };
    let request = ExportRequest {
        period,
        scope,
        format,
        output,
        msp_name: args.msp_name,
        logo: args.logo,
    };
    let written = desk.export_report(&request, chrono::Utc::now()).await?;
    println!(
        "wrote {} ({} clients, {} lines, total {} {})",
        written.path.display(),
        written.clients,
        written.lines,
        written.total.plain_amount(),
        written.total.currency().code()
    );
    Ok(())
}
