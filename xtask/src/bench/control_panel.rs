//! The Control Panel the benchmarks talk to: a `control-panel` binary on a private PostgreSQL,
//! listening on loopback. Everything about starting it (migrations, accounts, flags, the
//! environment) is here, so a change of the server's startup is made in one place.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::run::{wait_for_port, Background};

/// A running Control Panel; stopped when dropped.
#[derive(Debug)]
pub struct ControlPanel {
    binary: PathBuf,
    database_url: String,
    port: u16,
    _process: Background,
}

impl ControlPanel {
    /// Migrates the cluster's database and serves it on a free loopback port with a pool of
    /// `pool_size` connections.
    pub fn start(binary: &Path, cluster: &Cluster, pool_size: u32) -> Result<Self> {
        let database_url = cluster.url();
        proc::run(cmd(&binary.to_string_lossy(), &["migrate"]).env("DATABASE_URL", &database_url))?;
        let port = proc::free_port()?;
        let mut serve = cmd(&binary.to_string_lossy(), &["serve"]);
        serve
            .env("DATABASE_URL", &database_url)
            .env("CONTROL_PANEL_ADDR", format!("127.0.0.1:{port}"))
            .env("CONTROL_PANEL_POOL_SIZE", pool_size.to_string())
            .env("RUST_LOG", "warn");
        let process = Background::spawn(serve)?;
        wait_for_port(port, Duration::from_secs(30))?;
        Ok(Self {
            binary: binary.to_path_buf(),
            database_url,
            port,
            _process: process,
        })
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates an MSP with its first operator.
    pub fn create_admin(&self, email: &str, password: &str, msp_name: &str) -> Result<()> {
        let mut admin = cmd(
            &self.binary.to_string_lossy(),
            &[
                "create-admin",
                "--email",
                email,
                "--password-stdin",
                "--msp-name",
                msp_name,
            ],
        );
        admin
            .env("DATABASE_URL", &self.database_url)
            .stdin(Stdio::piped());
        let mut child = admin.spawn().context("create-admin")?;
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(password.as_bytes())?;
        if !child.wait()?.success() {
            bail!("create-admin failed");
        }
        Ok(())
    }
}
