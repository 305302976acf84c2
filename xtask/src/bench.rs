//! `cargo xtask bench`: the sync benchmark. A private PostgreSQL and a release Control Panel
//! are seeded through the API (1,000 clients x 20 instances unless told otherwise); the
//! release `mspdesk` is timed as a user runs it (first sync, no-change sync, one-change sync,
//! each the median of 5 runs); the figures replace the sync section of BENCHMARKS.md.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::run::{wait_for_port, Background};
use crate::test::{keyring_session, target_dir};

const START: &str = "<!-- sync-bench:start -->";
const END: &str = "<!-- sync-bench:end -->";
const EMAIL: &str = "bench@bench-msp.example";
const PASSWORD: &str = "bench password 2026";

/// What to seed and how often to measure.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub clients: usize,
    pub instances: usize,
    pub runs: usize,
}

pub fn run(root: &Path, size: Size, write: bool) -> Result<()> {
    crate::setup::run(root)?;
    proc::run(&mut cmd(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "mspdesk-server",
            "-p",
            "mspdesk-cli",
            "--bins",
            "--example",
            "sync_bench",
        ],
    ))?;
    let release = target_dir(root).join("release");
    let server = release.join("control-panel");
    let mspdesk = release.join("mspdesk");
    let driver = release.join("examples").join("sync_bench");

    let cluster = Cluster::start()?;
    let url = cluster.url();
    proc::run(cmd(&server.to_string_lossy(), &["migrate"]).env("DATABASE_URL", &url))?;
    let mut admin = cmd(
        &server.to_string_lossy(),
        &[
            "create-admin",
            "--email",
            EMAIL,
            "--password-stdin",
            "--msp-name",
            "Bench MSP",
        ],
    );
    admin.env("DATABASE_URL", &url).stdin(Stdio::piped());
    let mut child = admin.spawn().context("create-admin")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(PASSWORD.as_bytes())?;
    if !child.wait()?.success() {
        bail!("create-admin failed");
    }
    let port = proc::free_port()?;
    let mut serve = cmd(&server.to_string_lossy(), &["serve"]);
    serve
        .env("DATABASE_URL", &url)
        .env("CONTROL_PANEL_ADDR", format!("127.0.0.1:{port}"))
        .env("CONTROL_PANEL_POOL_SIZE", "20")
        .env("RUST_LOG", "warn");
    let _server = Background::spawn(serve)?;
    wait_for_port(port, Duration::from_secs(30))?;

    let work = target_dir(root).join("xtask").join("bench");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let bench = cmd(
        &driver.to_string_lossy(),
        &[
            &format!("http://127.0.0.1:{port}"),
            EMAIL,
            &mspdesk.to_string_lossy(),
            &work.to_string_lossy(),
            &size.clients.to_string(),
            &size.instances.to_string(),
            &size.runs.to_string(),
        ],
    );
    let mut bench = keyring_session(bench, &work.join("home"));
    bench.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = bench.spawn().context("starting the benchmark driver")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(PASSWORD.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("the benchmark driver failed");
    }
    let figures: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading the driver's figures")?;
    let section = render(&figures, size)?;
    println!("{section}");
    if write {
        write_section(&root.join("BENCHMARKS.md"), &section)?;
        eprintln!("BENCHMARKS.md updated");
    }
    Ok(())
}

fn seconds(v: &serde_json::Value, key: &str) -> Result<Vec<f64>> {
    let mut xs: Vec<f64> = v[key]
        .as_array()
        .with_context(|| format!("{key} missing"))?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        bail!("{key}: no runs");
    }
    Ok(xs)
}

fn median(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn ms(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

fn render(v: &serde_json::Value, size: Size) -> Result<String> {
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        proc::output(&mut cmd("sh", &["-c", "free -h | awk '/Mem:/ {print $2}'"])).map_or_else(
            || "unknown memory".to_owned(),
            |m| format!("{} memory", m.trim())
        )
    );
    let rows = [
        (
            "first sync after signing in (`mspdesk sync`)",
            "first_sync_s",
            "≤ 3 s",
            "49.8 s",
        ),
        (
            "sync with nothing changed",
            "no_change_sync_s",
            "≤ 100 ms",
            "11.6 s",
        ),
        (
            "sync after one change",
            "one_change_sync_s",
            "≤ 100 ms + the change",
            "—",
        ),
    ];
    let mut out = format!(
        "{START}\n## Sync at MSP scale: {} clients × {} instances\n\nCommand: `cargo xtask bench` (release builds; the Control Panel and a private PostgreSQL on this machine, seeded through the API; `mspdesk sync` timed from process start to exit, {} runs each). Machine: {machine}.\n\n| what | median | spread (min – max) | target | before the change feed |\n|---|---|---|---|---|\n",
        size.clients, size.instances, size.runs
    );
    for (what, key, target, before) in rows {
        let xs = seconds(v, key)?;
        out.push_str(&format!(
            "| {what} | {} | {} – {} | {target} | {before} |\n",
            ms(median(&xs)),
            ms(xs[0]),
            ms(xs[xs.len() - 1])
        ));
    }
    out.push_str(END);
    Ok(out)
}

/// Replaces the marked section of BENCHMARKS.md (or appends it).
fn write_section(path: &Path, section: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (text.find(START), text.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &text[..a], &text[b + END.len()..]),
        _ => format!("{}\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_medians_and_spreads() {
        let v = serde_json::json!({
            "first_sync_s": [2.0, 1.0, 3.0, 1.5, 2.5],
            "no_change_sync_s": [0.02, 0.01, 0.03, 0.015, 0.025],
            "one_change_sync_s": [0.04, 0.05, 0.03, 0.045, 0.035],
        });
        let s = render(
            &v,
            Size {
                clients: 1000,
                instances: 20,
                runs: 5,
            },
        )
        .unwrap();
        assert!(
            s.contains(
                "| first sync after signing in (`mspdesk sync`) | 2.00 s | 1.00 s – 3.00 s |"
            ),
            "{s}"
        );
        assert!(
            s.contains("| sync with nothing changed | 20 ms | 10 ms – 30 ms |"),
            "{s}"
        );
        assert!(s.starts_with(START) && s.ends_with(END));
    }

    #[test]
    fn replaces_only_its_own_section() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("BENCHMARKS.md");
        std::fs::write(
            &path,
            format!("# B\n\nkeep\n\n{START}\nold\n{END}\n\ntail\n"),
        )
        .unwrap();
        write_section(&path, &format!("{START}\nnew\n{END}")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("# B\n\nkeep\n\n{START}\nnew\n{END}\n\ntail\n")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
