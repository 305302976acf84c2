//! `cargo xtask`: every piece of automation for MSP Desk, in Rust so it runs the same on every
//! developer machine and in CI.
//!
//! - `setup`: install what is missing (system packages on Debian/Ubuntu, npm packages,
//!   tauri-driver); quick when everything is there.
//! - `run`: setup, build, launch the desktop app.
//! - `test`: setup, then every check and test; ends with `N passed, N failed`.
//! - `bindings`: regenerate the TypeScript bindings the UI imports from Rust types.
//! - `bench`: the sync benchmark at MSP scale; writes its section of BENCHMARKS.md.

mod bench;
mod postgres;
mod proc;
mod run;
mod setup;
mod test;

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
    /// The sync benchmark: seed a Control Panel through its API, time `mspdesk sync` (release),
    /// and write the figures into BENCHMARKS.md. Not part of `test`.
    Bench {
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        instances: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Print the figures without writing BENCHMARKS.md.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    std::env::set_current_dir(&root)?;
    match cli.command {
        Command::Setup => setup::run(&root),
        Command::Run => run::run(&root),
        Command::Test { only } => {
            let passed = test::run(&root, only)?;
            if !passed {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bench {
            clients,
            instances,
            runs,
            dry_run,
        } => bench::run(
            &root,
            bench::Size {
                clients,
                instances,
                runs,
            },
            !dry_run,
        ),
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
