//! Citus (distributed PostgreSQL) for the tests: built from the vendored source, and a
//! throw-away cluster of a coordinator and workers on loopback.
//!
//! The package registries this project reaches carry no Citus, so [`ensure`] builds it from
//! `../shared/vendor/citus/` (beside the repository): the tarball is checked against its
//! sha256, patched for PostgreSQL 15.18+ where needed, configured for the PostgreSQL that
//! [`Cluster`] runs, built in a cache outside the checkout (reused by every worktree and every
//! later run) and installed into that PostgreSQL. When the installed Citus is already of the
//! right line, nothing at all is done, so the check costs a few file reads.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::postgres::{self, Cluster, APP_ROLE};
use crate::proc::{self, cmd};
use crate::setup;

/// The Citus release we build: the last line that supports PostgreSQL 15 (Debian 12's).
pub const VERSION: &str = "13.2.2";

/// What the installed extension must be: its control file's `default_version` starts with
/// this (Citus numbers its SQL versions `13.2-1`, ...), so any 13.2.x build counts.
const CONTROL_VERSION_PREFIX: &str = "13.2-";

/// The vendored source, relative to the repository root.
const VENDOR_DIR: &str = "../shared/vendor/citus";

/// The tarball in [`VENDOR_DIR`] and its sha256 (from the README there).
const TARBALL: &str = "citus-13.2.2.tar.gz";
const TARBALL_SHA256: &str = "dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430";

/// v13.2.2 keeps a private `static` copy of `have_createdb_privilege`, which clashes with the
/// declaration PostgreSQL 15.18 added to `commands/dbcommands.h`; this patch drops the copy.
/// It is applied only when that header declares the function (older 15.x need the copy).
const PATCH: &str = "citus-v13.2.2-pg15.18.patch";

/// Debian packages that building Citus needs, besides build-essential and the PostgreSQL
/// server headers (`postgresql-server-dev-<major>`, added for the major in use). Only
/// installed when Citus has to be built, so `run` and `bundle` never pull them in.
const DEBIAN_BUILD_PACKAGES: &[&str] = &[
    "libcurl4-openssl-dev",
    "liblz4-dev",
    "libzstd-dev",
    "libkrb5-dev",
    "libselinux1-dev",
    "libxslt1-dev",
    "libpam0g-dev",
    "libreadline-dev",
    "autoconf",
    "flex",
    "bison",
    "patch",
];

/// Settings of every node of the test cluster.
///
/// - `shared_preload_libraries`: Citus must be loaded at start.
/// - `max_worker_processes`: Citus runs a maintenance daemon (a background worker) for every
///   database that has the extension, on every node, and the tests make a database each;
///   with PostgreSQL's default of 8, databases past the eighth get no daemon (a warning on
///   every connection, no 2PC recovery or distributed deadlock detection there).
/// - `max_connections`: the coordinator's daemon of each database keeps a connection to every
///   node of it (itself included), so each test database holds one on every node for the
///   rest of the run, besides the tests' own.
/// - `wal_level = logical`: moving shards without blocking writes (`citus_rebalance_start`,
///   `isolate_tenant_to_new_shard`) goes through logical replication.
const NODE_SETTINGS: &[&str] = &[
    "shared_preload_libraries=citus",
    "max_worker_processes=400",
    "max_connections=600",
    "wal_level=logical",
];

/// Settings of the workers only: no distributed deadlock detection and no 2PC recovery,
/// which the coordinator does. Every distributed transaction of the tests starts on the
/// coordinator, whose detector sees the whole graph; on the workers they would only make each
/// daemon keep connections to every other node (thousands in a test run).
const WORKER_SETTINGS: &[&str] = &[
    "citus.distributed_deadlock_detection_factor=-1",
    "citus.recover_2pc_interval=-1",
];

/// The PostgreSQL that Citus is built for and installed into: the one [`Cluster`] runs.
struct Postgres {
    pg_config: PathBuf,
    /// `pg_config --version`, e.g. `PostgreSQL 15.18 (Debian 15.18-0+deb12u1)`.
    version: String,
    major: u32,
    pkglibdir: PathBuf,
    sharedir: PathBuf,
}

impl Postgres {
    fn find() -> Result<Self> {
        let pg_config = postgres::bin_dir()?.join("pg_config");
        let ask = |flag: &str| -> Result<String> {
            proc::output(&mut cmd(&pg_config.to_string_lossy(), &[flag]))
                .map(|s| s.trim().to_owned())
                .with_context(|| format!("`{} {flag}` failed", pg_config.display()))
        };
        let version = ask("--version")?;
        let major = major_version(&version)
            .with_context(|| format!("unexpected `pg_config --version`: {version}"))?;
        Ok(Self {
            version,
            major,
            pkglibdir: PathBuf::from(ask("--pkglibdir")?),
            sharedir: PathBuf::from(ask("--sharedir")?),
            pg_config,
        })
    }

    /// The `default_version` of the installed Citus, when both its library and its control
    /// file are there.
    fn installed_citus(&self) -> Option<String> {
        if !self.pkglibdir.join("citus.so").is_file() {
            return None;
        }
        let control =
            std::fs::read_to_string(self.sharedir.join("extension/citus.control")).ok()?;
        default_version(&control)
    }

    fn has_citus(&self) -> bool {
        self.installed_citus()
            .is_some_and(|v| v.starts_with(CONTROL_VERSION_PREFIX))
    }

    /// Whether the server headers declare `have_createdb_privilege` (PostgreSQL 15.18+, 16+):
    /// then [`PATCH`] is needed.
    fn declares_createdb_privilege(&self) -> Result<bool> {
        let include = proc::output(&mut cmd(
            &self.pg_config.to_string_lossy(),
            &["--includedir-server"],
        ))
        .context("pg_config --includedir-server")?;
        let header = Path::new(include.trim()).join("commands/dbcommands.h");
        let text = std::fs::read_to_string(&header).with_context(|| {
            format!(
                "{} is missing: the PostgreSQL server headers are needed to build Citus",
                header.display()
            )
        })?;
        Ok(text.contains("have_createdb_privilege"))
    }
}

/// The major version in `pg_config --version` (`PostgreSQL 15.18 (Debian ...)`: 15).
fn major_version(version: &str) -> Option<u32> {
    version
        .strip_prefix("PostgreSQL ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The `default_version` of an extension's control file.
fn default_version(control: &str) -> Option<String> {
    control.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "default_version").then(|| value.trim().trim_matches('\'').to_owned())
    })
}

/// The vendored tarball beside the repository at `root`, or an error that says where it was
/// looked for.
fn vendored_tarball(root: &Path) -> Result<PathBuf> {
    let tarball = root.join(VENDOR_DIR).join(TARBALL);
    if !tarball.is_file() {
        bail!(
            "the Citus source is missing: expected {} (`{VENDOR_DIR}/{TARBALL}`, the shared folder beside the repository)",
            tarball.display()
        );
    }
    Ok(tarball.canonicalize()?)
}

/// Makes sure the PostgreSQL that the tests run has Citus [`VERSION`]'s line installed:
/// nothing to do when it has; else installs the build dependencies (Debian/Ubuntu), builds in
/// the cache (unless an earlier run did) and installs (as root, or through sudo).
pub fn ensure(root: &Path) -> Result<()> {
    if Postgres::find()?.has_citus() {
        return Ok(());
    }
    let started = Instant::now();
    let tarball = vendored_tarball(root)?;
    let vendor = tarball.parent().unwrap_or(root);
    build_dependencies(&Postgres::find()?)?;
    // Again: apt may have brought the server to a newer minor with its headers.
    let pg = Postgres::find()?;

    let cache = cache_dir()?;
    std::fs::create_dir_all(&cache).with_context(|| cache.display().to_string())?;
    // Two worktrees testing at once build (and install) one after the other.
    let lock = File::create(cache.join(format!("citus-{VERSION}.lock")))?;
    lock.lock().context("locking the Citus build cache")?;
    if pg.has_citus() {
        return Ok(());
    }
    let build = cache.join(format!("citus-{VERSION}-pg{}", pg.major));
    let patched = pg.declares_createdb_privilege()?;
    // What the build in the cache was made from and for; another value means build again.
    let stamp = format!(
        "citus {VERSION} sha256 {TARBALL_SHA256} patched {patched}\n{}\n",
        pg.version
    );
    let stamp_file = build.join(".mspdesk-build");
    if std::fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp.as_str()) {
        eprintln!(
            "citus: building {VERSION} for {} in {}",
            pg.version,
            build.display()
        );
        check_sha256(&tarball)?;
        unpack(&tarball, &cache, &build)?;
        if patched {
            proc::run(
                cmd("patch", &["-p1", "--forward", "--quiet", "-i"])
                    .arg(vendor.join(PATCH))
                    .current_dir(&build),
            )?;
        }
        let pg_config = format!("PG_CONFIG={}", pg.pg_config.display());
        proc::run(cmd("./configure", &["--quiet", &pg_config]).current_dir(&build))?;
        let jobs = format!(
            "-j{}",
            std::thread::available_parallelism().map_or(2, |n| n.get())
        );
        proc::run(cmd("make", &["-s", &jobs]).current_dir(&build))?;
        std::fs::write(&stamp_file, &stamp)?;
    }
    install(&pg, &build)?;
    match pg.installed_citus() {
        Some(v) if v.starts_with(CONTROL_VERSION_PREFIX) => {
            eprintln!(
                "citus: {VERSION} installed into {} ({:.0} s)",
                pg.pkglibdir.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        other => bail!(
            "`make install` finished but the installed Citus is {other:?}, not {CONTROL_VERSION_PREFIX}x"
        ),
    }
}

/// `$XDG_CACHE_HOME/mspdesk`, else `~/.cache/mspdesk`: outside every checkout, so worktrees
/// and fresh clones share one build.
fn cache_dir() -> Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set: no cache folder for the Citus build")?;
    Ok(base.join("mspdesk"))
}

/// The build dependencies: installed with apt on Debian/Ubuntu; elsewhere only the server
/// headers are checked (the rest shows as configure's own message).
fn build_dependencies(pg: &Postgres) -> Result<()> {
    if Path::new("/etc/debian_version").exists() {
        let server_dev = format!("postgresql-server-dev-{}", pg.major);
        let mut packages = vec!["build-essential", server_dev.as_str()];
        packages.extend_from_slice(DEBIAN_BUILD_PACKAGES);
        return setup::debian_packages(&packages);
    }
    pg.declares_createdb_privilege().map(|_| ())
}

fn check_sha256(tarball: &Path) -> Result<()> {
    let path = tarball.to_string_lossy();
    let out = proc::output(&mut cmd("sha256sum", &[&path]))
        .or_else(|| proc::output(&mut cmd("shasum", &["-a", "256", &path])))
        .context("neither sha256sum nor shasum could hash the Citus tarball")?;
    let sum = out.split_whitespace().next().unwrap_or_default();
    if sum != TARBALL_SHA256 {
        bail!(
            "{} has sha256 {sum}, expected {TARBALL_SHA256}: not the vendored Citus {VERSION}",
            tarball.display()
        );
    }
    Ok(())
}

/// Unpacks the tarball's `citus-<version>/` as `build` (replacing what was there).
fn unpack(tarball: &Path, cache: &Path, build: &Path) -> Result<()> {
    let staging = cache.join(format!("citus-{VERSION}.unpacking"));
    for dir in [&staging, build] {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| dir.display().to_string())?;
        }
    }
    std::fs::create_dir_all(&staging)?;
    proc::run(cmd("tar", &["xzf"]).arg(tarball).arg("-C").arg(&staging))?;
    std::fs::rename(staging.join(format!("citus-{VERSION}")), build)
        .context("the tarball has no citus-<version> folder")?;
    std::fs::remove_dir_all(&staging)?;
    Ok(())
}

/// `make install` into `pg`'s folders: directly as root or when we may write there, else
/// through sudo.
fn install(pg: &Postgres, build: &Path) -> Result<()> {
    let probe = pg
        .pkglibdir
        .join(format!(".mspdesk-probe-{}", std::process::id()));
    let writable = File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    let mut make = if proc::is_root() || writable {
        cmd("make", &["-s", "install"])
    } else {
        cmd("sudo", &["make", "-s", "install"])
    };
    proc::run(make.current_dir(build))
}

/// A throw-away Citus cluster on loopback: a coordinator and `workers` workers, each a
/// [`Cluster`] (so the same folder, user and port handling, and stopped and deleted on drop).
///
/// On every node the `postgres` and `controlpanel` databases have the extension, and the
/// roles are set up: [`postgres::OWNER`] as on one PostgreSQL, and [`APP_ROLE`] with LOGIN, because
/// Citus opens a transaction's connections to the workers as the role it runs as, and a
/// request runs as it (`SET LOCAL ROLE`). The workers are registered in both
/// databases on the coordinator (`postgres`: so Citus can propagate roles and databases made
/// there; `controlpanel`: ready for a Control Panel at [`CitusCluster::url`]).
#[derive(Debug)]
pub struct CitusCluster {
    /// The coordinator, then the workers.
    nodes: Vec<Cluster>,
}

impl CitusCluster {
    /// Starts the nodes (Citus must be installed: [`ensure`]).
    pub fn start(workers: usize) -> Result<Self> {
        let coordinator = Cluster::start_named("citus-coordinator", NODE_SETTINGS)?;
        let workers = (1..=workers)
            .map(|i| {
                let settings = [NODE_SETTINGS, WORKER_SETTINGS].concat();
                Cluster::start_named(&format!("citus-worker{i}"), &settings)
            })
            .collect::<Result<Vec<_>>>()?;
        let cluster = Self {
            nodes: std::iter::once(coordinator).chain(workers).collect(),
        };
        for node in cluster.nodes() {
            // `postgres` first: `ALTER ROLE` in a database with Citus and nodes would be
            // propagated, here each node gets its own.
            node.psql(&format!(
                "CREATE EXTENSION IF NOT EXISTS citus; ALTER ROLE {APP_ROLE} LOGIN"
            ))
            .context("preparing a Citus node")?;
            node.psql_control_panel("CREATE EXTENSION IF NOT EXISTS citus")?;
        }
        for database in ["postgres", "controlpanel"] {
            cluster.register_workers(database)?;
        }
        Ok(cluster)
    }

    fn nodes(&self) -> impl Iterator<Item = &Cluster> {
        self.nodes.iter()
    }

    fn workers(&self) -> &[Cluster] {
        &self.nodes[1..]
    }

    /// Registers the coordinator and the workers in `database` on the coordinator (which has
    /// the extension on every node).
    fn register_workers(&self, database: &str) -> Result<()> {
        let mut sql = format!(
            "SELECT citus_set_coordinator_host('127.0.0.1', {});",
            self.coordinator().port()
        );
        for worker in self.workers() {
            sql.push_str(&format!(
                "SELECT citus_add_node('127.0.0.1', {});",
                worker.port()
            ));
        }
        self.coordinator()
            .psql_in(database, &sql)
            .with_context(|| format!("registering the Citus workers in {database}"))?;
        Ok(())
    }

    /// The coordinator, where clients connect.
    pub fn coordinator(&self) -> &Cluster {
        &self.nodes[0]
    }

    /// The workers' addresses, `127.0.0.1:<port>` separated by commas (the format of
    /// `MSPDESK_TEST_CITUS_WORKERS`).
    pub fn worker_addresses(&self) -> String {
        self.workers()
            .iter()
            .map(|w| format!("127.0.0.1:{}", w.port()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The Control Panel's connection string on the coordinator ([`Cluster::url`]).
    #[allow(dead_code)] // for `bench --only citus`
    pub fn url(&self) -> String {
        self.coordinator().url()
    }
}

impl Drop for CitusCluster {
    /// Stops and deletes the nodes at once: after a test run each holds a database per test
    /// (some 150, of 500 files each), and one after the other they take a while.
    fn drop(&mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        std::thread::scope(|scope| {
            for node in nodes {
                scope.spawn(move || drop(node));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_major_version_of_pg_config() {
        assert_eq!(
            major_version("PostgreSQL 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(major_version("PostgreSQL 17devel"), Some(17));
        assert_eq!(major_version("psql 15"), None);
    }

    #[test]
    fn reads_the_default_version_of_a_control_file() {
        let control = "# Citus extension\ncomment = 'Citus distributed database'\ndefault_version = '13.2-1'\nmodule_pathname = '$libdir/citus'\n";
        let version = default_version(control);
        assert_eq!(version.as_deref(), Some("13.2-1"));
        assert!(version.is_some_and(|v| v.starts_with(CONTROL_VERSION_PREFIX)));
        assert_eq!(default_version("comment = 'x'"), None);
    }

    #[test]
    fn a_missing_vendored_source_says_where_it_was_expected() {
        let root = std::env::temp_dir().join(format!("mspdesk-no-vendor-{}", std::process::id()));
        let error = vendored_tarball(&root).map(|_| ()).unwrap_err().to_string();
        assert!(error.contains("the Citus source is missing"), "{error}");
        assert!(error.contains(TARBALL), "{error}");
    }
}
