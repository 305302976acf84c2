//! `cargo xtask setup`: make this machine able to build, run and test MSP Desk.
//!
//! On Debian/Ubuntu it installs missing system packages with apt-get (as root, or through sudo).
//! Elsewhere it checks prerequisites and says precisely what is missing. Then it installs the npm
//! packages and tauri-driver. Each step is skipped when its result is already there, so a second
//! run takes a few seconds. `cargo xtask setup` also builds and installs Citus for the tests on
//! distributed PostgreSQL (`citus::ensure`); the other commands that set up first (`run`,
//! `bundle`, `bench`, `test`) leave that to the test stage that needs it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::proc::{self, cmd};

/// Debian packages: the WebKitGTK 4.1 build stack for Tauri, what the tests run under (Xvfb,
/// WebKitWebDriver, a D-Bus session with gnome-keyring, poppler for PDFs, Chromium for the client
/// portal's browser test), PostgreSQL, and a font with wide Unicode coverage for the UI and
/// reports, and what `cargo xtask bench` drives (wrk, xdotool).
const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libssl-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "libdbus-1-dev",
    "poppler-utils",
    "chromium",
    "postgresql",
    "fonts-dejavu-core",
    // The benchmarks' load generator and the desktop benchmark's keyboard.
    "wrk",
    "xdotool",
];

/// The oldest Node.js that Vite 8 runs on.
const MIN_NODE_MAJOR: u32 = 20;

/// tauri-driver: the WebDriver bridge for end-to-end tests; major 2 to match Tauri.
const TAURI_DRIVER_VERSION: &str = "^2";

/// Folders with a package.json whose node_modules setup installs.
pub const NPM_PROJECTS: &[&str] = &["ui", "tests/e2e", "tests/portal"];

pub fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    system_packages()?;
    node()?;
    for project in NPM_PROJECTS {
        npm_ci(&root.join(project))?;
    }
    if cfg!(target_os = "linux") {
        tauri_driver()?;
    }
    eprintln!("setup: ready ({:.1} s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// `cargo xtask setup`: [`run`], then Citus (Linux only: the only platform its tests run on).
pub fn run_with_citus(root: &Path) -> Result<()> {
    run(root)?;
    if cfg!(target_os = "linux") {
        let started = Instant::now();
        crate::citus::ensure(root)?;
        eprintln!(
            "setup: Citus {} ready ({:.1} s)",
            crate::citus::VERSION,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn system_packages() -> Result<()> {
    if cfg!(target_os = "linux") {
        if Path::new("/etc/debian_version").exists() {
            return debian_packages(DEBIAN_PACKAGES);
        }
        return check_commands(&[
            ("pkg-config", "pkg-config"),
            ("cc", "a C compiler"),
            ("Xvfb", "Xvfb (for end-to-end tests)"),
            ("WebKitWebDriver", "WebKitWebDriver (webkit2gtk-driver)"),
            ("dbus-run-session", "dbus (D-Bus session tools)"),
            ("gnome-keyring-daemon", "gnome-keyring"),
            ("pdftotext", "poppler-utils"),
        ]);
    }
    if cfg!(target_os = "macos") {
        if !proc::succeeds(&mut cmd("xcode-select", &["-p"])) {
            bail!("the Xcode command line tools are missing: run `xcode-select --install`");
        }
        return check_commands(&[("pdftotext", "poppler (brew install poppler)")]);
    }
    if cfg!(windows) {
        // WebView2 ships with Windows 10 (since 2021) and 11; the MSVC build tools come with
        // rustup's default toolchain installation.
        return check_commands(&[("link", "the Visual Studio C++ build tools (MSVC)")]);
    }
    Ok(())
}

fn check_commands(needed: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(program, _)| !proc::have(program))
        .map(|(_, what)| *what)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        bail!(
            "missing prerequisites, install them and run again: {}",
            missing.join(", ")
        )
    }
}

/// Installs those of `packages` that are not installed yet, with apt-get (as root, or through
/// sudo); one dpkg-query when all are there.
pub fn debian_packages(packages: &[&str]) -> Result<()> {
    let mut query = cmd(
        "dpkg-query",
        &["-W", "-f", "${Package} ${db:Status-Abbrev}\n"],
    );
    query.args(packages);
    let listed = proc::output(&mut query).unwrap_or_default();
    let installed: Vec<&str> = listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, status)| status.starts_with("ii"))
        .map(|(name, _)| name)
        .collect();
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !installed.contains(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("setup: installing {}", missing.join(" "));
    let sudo: &[&str] = if proc::is_root() { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        let mut c = cmd(all[0], &all[1..]);
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    proc::run(&mut apt(&["apt-get", "update", "-qq"]))?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    install.extend_from_slice(&missing);
    proc::run(&mut apt(&install))
}

fn node() -> Result<()> {
    if !proc::have("node") || !proc::have("npm") {
        if Path::new("/etc/debian_version").exists() {
            let sudo: &[&str] = if proc::is_root() { &[] } else { &["sudo"] };
            let mut args: Vec<&str> = sudo.to_vec();
            args.extend_from_slice(&["apt-get", "install", "-y", "-qq", "nodejs", "npm"]);
            proc::run(cmd(args[0], &args[1..]).env("DEBIAN_FRONTEND", "noninteractive"))?;
        } else {
            bail!("Node.js {MIN_NODE_MAJOR} or newer (with npm) is missing: install it from your package manager");
        }
    }
    let version = proc::output(&mut cmd("node", &["--version"])).unwrap_or_default();
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < MIN_NODE_MAJOR {
        bail!(
            "Node.js {MIN_NODE_MAJOR} or newer is needed, this machine has {}",
            version.trim()
        );
    }
    Ok(())
}

/// `npm ci` unless node_modules already matches package-lock.json (npm writes its own copy of
/// the lock into node_modules/.package-lock.json on every install).
fn npm_ci(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    if is_newer_or_same(&installed, &lock) {
        return Ok(());
    }
    proc::run(
        cmd(
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        )
        .current_dir(dir),
    )
    .with_context(|| format!("installing the npm packages of {}", dir.display()))
}

fn is_newer_or_same(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(a), modified(b)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}

fn tauri_driver() -> Result<()> {
    if tauri_driver_path().is_some() {
        return Ok(());
    }
    proc::run(&mut cmd(
        "cargo",
        &[
            "install",
            "--locked",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
        ],
    ))
}

/// Where tauri-driver is: on PATH, or in cargo's bin folder.
pub fn tauri_driver_path() -> Option<PathBuf> {
    if proc::have("tauri-driver") {
        return Some(PathBuf::from("tauri-driver"));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let path = cargo_home.join("bin").join("tauri-driver");
    path.is_file().then_some(path)
}
