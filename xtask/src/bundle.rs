//! `cargo xtask bundle`: what a user installs.
//!
//! - The desktop app through the Tauri bundler (`@tauri-apps/cli`, in ui/'s devDependencies):
//!   on Linux a `.deb` and an `.rpm` (icons, desktop entry, WebKitGTK 4.1 as a dependency);
//!   on Windows the `.msi` and the NSIS installer; on macOS the `.app` and the `.dmg`. The app
//!   is built once (`tauri build --no-bundle`), its symbols stripped, then packaged
//!   (`tauri bundle`).
//! - On Linux, a `.deb` of the `control-panel` server with cargo-deb (installed when missing):
//!   the binary, a systemd unit (its own system user, `DATABASE_URL` from
//!   /etc/control-panel/env, restart on failure), the env file as a conffile. Its metadata
//!   is in crates/server/Cargo.toml and crates/server/packaging/.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::proc::{self, cmd};
use crate::test::target_dir;

/// cargo-deb, major 3 (its `[package.metadata.deb]` keys).
const CARGO_DEB_VERSION: &str = "^3";

/// The packages one `bundle` made.
#[derive(Debug)]
pub struct Bundles {
    /// The desktop app's installers (`.deb` and `.rpm` on Linux).
    pub app: Vec<PathBuf>,
    /// The Control Panel's `.deb` (Linux only).
    pub server: Option<PathBuf>,
}

impl Bundles {
    /// Every package, app first.
    pub fn all(&self) -> Vec<&Path> {
        self.app
            .iter()
            .map(PathBuf::as_path)
            .chain(self.server.as_deref())
            .collect()
    }
}

pub fn run(root: &Path) -> Result<Bundles> {
    crate::setup::run(root)?;
    let bundles = Bundles {
        app: app(root)?,
        server: if cfg!(target_os = "linux") {
            Some(server(root)?)
        } else {
            None
        },
    };
    eprintln!("\nbundles:");
    for path in bundles.all() {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        eprintln!("  {:>6.1} MB  {}", size as f64 / 1e6, path.display());
    }
    Ok(bundles)
}

/// The installers this system builds.
fn targets() -> &'static str {
    if cfg!(windows) {
        "msi,nsis"
    } else if cfg!(target_os = "macos") {
        "app,dmg"
    } else {
        "deb,rpm"
    }
}

fn tauri(root: &Path, args: &[&str]) -> Result<()> {
    let cli = root
        .join("ui")
        .join("node_modules")
        .join(".bin")
        .join(if cfg!(windows) { "tauri.cmd" } else { "tauri" });
    proc::run(cmd(&cli.to_string_lossy(), args).current_dir(root))
}

fn app(root: &Path) -> Result<Vec<PathBuf>> {
    // Builds the UI (beforeBuildCommand) and the release app.
    tauri(root, &["build", "--no-bundle"])?;
    let release = target_dir(root).join("release");
    if cfg!(target_os = "linux") {
        // The release profile keeps the symbol table; the installed app needs none of it.
        proc::run(&mut cmd(
            "strip",
            &[
                "--strip-unneeded",
                &release.join("msp-desk").to_string_lossy(),
            ],
        ))?;
    }
    let bundle_dir = release.join("bundle");
    if bundle_dir.exists() {
        std::fs::remove_dir_all(&bundle_dir)?;
    }
    tauri(root, &["bundle", "--bundles", targets()])?;
    let mut found = Vec::new();
    for kind in targets().split(',') {
        let dir = bundle_dir.join(if kind == "app" { "macos" } else { kind });
        let ext = match kind {
            "nsis" => "exe",
            other => other,
        };
        found.push(newest(&dir, ext).with_context(|| format!("no .{ext} in {}", dir.display()))?);
    }
    Ok(found)
}

fn server(root: &Path) -> Result<PathBuf> {
    if !proc::succeeds(&mut cmd("cargo", &["deb", "--version"])) {
        proc::run(&mut cmd(
            "cargo",
            &[
                "install",
                "--locked",
                "cargo-deb",
                "--version",
                CARGO_DEB_VERSION,
            ],
        ))?;
    }
    let out_dir = target_dir(root).join("debian");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)?;
    }
    proc::run(&mut cmd("cargo", &["deb", "-p", "mspdesk-server"]))?;
    newest(&out_dir, "deb").context("cargo deb wrote no .deb")
}

/// The newest file in `dir` whose name ends with `.ext`.
fn newest(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// The size of each package, for the bundle section of BENCHMARKS.md.
pub fn sizes(bundles: &Bundles) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for path in bundles.all() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let size = std::fs::metadata(path)
            .with_context(|| format!("{}", path.display()))?
            .len();
        out.push((name, size));
    }
    if out.is_empty() {
        bail!("no bundle was built");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_file_of_a_kind_is_found() {
        let dir = std::env::temp_dir().join(format!("xtask-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.deb"), "old").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("b.deb"), "new").unwrap();
        std::fs::write(dir.join("c.rpm"), "other").unwrap();
        assert_eq!(newest(&dir, "deb"), Some(dir.join("b.deb")));
        assert_eq!(newest(&dir, "msi"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
