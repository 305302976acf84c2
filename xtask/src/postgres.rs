//! Private PostgreSQL clusters: a throw-away one for tests (initdb in a temporary folder,
//! deleted on drop) and a kept one for `run` (under target/, reused across runs). Both listen
//! only on 127.0.0.1 at a free port and are stopped on drop. postgres refuses to run as root,
//! so when we are root the cluster runs as the `postgres` user.
//!
//! The Control Panel runs as [`OWNER`], a role that owns its database but is no superuser and
//! cannot bypass row-level security (`serve` refuses such a role); the superuser is only for
//! setting that up and for the tests, which create a database per test.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::proc::{self, cmd};

/// The role that owns the Control Panel's database and runs the server.
pub const OWNER: &str = "mspdesk_owner";
/// The role requests run as (`SET LOCAL ROLE`), created by [`OWNER_SETUP`].
pub const APP_ROLE: &str = "mspdesk_app";
/// The database the server uses (`url`); tests make their own.
const DATABASE: &str = "controlpanel";

/// Lets [`OWNER`] log in, create databases and roles (the first migration creates
/// `mspdesk_app`) and switch to `mspdesk_app`; safe to run again. (The same statements as
/// `mspdesk_server::db::owner_role_setup`, which xtask does not depend on.)
const OWNER_SETUP: &str = "DO $$ BEGIN
    CREATE ROLE mspdesk_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB CREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN
    CREATE ROLE mspdesk_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
GRANT mspdesk_app TO mspdesk_owner WITH ADMIN OPTION;";

#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    run_as: Option<&'static str>,
    port: u16,
    keep: bool,
}

impl Cluster {
    /// A new, empty cluster in a temporary folder, deleted when dropped.
    pub fn start() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("mspdesk-pg-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        Self::open(dir, false, &[])
    }

    /// [`Cluster::start`] with more server settings (`name=value`, each passed as `-c`), in a
    /// folder of its own named by `name`, so several run side by side (a Citus cluster's
    /// nodes).
    pub fn start_named(name: &str, settings: &[&str]) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("mspdesk-pg-{}-{name}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        Self::open(dir, false, settings)
    }

    /// The cluster kept in `dir` (created on first use); stopped, not deleted, when dropped.
    pub fn start_in(dir: &Path) -> Result<Self> {
        Self::open(dir.to_path_buf(), true, &[])
    }

    fn open(dir: PathBuf, keep: bool, settings: &[&str]) -> Result<Self> {
        let bin = bin_dir()?;
        let run_as = proc::is_root().then_some("postgres");
        std::fs::create_dir_all(&dir)?;
        if let Some(user) = run_as {
            proc::run(&mut cmd("chown", &[user, &dir.to_string_lossy()]))?;
        }
        let port = proc::free_port()?;
        let cluster = Self {
            dir,
            bin,
            run_as,
            port,
            keep,
        };
        let data_dir = cluster.dir.join("data");
        let data = data_dir.to_string_lossy();
        let log = cluster.dir.join("postgres.log");
        // A cluster left running by an interrupted run: stop it, we start it on a new port.
        if data_dir.join("postmaster.pid").exists() {
            let _ = cluster
                .pg("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        if !data_dir.join("PG_VERSION").exists() {
            cluster
                .pg(
                    "initdb",
                    &[
                        "-D",
                        &data,
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "-E",
                        "UTF8",
                        "--no-sync",
                    ],
                )
                .stdout(std::process::Stdio::null())
                .status()
                .context("initdb")?
                .success()
                .then_some(())
                .context("initdb failed")?;
        }
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            cluster.port,
            cluster.dir.to_string_lossy()
        );
        for setting in settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        let started = cluster
            .pg(
                "pg_ctl",
                &[
                    "-D",
                    &data,
                    "-o",
                    &options,
                    "-l",
                    &log.to_string_lossy(),
                    "-w",
                    "start",
                ],
            )
            .stdout(std::process::Stdio::null())
            .status()
            .context("pg_ctl start")?;
        if !started.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            bail!("PostgreSQL did not start:\n{log}");
        }
        cluster.psql(OWNER_SETUP)?;
        if cluster.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
        ))? != "1"
        {
            cluster.psql(&format!("CREATE DATABASE {DATABASE} OWNER {OWNER}"))?;
        }
        Ok(cluster)
    }

    /// The cluster's folder (its data and what is kept with it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The Control Panel's connection string: [`OWNER`] on its database.
    pub fn url(&self) -> String {
        format!("postgres://{OWNER}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The superuser's connection string (for the tests, which create a database each and
    /// hand it to [`OWNER`]).
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The path of one of PostgreSQL's programs (`pgbench`, `psql`).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// Runs one SQL statement through psql (as the superuser, in the `postgres` database) and
    /// returns its unaligned output.
    pub fn psql(&self, sql: &str) -> Result<String> {
        self.psql_at(&self.admin_url(), sql)
    }

    /// [`Cluster::psql`] in the Control Panel's database (as the superuser: it sees every
    /// tenant's rows), for checks of what the server stored.
    pub fn psql_control_panel(&self, sql: &str) -> Result<String> {
        self.psql_in(DATABASE, sql)
    }

    /// [`Cluster::psql`] in another database (as the superuser).
    pub fn psql_in(&self, database: &str, sql: &str) -> Result<String> {
        let url = format!("postgres://postgres@127.0.0.1:{}/{database}", self.port);
        self.psql_at(&url, sql)
    }

    fn psql_at(&self, url: &str, sql: &str) -> Result<String> {
        let out = cmd(
            &self.bin.join("psql").to_string_lossy(),
            &[url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        )
        .output()
        .context("psql")?;
        if !out.status.success() {
            bail!("psql: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn pg(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let program = program.to_string_lossy();
        let mut c = match self.run_as {
            Some(user) => {
                let mut c = cmd("runuser", &["-u", user, "--", &program]);
                c.args(args);
                c
            }
            None => cmd(&program, args),
        };
        // Run from a folder the postgres user can read, whatever our own cwd is.
        c.current_dir(&self.dir);
        c
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .pg(
                "pg_ctl",
                &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"],
            )
            .stdout(std::process::Stdio::null())
            .status();
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The folder with initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<major>/bin
/// (newest wins); elsewhere they are on PATH.
pub fn bin_dir() -> Result<PathBuf> {
    let debian = Path::new("/usr/lib/postgresql");
    if let Ok(entries) = std::fs::read_dir(debian) {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let major = e.file_name().to_string_lossy().parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((major, bin))
            })
            .collect();
        versions.sort();
        if let Some((_, bin)) = versions.pop() {
            return Ok(bin);
        }
    }
    if let Some(out) = proc::output(&mut cmd("pg_config", &["--bindir"])) {
        let bin = PathBuf::from(out.trim());
        if bin.join("initdb").is_file() {
            return Ok(bin);
        }
    }
    bail!("PostgreSQL server programs (initdb, pg_ctl) not found: run `cargo xtask setup`")
}
