//! `cargo xtask test`: every check and test, in one command, with one summary line.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::citus::{self, CitusCluster};
use crate::control_panel::{self, ControlPanel, Data};
use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::{run::build_app, setup};

/// What one stage counted.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    fn check(ok: bool) -> Self {
        if ok {
            Self {
                passed: 1,
                failed: 0,
            }
        } else {
            Self {
                passed: 0,
                failed: 1,
            }
        }
    }

    /// Counts parsed from a runner's output; a runner that failed without reporting a failed
    /// test (it did not compile, it crashed) counts as one failure.
    fn from_runner(ok: bool, passed: u64, failed: u64) -> Self {
        let failed = if !ok && failed == 0 { 1 } else { failed };
        Self { passed, failed }
    }
}

struct Report {
    stages: Vec<(String, Tally, Duration)>,
    /// Run only the stages whose names contain this (for iterating on one stage; `test`
    /// without it runs everything).
    only: Option<String>,
}

impl Report {
    fn stage(&mut self, name: &str, f: impl FnOnce() -> Result<Tally>) {
        if self
            .only
            .as_deref()
            .is_some_and(|only| !name.contains(only))
        {
            return;
        }
        eprintln!("\n=== {name} ===");
        let started = Instant::now();
        let tally = f().unwrap_or_else(|e| {
            eprintln!("{name}: {e:#}");
            Tally::check(false)
        });
        self.stages
            .push((name.to_owned(), tally, started.elapsed()));
    }

    fn total(&self) -> Tally {
        self.stages
            .iter()
            .fold(Tally::default(), |acc, (_, t, _)| Tally {
                passed: acc.passed + t.passed,
                failed: acc.failed + t.failed,
            })
    }
}

/// Runs everything; returns whether all passed.
pub fn run(root: &Path, only: Option<String>) -> Result<bool> {
    let started = Instant::now();
    setup::run(root)?;
    let mut report = Report {
        stages: Vec::new(),
        only,
    };

    // The UI is built first: the app embeds ui/dist at compile time.
    report.stage("ui build (tsc + vite)", || {
        Ok(Tally::check(
            proc::run(&mut ui_npm(root, &["run", "build"])).is_ok(),
        ))
    });
    report.stage("ui lint (eslint)", || {
        Ok(Tally::check(
            proc::run(&mut ui_npm(root, &["run", "lint"])).is_ok(),
        ))
    });
    report.stage("cargo fmt --check", || {
        Ok(Tally::check(
            proc::run(&mut cmd("cargo", &["fmt", "--all", "--check"])).is_ok(),
        ))
    });
    report.stage("cargo clippy", || {
        Ok(Tally::check(
            proc::run(&mut cmd(
                "cargo",
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
            ))
            .is_ok(),
        ))
    });

    let cluster = Cluster::start();
    report.stage("postgres (private test cluster)", || {
        let cluster = cluster.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let version = cluster.psql("show server_version")?;
        eprintln!("PostgreSQL {version} at {}", cluster.url());
        Ok(Tally::check(!version.is_empty()))
    });
    report.stage(RUST_TESTS, || rust_tests(root, cluster.as_ref().ok()));
    drop(cluster);
    // `--only citus` runs just this one.
    let workspace_built = report.stages.iter().any(|(name, _, _)| name == RUST_TESTS);
    report.stage(CITUS_STAGE, || citus_tests(root, workspace_built));

    report.stage("ui unit tests (vitest)", || ui_tests(root));
    report.stage("end-to-end (tauri-driver, Xvfb)", || end_to_end(root));
    // After the app's end-to-end stage, which empties the screenshots folder first.
    report.stage("client portal (headless Chromium)", || portal(root));
    // After the end-to-end stage, which built the debug app the desktop section starts.
    report.stage("bench harness (smoke)", || bench_smoke(root));

    eprintln!("\n=== summary ===");
    for (name, t, took) in &report.stages {
        eprintln!(
            "{name:<34} {:>4} passed {:>3} failed {:>7.1} s",
            t.passed,
            t.failed,
            took.as_secs_f64()
        );
    }
    eprintln!("total time {:.1} s", started.elapsed().as_secs_f64());
    let total = report.total();
    println!("{} passed, {} failed", total.passed, total.failed);
    Ok(total.failed == 0)
}

fn ui_npm(root: &Path, args: &[&str]) -> std::process::Command {
    let mut c = cmd("npm", args);
    c.current_dir(root.join("ui"));
    c
}

/// A temporary folder under the target directory, emptied first.
fn scratch(root: &Path, name: &str) -> Result<PathBuf> {
    let dir = target_dir(root).join("xtask").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn rust_tests(root: &Path, cluster: Option<&Cluster>) -> Result<Tally> {
    let data_home = scratch(root, "rust-tests-data")?;
    let mut test = cmd("cargo", &["test", "--workspace", "--no-fail-fast"]);
    if let Some(cluster) = cluster {
        test.env("MSPDESK_TEST_DATABASE_URL", cluster.admin_url());
        // pg_dump and pg_restore of the same version, for the backup test.
        if let Some(bin) = cluster.program("pg_dump").parent() {
            test.env("MSPDESK_TEST_PG_BIN", bin);
        }
    }
    let (ok, out) = proc::run_teed(&mut keyring_session(test, &data_home))?;
    Ok(cargo_test_tally(ok, &out))
}

/// The tally of a `cargo test` run from its `test result:` lines.
fn cargo_test_tally(ok: bool, out: &str) -> Tally {
    let (mut passed, mut failed) = (0, 0);
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("test result: ") {
            passed += count_before(rest, " passed");
            failed += count_before(rest, " failed");
        }
    }
    Tally::from_runner(ok, passed, failed)
}

const RUST_TESTS: &str = "rust tests";
const CITUS_STAGE: &str = "citus (server tests, 3 nodes)";

/// The server's integration suite again, on distributed PostgreSQL: Citus built (or found in
/// the cache), a coordinator and two workers on loopback, and every test's database made on
/// all three by the testkit (`MSPDESK_TEST_CITUS_WORKERS`). Tests that cannot run there skip
/// themselves (`mspdesk_testkit::is_citus`). `workspace_built`: the rust tests stage ran, so
/// the suite's binary is there to reuse ([`server_suite`]).
fn citus_tests(root: &Path, workspace_built: bool) -> Result<Tally> {
    if !cfg!(target_os = "linux") {
        eprintln!("the Citus tests run on Linux only; skipped");
        return Ok(Tally::default());
    }
    let started = Instant::now();
    citus::ensure(root)?;
    eprintln!(
        "citus {}: ready in {:.1} s",
        citus::VERSION,
        started.elapsed().as_secs_f64()
    );
    let suite = server_suite(root, workspace_built)?;
    let started = Instant::now();
    let cluster = CitusCluster::start(2)?;
    let coordinator = cluster.coordinator();
    eprintln!(
        "citus cluster: coordinator {}, workers {}, started in {:.1} s",
        coordinator.admin_url(),
        cluster.worker_addresses(),
        started.elapsed().as_secs_f64()
    );
    let mut test = cmd(&suite.to_string_lossy(), &[]);
    test.current_dir(root.join("crates/server"))
        .env("MSPDESK_TEST_DATABASE_URL", coordinator.admin_url())
        .env("MSPDESK_TEST_CITUS_WORKERS", cluster.worker_addresses());
    if let Some(bin) = coordinator.program("pg_dump").parent() {
        test.env("MSPDESK_TEST_PG_BIN", bin);
    }
    let started = Instant::now();
    let (ok, out) = proc::run_teed(&mut test)?;
    eprintln!(
        "citus: the suite took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    drop(cluster);
    eprintln!(
        "citus cluster: stopped and deleted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(cargo_test_tally(ok, &out))
}

/// The server's integration-test binary (`crates/server/tests/it`), run directly.
///
/// After the rust tests stage, the one it built for the whole workspace (`--workspace --no-run`
/// builds nothing then): `cargo test -p mspdesk-server` resolves the dependencies' features
/// differently and would build all of the server's dependencies a second time (minutes, and
/// gigabytes of target folder). Without that stage (`--only citus`), only the server's suite
/// is built, as `cargo test -p mspdesk-server --test it` by hand does, and the app (which
/// needs the built UI) is not.
fn server_suite(root: &Path, workspace_built: bool) -> Result<PathBuf> {
    let selection: &[&str] = if workspace_built {
        &["--workspace"]
    } else {
        &["--package", "mspdesk-server", "--test", "it"]
    };
    let what = format!("cargo test --no-run {}", selection.join(" "));
    eprintln!("$ {what}");
    let out = cmd(
        "cargo",
        &[
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ],
    )
    .args(selection)
    .current_dir(root)
    .stderr(std::process::Stdio::inherit())
    .output()
    .with_context(|| format!("could not start `{what}`"))?;
    if !out.status.success() {
        anyhow::bail!("`{what}` failed ({})", out.status);
    }
    let manifest = root.join("crates/server/Cargo.toml");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .find_map(|message| suite_executable(&message, &manifest))
        .with_context(|| {
            format!(
                "`{what}` named no test binary `it` of {}",
                manifest.display()
            )
        })
}

/// The executable of a cargo `compiler-artifact` message, when it is the test target `it` of
/// the package whose manifest is `manifest`.
fn suite_executable(message: &serde_json::Value, manifest: &Path) -> Option<PathBuf> {
    let is_suite = message["reason"] == "compiler-artifact"
        && message["target"]["name"] == "it"
        && message["target"]["kind"]
            .as_array()?
            .iter()
            .any(|kind| kind == "test")
        && Path::new(message["manifest_path"].as_str()?) == manifest;
    if !is_suite {
        return None;
    }
    message["executable"].as_str().map(PathBuf::from)
}

/// In "ok. 12 passed; 0 failed; ...", the number before `label`.
fn count_before(text: &str, label: &str) -> u64 {
    text.split(';')
        .find_map(|part| {
            let part = part
                .trim()
                .trim_start_matches("ok.")
                .trim_start_matches("FAILED.");
            part.trim().strip_suffix(label)?.trim().parse().ok()
        })
        .unwrap_or(0)
}

fn ui_tests(root: &Path) -> Result<Tally> {
    let out_file = scratch(root, "vitest")?.join("results.json");
    let out_arg = format!("--outputFile.json={}", out_file.display());
    let ok = proc::run(&mut ui_npm(
        root,
        &[
            "exec",
            "--",
            "vitest",
            "run",
            "--reporter=default",
            "--reporter=json",
            &out_arg,
        ],
    ))
    .is_ok();
    let json: serde_json::Value = std::fs::read_to_string(&out_file)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let n = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Tally::from_runner(
        ok,
        n("numPassedTests"),
        n("numFailedTests"),
    ))
}

fn end_to_end(root: &Path) -> Result<Tally> {
    if !cfg!(target_os = "linux") {
        // tauri-driver has no WebDriver for WKWebView (macOS); Windows needs msedgedriver.
        eprintln!("end-to-end tests run on Linux only; skipped");
        return Ok(Tally::default());
    }
    let binary = build_app(root)?;
    // The real Control Panel on a private PostgreSQL, with the demo MSP, for the app to sign
    // in to and the tests to drive through the API.
    let cluster = Cluster::start()?;
    let control_panel = demo_control_panel(root, &cluster)?;
    let server_url = control_panel.url();

    let data_home = scratch(root, "e2e-data")?;
    let shots = scratch(root, "e2e-screenshots")?;
    let exports = scratch(root, "e2e-exports")?;
    let tap = scratch(root, "e2e-results")?.join("results.tap");

    let display = crate::run::Xvfb::start()?;
    let port = proc::free_port()?;
    let native_port = proc::free_port()?;
    let driver = setup::tauri_driver_path().context("tauri-driver is not installed")?;
    let mut driver_cmd = cmd(
        &driver.to_string_lossy(),
        &[
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ],
    );
    driver_cmd
        .env("DISPLAY", display.name())
        .env("MSPDESK_SERVER_URL", &server_url)
        .env("MSPDESK_E2E_SAVE_DIR", &exports)
        .env(
            "MSPDESK_E2E_LOGO_FILE",
            crate::workspace_root().join("tests/e2e/fixtures/logo.svg"),
        );
    let _driver = crate::run::Background::spawn(keyring_session(driver_cmd, &data_home))?;
    crate::run::wait_for_port(port, Duration::from_secs(20))?;

    let tap_arg = format!("--test-reporter-destination={}", tap.display());
    let mut node = cmd(
        "node",
        &[
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
            "--test-reporter=tap",
            &tap_arg,
        ],
    );
    node.current_dir(root.join("tests/e2e"))
        .env("TAURI_DRIVER_PORT", port.to_string())
        .env("MSPDESK_APP", &binary)
        .env("MSPDESK_DATA_HOME", &data_home)
        .env("MSPDESK_SCREENSHOTS", &shots)
        .env("MSPDESK_E2E_SERVER", &server_url)
        .env("MSPDESK_E2E_SAVE_DIR", &exports);
    let ok = proc::run(&mut node).is_ok();
    let tap = std::fs::read_to_string(&tap).unwrap_or_default();
    let count = |label: &str| {
        tap.lines()
            .find_map(|l| l.strip_prefix(label)?.trim().parse().ok())
            .unwrap_or(0)
    };
    eprintln!("screenshots: {}", shots.display());
    Ok(Tally::from_runner(ok, count("# pass "), count("# fail ")))
}

/// Debian's Chromium, which the portal test drives.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The client portal in headless Chromium (tests/portal, puppeteer-core): a real Control Panel
/// with the demo MSP on a private PostgreSQL; the test makes its own clients through the API.
fn portal(root: &Path) -> Result<Tally> {
    if !Path::new(CHROMIUM).exists() {
        if cfg!(target_os = "linux") && Path::new("/etc/debian_version").exists() {
            anyhow::bail!("{CHROMIUM} is missing: run `cargo xtask setup`");
        }
        eprintln!("the portal's browser test needs Debian's chromium; skipped");
        return Ok(Tally::default());
    }
    let cluster = Cluster::start()?;
    let control_panel = demo_control_panel(root, &cluster)?;
    let shots = target_dir(root).join("xtask").join("e2e-screenshots");
    std::fs::create_dir_all(&shots)?;
    let tap = scratch(root, "portal-results")?.join("results.tap");
    let tap_arg = format!("--test-reporter-destination={}", tap.display());
    let mut node = cmd(
        "node",
        &[
            "--test",
            "--test-concurrency=1",
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
            "--test-reporter=tap",
            &tap_arg,
        ],
    );
    node.current_dir(root.join("tests/portal"))
        .env("CHROMIUM", CHROMIUM)
        .env("MSPDESK_PORTAL_SERVER", control_panel.url())
        .env("MSPDESK_SCREENSHOTS", &shots);
    let ok = proc::run(&mut node).is_ok();
    let tap = std::fs::read_to_string(&tap).unwrap_or_default();
    let count = |label: &str| {
        tap.lines()
            .find_map(|l| l.strip_prefix(label)?.trim().parse().ok())
            .unwrap_or(0)
    };
    eprintln!("screenshots: {}", shots.display());
    Ok(Tally::from_runner(ok, count("# pass "), count("# fail ")))
}

/// The Control Panel the end-to-end and portal tests talk to: built, with the demo MSP, on
/// `cluster`, quiet but for warnings.
fn demo_control_panel(root: &Path, cluster: &Cluster) -> Result<ControlPanel> {
    ControlPanel::start(
        &ControlPanel::build(root)?,
        cluster,
        &control_panel::Options {
            data: Data::Demo,
            log: Some("warn"),
            ..control_panel::Options::default()
        },
    )
}

/// `cargo xtask bench --smoke`: every section of the benchmark harness on a handful of rows
/// (debug builds, one run each), written to target/xtask/bench-smoke/; one check per section.
fn bench_smoke(root: &Path) -> Result<Tally> {
    if !cfg!(target_os = "linux") {
        eprintln!("the benchmark harness runs on Linux only; skipped");
        return Ok(Tally::default());
    }
    let outcome = crate::bench::run(root, crate::bench::Options::smoke())?;
    Ok(Tally {
        passed: outcome.written.len() as u64,
        failed: outcome.failed.len() as u64,
    })
}

/// Wraps a command so it runs in a private D-Bus session with an unlocked gnome-keyring and its
/// own XDG_DATA_HOME: the OS keyring, for real, and nothing of the developer's own touched.
/// Where those tools are missing (not Linux) the command runs as it is.
pub fn keyring_session(inner: std::process::Command, data_home: &Path) -> std::process::Command {
    if !(cfg!(target_os = "linux")
        && proc::have("dbus-run-session")
        && proc::have("gnome-keyring-daemon"))
    {
        return inner;
    }
    let mut c = cmd(
        "dbus-run-session",
        &[
            "--",
            "sh",
            "-c",
            // The password only unlocks a throw-away keyring in data_home.
            "printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"",
            "sh",
        ],
    );
    c.arg(inner.get_program()).args(inner.get_args());
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => c.env(key, v),
            None => c.env_remove(key),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        c.current_dir(dir);
    }
    c.env("XDG_DATA_HOME", data_home);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cargo_test_results() {
        let ok =
            "ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(count_before(ok, " passed"), 12);
        assert_eq!(count_before(ok, " failed"), 0);
        let bad = "FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(count_before(bad, " passed"), 3);
        assert_eq!(count_before(bad, " failed"), 2);
    }

    #[test]
    fn finds_the_server_suite_among_cargo_artifacts() {
        let manifest = Path::new("/repo/crates/server/Cargo.toml");
        let artifact = |name: &str, kind: &str, manifest: &str| {
            serde_json::json!({
                "reason": "compiler-artifact",
                "manifest_path": manifest,
                "target": { "name": name, "kind": [kind] },
                "executable": format!("/t/debug/deps/{name}-0123"),
            })
        };
        let suite = artifact("it", "test", "/repo/crates/server/Cargo.toml");
        assert_eq!(
            suite_executable(&suite, manifest),
            Some(PathBuf::from("/t/debug/deps/it-0123"))
        );
        let desk = artifact("it", "test", "/repo/crates/desk/Cargo.toml");
        assert_eq!(suite_executable(&desk, manifest), None);
        let lib = artifact("mspdesk_server", "lib", "/repo/crates/server/Cargo.toml");
        assert_eq!(suite_executable(&lib, manifest), None);
        let finished = serde_json::json!({ "reason": "build-finished", "success": true });
        assert_eq!(suite_executable(&finished, manifest), None);
    }

    #[test]
    fn a_failed_runner_without_counts_is_one_failure() {
        let t = Tally::from_runner(false, 0, 0);
        assert_eq!((t.passed, t.failed), (0, 1));
        let t = Tally::from_runner(false, 5, 2);
        assert_eq!((t.passed, t.failed), (5, 2));
        let t = Tally::from_runner(true, 5, 0);
        assert_eq!((t.passed, t.failed), (5, 0));
    }
}
