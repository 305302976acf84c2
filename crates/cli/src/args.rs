//! The command line's shape: every command and flag, parsed by clap. Parsing only; what the
//! commands do is in `main.rs`, over the desk library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "mspdesk",
    version,
    about = "MSP Desk on the command line: sync with your Control Panel, manage clients, export billing reports."
)]
pub(crate) struct Cli {
    /// Where the local store lives (default: the desktop app's data folder).
    #[arg(long, env = "MSPDESK_DATA_DIR", global = true)]
    pub(crate) data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Sign in to a Control Panel. The password is asked for, or read from standard input when
    /// it is not a terminal. The session token goes to the OS keyring.
    Login {
        /// The Control Panel's address: https://, or http:// on this machine only.
        #[arg(long)]
        server: String,
        #[arg(long)]
        email: String,
        /// Accept a plain http:// Control Panel that is not on this machine. The password
        /// and the tokens then travel in clear: only on a network you trust.
        #[arg(long)]
        insecure_http: bool,
    },
    /// Sign out: delete this server's tokens from the keyring and the local data. With unsent
    /// work (drafts, queued clients, conflicts) it refuses and names it, unless told to keep
    /// it for the next sign-in or to discard it.
    Logout {
        /// Keep the unsent work (and the synced data) for the next sign-in to this account.
        #[arg(long, conflicts_with = "discard_unsent")]
        keep_unsent: bool,
        /// Discard the unsent work.
        #[arg(long)]
        discard_unsent: bool,
    },
    /// What the server has not accepted yet; `--export FILE` writes it with its bodies (JSON).
    /// Works signed out too, for work a sign-out kept.
    Unsent {
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
    /// Which Control Panel and operator are signed in, and when they last synced.
    Whoami,
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
pub(crate) enum ClientsCmd {
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
pub(crate) enum QuotasCmd {
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
pub(crate) struct Limit(pub(crate) Option<i64>);

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
pub(crate) enum BrandingCmd {
    /// Work on the branding draft.
    #[command(subcommand)]
    Draft(DraftCmd),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DraftCmd {
    /// Change fields of the draft (an empty value clears the field).
    Set(BrandingSet),
    /// Show the draft (or the synced branding when there is no draft).
    Show { client: String },
    /// Send the draft now.
    Publish { client: String },
}

#[derive(Debug, Args)]
pub(crate) struct BrandingSet {
    pub(crate) client: String,
    #[arg(long)]
    pub(crate) company_name: Option<String>,
    #[arg(long)]
    pub(crate) logo_url: Option<String>,
    #[arg(long)]
    pub(crate) favicon_url: Option<String>,
    #[arg(long)]
    pub(crate) primary_color: Option<String>,
    #[arg(long)]
    pub(crate) secondary_color: Option<String>,
    #[arg(long)]
    pub(crate) accent_color: Option<String>,
    #[arg(long)]
    pub(crate) custom_domain: Option<String>,
    /// A file with the custom CSS.
    #[arg(long)]
    pub(crate) custom_css_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCmd {
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
pub(crate) enum ConflictsCmd {
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
pub(crate) enum Kind {
    Branding,
    Quotas,
    Catalog,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Pdf,
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The month, YYYY-MM (UTC).
    #[arg(long)]
    pub(crate) period: String,
    /// One client (id or company name): its lines.
    #[arg(long, conflicts_with = "all", required_unless_present = "all")]
    pub(crate) client: Option<String>,
    /// All clients: one row per client and a grand total.
    #[arg(long)]
    pub(crate) all: bool,
    #[arg(long, value_enum)]
    pub(crate) format: Format,
    /// Output file (default: "<MSP> - billing <period> - <client or all clients>.<format>" in
    /// the current folder).
    #[arg(short = 'o', long)]
    pub(crate) output: Option<PathBuf>,
    /// The issuer the report names (default: the MSP's name as synced).
    #[arg(long)]
    pub(crate) msp_name: Option<String>,
    /// A PNG logo for the PDF header.
    #[arg(long)]
    pub(crate) logo: Option<PathBuf>,
}
