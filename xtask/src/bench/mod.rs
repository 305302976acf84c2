//! `cargo xtask bench`: every performance figure of BENCHMARKS.md, each next to its target and a
//! reference measured in the same invocation (these machines are noisy, so ratios count), with
//! the command, the machine, the median of the runs and their spread.
//!
//! One private PostgreSQL and one Control Panel serve every section. The sync driver seeds
//! the MSP (1,000 clients x 20 instances) and times `mspdesk sync`; the reports section
//! reuses the synced store; the server section loads that database with wrk and pgbench; the
//! desktop section seeds a second MSP with 10,000 clients and runs the app under Xvfb; the
//! bundle section builds the packages and weighs them. Each section replaces its own block of
//! BENCHMARKS.md, between `<!-- NAME-bench:start -->` and `<!-- NAME-bench:end -->`.
//!
//! `--smoke` runs the harness on a handful of rows with debug builds and one run each, writing
//! to `target/xtask/bench-smoke/` instead: `cargo xtask test` uses it to check that the
//! harness works end to end.

mod desktop;
mod reports;
mod server;
mod sizes;
mod stats;
mod sync;
mod ui_server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::control_panel::{self, ControlPanel};
use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::test::target_dir;

/// The parts of BENCHMARKS.md the harness writes, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Sync,
    Reports,
    Server,
    Desktop,
    Bundle,
}

impl Section {
    const ALL: [Self; 5] = [
        Self::Sync,
        Self::Reports,
        Self::Server,
        Self::Desktop,
        Self::Bundle,
    ];

    /// The name in the section's markers.
    fn id(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Reports => "reports",
            Self::Server => "server",
            Self::Desktop => "desktop",
            Self::Bundle => "bundle",
        }
    }
}

/// What to run and how big.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Clients the sync driver seeds (and reports and the server run on).
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Imported instances per client.
    #[arg(long, default_value_t = 20)]
    pub instances: usize,
    /// Runs per figure (the median and the spread of these are printed).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Clients in the desktop app's list.
    #[arg(long, default_value_t = 10_000)]
    pub desktop_clients: usize,
    /// Only these sections (comma-separated); the others keep their text.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Section>,
    /// A tiny run of the harness (debug builds, a handful of rows, one run each) that writes
    /// target/xtask/bench-smoke/BENCHMARKS.md; what `cargo xtask test` runs.
    #[arg(long)]
    pub smoke: bool,
    /// Print the sections without writing BENCHMARKS.md.
    #[arg(long)]
    pub dry_run: bool,
}

impl Options {
    /// The smoke run's sizes.
    pub fn smoke() -> Self {
        Self {
            clients: 3,
            instances: 2,
            runs: 1,
            desktop_clients: 20,
            only: vec![
                Section::Sync,
                Section::Reports,
                Section::Server,
                Section::Desktop,
            ],
            smoke: true,
            dry_run: false,
        }
    }

    fn wants(&self, s: Section) -> bool {
        self.only.is_empty() || self.only.contains(&s)
    }
}

/// The binaries the sections run.
#[derive(Debug)]
pub struct Bins {
    pub server: PathBuf,
    pub mspdesk: PathBuf,
    pub sync_bench: PathBuf,
    pub report_bench: PathBuf,
    pub bench_setup: PathBuf,
}

/// What every section shares.
#[derive(Debug)]
pub struct Env {
    pub root: PathBuf,
    pub opts: Options,
    pub bins: Bins,
    /// Scratch space under target/xtask.
    pub work: PathBuf,
    pub cluster: Cluster,
    pub control_panel: ControlPanel,
}

impl Env {
    /// `release` or `debug` (smoke runs use the debug builds `cargo xtask test` already made).
    pub fn profile(&self) -> &'static str {
        profile(&self.opts)
    }

    /// Unmeasured runs before the measured ones (none in a smoke run).
    pub fn warmups(&self) -> usize {
        usize::from(!self.opts.smoke)
    }

    /// A folder under the scratch space, emptied first.
    pub fn scratch(&self, name: &str) -> Result<PathBuf> {
        let dir = self.work.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }
}

fn profile(opts: &Options) -> &'static str {
    if opts.smoke {
        "debug"
    } else {
        "release"
    }
}

/// The bench MSP's operator (the sync driver's clients).
pub const EMAIL: &str = "bench@bench-msp.example";
/// The password of every operator the harness creates.
pub const PASSWORD: &str = "bench password 2026";

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    /// The sections measured (and written, unless a dry run).
    pub written: Vec<Section>,
    /// The sections that failed, each with its error.
    pub failed: Vec<(Section, String)>,
}

/// Runs the chosen sections and writes the blocks of those that worked.
pub fn run(root: &Path, opts: Options) -> Result<Outcome> {
    let opts = if opts.smoke {
        Options {
            dry_run: opts.dry_run,
            ..Options::smoke()
        }
    } else {
        opts
    };
    if !opts.smoke {
        crate::setup::run(root)?;
    }
    let bins = build(root, &opts)?;
    let work =
        target_dir(root)
            .join("xtask")
            .join(if opts.smoke { "bench-smoke" } else { "bench" });
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let cluster = Cluster::start()?;
    let control_panel = ControlPanel::start(
        &bins.server,
        &cluster,
        &control_panel::Options {
            pool_size: Some(20),
            log: Some("warn"),
            ..control_panel::Options::default()
        },
    )?;
    let env = Env {
        root: root.to_path_buf(),
        opts: opts.clone(),
        bins,
        work,
        cluster,
        control_panel,
    };
    let mut sections: Vec<(Section, String)> = Vec::new();
    let mut failed = Vec::new();

    // The sync driver is the seeder of the reports' and the server's data too.
    let needs_seed = [Section::Sync, Section::Reports, Section::Server]
        .iter()
        .any(|s| opts.wants(*s));
    let synced = if needs_seed {
        let (text, data_dir) = sync::measure(&env, &machine())?;
        if opts.wants(Section::Sync) {
            sections.push((Section::Sync, text));
        }
        Some(data_dir)
    } else {
        None
    };
    for section in Section::ALL {
        if section == Section::Sync || !opts.wants(section) {
            continue;
        }
        if opts.smoke && section == Section::Bundle {
            continue;
        }
        eprintln!("\n=== bench: {} ===", section.id());
        let m = machine();
        let result = match (section, &synced) {
            (Section::Reports, Some(data_dir)) => reports::measure(&env, &m, data_dir),
            (Section::Server, _) => server::measure(&env, &m),
            (Section::Desktop, _) => desktop::measure(&env, &m),
            (Section::Bundle, _) => sizes::measure(&env, &m),
            _ => continue,
        };
        match result {
            Ok(text) => sections.push((section, text)),
            Err(e) => {
                eprintln!("bench {}: {e:#}", section.id());
                failed.push((section, format!("{e:#}")));
            }
        }
    }

    let target = if opts.smoke {
        env.work.join("BENCHMARKS.md")
    } else {
        root.join("BENCHMARKS.md")
    };
    for (section, text) in &sections {
        println!("{text}\n");
        if !opts.dry_run {
            write_section(&target, section.id(), text)?;
        }
    }
    if !opts.dry_run {
        eprintln!("{} updated", target.display());
    }
    Ok(Outcome {
        written: sections.iter().map(|(s, _)| *s).collect(),
        failed,
    })
}

/// Builds the Control Panel, `mspdesk` and the drivers (release, or debug for a smoke run).
fn build(root: &Path, opts: &Options) -> Result<Bins> {
    let mut args = vec![
        "build",
        "-p",
        "mspdesk-server",
        "-p",
        "mspdesk-cli",
        "--bins",
        "--example",
        "sync_bench",
        "--example",
        "report_bench",
        "--example",
        "bench_setup",
    ];
    if !opts.smoke {
        args.push("--release");
    }
    proc::run(&mut cmd("cargo", &args))?;
    let dir = target_dir(root).join(profile(opts));
    let exe = |name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    Ok(Bins {
        server: exe("control-panel"),
        mspdesk: exe("mspdesk"),
        sync_bench: dir
            .join("examples")
            .join(format!("sync_bench{}", std::env::consts::EXE_SUFFIX)),
        report_bench: dir
            .join("examples")
            .join(format!("report_bench{}", std::env::consts::EXE_SUFFIX)),
        bench_setup: dir
            .join("examples")
            .join(format!("bench_setup{}", std::env::consts::EXE_SUFFIX)),
    })
}

/// Runs a driver with `stdin` as its standard input and reads the JSON it prints.
pub fn drive(mut c: Command, stdin: &str) -> Result<serde_json::Value> {
    let what = c.get_program().to_string_lossy().into_owned();
    eprintln!("$ {what} {}", {
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        args.join(" ")
    });
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = c.spawn().with_context(|| format!("starting {what}"))?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(stdin.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{what} failed ({})", out.status);
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("reading {what}'s figures"))
}

/// Seconds a command takes from start to exit (it must succeed).
pub fn time(c: &mut Command) -> Result<f64> {
    let started = std::time::Instant::now();
    let out = c
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {}", c.get_program().to_string_lossy()))?;
    let took = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            c.get_program().to_string_lossy(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(took)
}

/// This machine in one line: CPU, cores, memory, system, date.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, m)| m.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|s| s.trim_matches('"').to_owned());
    let date = proc::output(&mut cmd("date", &["-u", "+%Y-%m-%d"])).unwrap_or_default();
    // Other work on the machine shows here: these runs share the cores with it.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .map(|l| format!(", load average {l} when the run began"))
        .unwrap_or_default();
    format!(
        "{} cores{}, {}{}; {}{load}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        cpu.map(|c| format!(" ({c})")).unwrap_or_default(),
        mem_gib.map_or_else(|| "unknown memory".to_owned(), |g| format!("{g:.1} GiB")),
        os.map(|o| format!(", {o}")).unwrap_or_default(),
        date.trim()
    )
}

fn markers(id: &str) -> (String, String) {
    (
        format!("<!-- {id}-bench:start -->"),
        format!("<!-- {id}-bench:end -->"),
    )
}

/// Wraps a section's text in its markers.
pub fn wrap(id: &str, body: &str) -> String {
    let (start, end) = markers(id);
    format!("{start}\n{}\n{end}", body.trim_end())
}

/// Replaces the block of section `id` in the file at `path` (or appends it).
fn write_section(path: &Path, id: &str, section: &str) -> Result<()> {
    let (start, end) = markers(id);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (text.find(&start), text.find(&end)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{section}{}", &text[..a], &text[b + end.len()..])
        }
        _ => format!("{}\n\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_its_own_section() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("BENCHMARKS.md");
        let (s, e) = markers("sync");
        let (rs, re) = markers("reports");
        std::fs::write(
            &path,
            format!("# B\n\nkeep\n\n{s}\nold\n{e}\n\nmiddle\n{rs}\nold reports\n{re}\ntail\n"),
        )
        .unwrap();
        write_section(&path, "sync", &wrap("sync", "new\n")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("# B\n\nkeep\n\n{s}\nnew\n{e}\n\nmiddle\n{rs}\nold reports\n{re}\ntail\n")
        );
        write_section(&path, "server", &wrap("server", "load")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text
            .ends_with("tail\n\n<!-- server-bench:start -->\nload\n<!-- server-bench:end -->\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_machine_line_names_cores_and_memory() {
        let m = machine();
        assert!(m.contains(" cores"), "{m}");
        if cfg!(target_os = "linux") {
            assert!(m.contains(" GiB"), "{m}");
        }
    }
}
