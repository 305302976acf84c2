//! The sync section: the driver (`crates/cli/examples/sync_bench.rs`) seeds the bench MSP
//! through the API (1,000 clients x 20 instances unless told otherwise) and times `mspdesk sync`
//! as a user runs it: the first sync, a sync with nothing changed, a sync after one change.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::stats::{thousands, verdict, Runs, Unit};
use super::{drive, wrap, Env, EMAIL, PASSWORD};
use crate::proc::cmd;
use crate::test::keyring_session;

/// Seeds, measures, and returns the section and the store of the last first sync (the
/// reports section reads it).
pub fn measure(env: &Env, machine: &str) -> Result<(String, PathBuf)> {
    env.control_panel
        .create_admin(EMAIL, PASSWORD, "Bench MSP")?;
    let work = env.scratch("sync")?;
    let o = &env.opts;
    let driver = cmd(
        &env.bins.sync_bench.to_string_lossy(),
        &[
            &env.control_panel.url(),
            EMAIL,
            &env.bins.mspdesk.to_string_lossy(),
            &work.to_string_lossy(),
            &o.clients.to_string(),
            &o.instances.to_string(),
            &o.runs.to_string(),
        ],
    );
    let figures = drive(keyring_session(driver, &work.join("home")), PASSWORD)?;
    let data_dir = PathBuf::from(
        figures["data_dir"]
            .as_str()
            .context("the sync driver named no data folder")?,
    );
    Ok((
        render(&figures, o.clients, o.instances, o.runs, machine)?,
        data_dir,
    ))
}

/// (what, key, target in seconds, target as written, the figure before the change feed)
const ROWS: [(&str, &str, f64, &str, &str); 3] = [
    (
        "first sync after signing in (`mspdesk sync`)",
        "first_sync_s",
        3.0,
        "≤ 3 s",
        "49.8 s",
    ),
    (
        "sync with nothing changed",
        "no_change_sync_s",
        0.1,
        "≤ 100 ms",
        "11.6 s",
    ),
    (
        "sync after one change",
        "one_change_sync_s",
        0.1,
        "≤ 100 ms + the change",
        "—",
    ),
];

fn render(
    v: &serde_json::Value,
    clients: usize,
    instances: usize,
    runs: usize,
    machine: &str,
) -> Result<String> {
    let mut out = format!(
        "## Sync at MSP scale: {clients} clients × {instances} instances\n\n\
         Command: `cargo xtask bench --only sync` (release builds; the Control Panel and a private \
         PostgreSQL on this machine, seeded through the API by `crates/cli/examples/sync_bench.rs`; \
         `mspdesk sync` timed from process start to exit, {runs} runs each). Machine: {machine}.\n\n\
         | what | median (min – max) | target | reference: before the change feed | met |\n\
         |---|---|---|---|---|\n",
        clients = thousands(clients as f64),
    );
    for (what, key, target, target_text, before) in ROWS {
        let runs = Runs::from_json(v, key)?;
        out.push_str(&format!(
            "| {what} | {} | {target_text} | {before} | {} |\n",
            runs.show(Unit::Seconds),
            verdict(runs.median() <= target)
        ));
    }
    Ok(wrap("sync", &out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_medians_spreads_and_verdicts() {
        let v = serde_json::json!({
            "first_sync_s": [2.0, 1.0, 3.0, 1.5, 2.5],
            "no_change_sync_s": [0.02, 0.01, 0.03, 0.015, 0.025],
            "one_change_sync_s": [0.4, 0.5, 0.3, 0.45, 0.35],
        });
        let s = render(&v, 1000, 20, 5, "2 cores").unwrap();
        assert!(
            s.contains(
                "| first sync after signing in (`mspdesk sync`) | 2.00 s (1.00 s – 3.00 s) | ≤ 3 s | 49.8 s | ✓ |"
            ),
            "{s}"
        );
        assert!(
            s.contains("| sync with nothing changed | 20.0 ms (10.0 ms – 30.0 ms) | ≤ 100 ms | 11.6 s | ✓ |"),
            "{s}"
        );
        assert!(
            s.contains("| sync after one change | 400 ms (300 ms – 500 ms) |"),
            "{s}"
        );
        assert!(s.contains("✗ missed"), "{s}");
        assert!(
            s.starts_with("<!-- sync-bench:start -->") && s.ends_with("<!-- sync-bench:end -->")
        );
    }
}
