//! `cargo xtask`: every piece of automation for MSP Desk, in Rust so it runs the same on every
//! developer machine and in CI.
//!
//! - `setup`: install what is missing (system packages on Debian/Ubuntu, npm packages,
//!   tauri-driver, Citus built from the vendored source); quick when everything is there.
//! - `run`: setup, build, launch the desktop app.
//! - `test`: setup, then every check and test; ends with `N passed, N failed`.
//! - `bindings`: regenerate the TypeScript bindings the UI imports from Rust types.
//! - `bench`: every performance figure (reports, server, sync, desktop, bundles) beside its
//!   target and reference; writes BENCHMARKS.md.
//! - `bundle`: the installers (the app's .deb and .rpm, the Control Panel's .deb).

mod bench;
mod bundle;
mod citus;
mod control_panel;
mod postgres;
mod proc;
mod run;
mod setup;
mod test;
#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "MSP Desk automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install what building, running and testing need (idempotent).
    Setup,
    /// Set up, build and launch the desktop app. Ctrl-C stops everything it started.
    Run,
    /// Set up, then run formatting and lint checks, Rust tests, UI unit tests and end-to-end
    /// tests. Ends with one line `N passed, N failed`; exits non-zero on any failure.
    Test {
        /// Run only the stages whose names contain this text (e.g. `end-to-end`, `portal`),
        /// when iterating on one; they may need what earlier stages build.
        #[arg(long)]
        only: Option<String>,
    },
    /// Regenerate the TypeScript bindings in ui/src/bindings from the Rust types.
    Bindings,
    /// Benchmarks: reports, server under load, sync, desktop app, bundle sizes, each beside
    /// its target and a reference measured in the same run; writes BENCHMARKS.md. Not part of
    /// `test` (which runs only `--smoke`).
    Bench(bench::Options),
    /// Build what a user installs: the app's installers (.deb and .rpm on Linux) and the
    /// Control Panel's .deb with its systemd unit.
    Bundle,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match cli.command {
        Command::Setup => setup::run_with_citus(&root),
        Command::Run => run::run(&root),
        Command::Test { only } => {
            let passed = test::run(&root, only)?;
            if !passed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bench(opts) => {
            let outcome = bench::run(&root, opts)?;
            if !outcome.failed.is_empty() {
                for (section, error) in &outcome.failed {
                    eprintln!("bench {section:?} failed: {error}");
                }
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bundle => bundle::run(&root).map(|_| ()),
        Command::Bindings => proc::run(
            proc::cmd("cargo", &["test", "--quiet", "--lib", "bindings"])
                .env("UPDATE_BINDINGS", "1"),
        ),
    }
}

/// The repository root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}
