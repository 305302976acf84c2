//! The Control Panel as xtask runs it: the `control-panel` binary on a private PostgreSQL,
//! listening on loopback. Everything about building and starting it (migrations or the demo
//! MSP, the port, flags, the environment) is here, so a change of the server's startup is made
//! in one place: `run`, the end-to-end and portal stages of `test`, and `bench` all start it
//! through [`ControlPanel::start`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::run::{wait_for_port, Background};
use crate::test::target_dir;

/// What the database holds before the server starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Data {
    /// The schema only (`migrate`); the caller creates its accounts.
    #[default]
    Empty,
    /// The demo MSP with its clients (`seed-demo`, which migrates first).
    Demo,
}

/// How [`ControlPanel::start`] starts the server; the default is the schema only, on a free
/// port, with the server's own pool size and log level.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub data: Data,
    /// Listen on this port when it is free (else on any free port).
    pub preferred_port: Option<u16>,
    /// The connections of its pool (`CONTROL_PANEL_POOL_SIZE`).
    pub pool_size: Option<u32>,
    /// Its `RUST_LOG` (unset: the server's default, `info`).
    pub log: Option<&'static str>,
}

/// The key-encryption key of the Control Panels on `cluster`: made once by the server itself
/// (`generate-key-encryption-key`) and kept beside the cluster's data (private to its user),
/// so a kept cluster's signing keys open again at the next `run`.
fn key_encryption_key(binary: &Path, cluster: &Cluster) -> Result<String> {
    let path = cluster.dir().join("key-encryption-key");
    if let Ok(kept) = std::fs::read_to_string(&path) {
        if !kept.trim().is_empty() {
            return Ok(kept.trim().to_owned());
        }
    }
    let made = cmd(&binary.to_string_lossy(), &["generate-key-encryption-key"])
        .output()
        .context("generate-key-encryption-key")?;
    if !made.status.success() {
        bail!("generate-key-encryption-key failed");
    }
    let key = String::from_utf8(made.stdout)?.trim().to_owned();
    std::fs::write(&path, &key).with_context(|| path.display().to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(key)
}

/// A running Control Panel; stopped when dropped.
#[derive(Debug)]
pub struct ControlPanel {
    binary: PathBuf,
    database_url: String,
    port: u16,
    _process: Background,
}

impl ControlPanel {
    /// Builds the server (debug) and returns the path of its binary.
    pub fn build(root: &Path) -> Result<PathBuf> {
        proc::run(&mut cmd(
            "cargo",
            &[
                "build",
                "--package",
                "mspdesk-server",
                "--bin",
                "control-panel",
            ],
        ))?;
        let path = target_dir(root)
            .join("debug")
            .join(format!("control-panel{}", std::env::consts::EXE_SUFFIX));
        if !path.is_file() {
            bail!("the build finished but {} is missing", path.display());
        }
        Ok(path)
    }

    /// Prepares the cluster's database as `options` say, serves it with `binary` on loopback
    /// and returns once the server listens.
    pub fn start(binary: &Path, cluster: &Cluster, options: &Options) -> Result<Self> {
        let database_url = cluster.url();
        let prepare = match options.data {
            Data::Empty => "migrate",
            Data::Demo => "seed-demo",
        };
        proc::run(cmd(&binary.to_string_lossy(), &[prepare]).env("DATABASE_URL", &database_url))?;
        let port = match options.preferred_port {
            Some(port) if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() => port,
            _ => proc::free_port()?,
        };
        let mut serve = cmd(&binary.to_string_lossy(), &["serve"]);
        serve
            .env("DATABASE_URL", &database_url)
            .env("CONTROL_PANEL_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "CONTROL_PANEL_KEY_ENCRYPTION_KEY",
                key_encryption_key(binary, cluster)?,
            );
        if let Some(size) = options.pool_size {
            serve.env("CONTROL_PANEL_POOL_SIZE", size.to_string());
        }
        if let Some(log) = options.log {
            serve.env("RUST_LOG", log);
        }
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
