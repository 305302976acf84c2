//! The desktop section: the app (release build) under Xvfb, with its benchmark hook on
//! (`MSPDESK_BENCH`, see `src-tauri/src/commands/bench.rs` and `ui/src/bench.ts`), so the
//! webview reports its own paints and keystroke delays.
//!
//! - Cold start: from the exec of the app's process to the UI's first painted frame (the app
//!   not running; the file cache warm). Signed out (the sign-in screen) and signed in with
//!   10,000 synced clients (also: to the list painted with its rows).
//! - Idle memory of the app's process tree (the app and its WebKit processes), PSS and RSS
//!   from `/proc/PID/smaps_rollup`, beside Chromium `--app` showing the same built UI on the
//!   same screen (the engine an Electron app would bring).
//! - Keystrokes typed with xdotool into the client search (10,000 clients): time to the next
//!   painted frame, and to the frame with the filtered list, measured in the webview.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use super::reports::CHROMIUM;
use super::stats::{ratio, verdict, Runs, Unit};
use super::ui_server::UiServer;
use super::{drive, wrap, Env, PASSWORD};
use crate::proc::{self, cmd};
use crate::run::{Background, Xvfb};
use crate::test::keyring_session;

const EMAIL: &str = "desk@desk-msp.example";
/// The app's identifier: its data folder's name under XDG_DATA_HOME.
const APP_ID: &str = "io.mspdesk.desktop";
/// What the keystroke test types into the client search, then deletes again.
const TYPED: &str = "client 12";

pub fn measure(env: &Env, machine: &str) -> Result<String> {
    for program in ["xdotool", "Xvfb"] {
        if !proc::have(program) {
            bail!("{program} is missing: run `cargo xtask setup`");
        }
    }
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: run `cargo xtask setup`");
    }
    let app = build_app(env)?;
    let work = env.scratch("desktop")?;
    let runs = env.opts.runs;
    let idle = Duration::from_secs(if env.opts.smoke { 1 } else { 5 });
    let cp = &env.control_panel;
    cp.create_admin(EMAIL, PASSWORD, "Desk MSP")?;
    drive(
        cmd(
            &env.bins.bench_setup.to_string_lossy(),
            &[
                "clients",
                &cp.url(),
                EMAIL,
                &env.opts.desktop_clients.to_string(),
            ],
        ),
        PASSWORD,
    )?;
    let signed_in = work.join("signed-in");
    sign_in_and_sync(env, &signed_in)?;
    let signed_out = work.join("signed-out");
    std::fs::create_dir_all(&signed_out)?;
    let display = Xvfb::start()?;
    let display = display.name();

    // One unmeasured start of each first (warm file cache, created data folders).
    let fresh = |measure_keys: bool, home: &Path, list: bool| {
        launch_app(
            &app,
            home,
            &display,
            Wait {
                list,
                idle,
                keys: measure_keys,
            },
        )
    };
    for _ in 0..env.warmups() {
        fresh(false, &signed_out, false)?;
    }
    let out_runs = (0..runs)
        .map(|_| fresh(false, &signed_out, false))
        .collect::<Result<Vec<_>>>()?;
    for _ in 0..env.warmups() {
        fresh(false, &signed_in, true)?;
    }
    let mut in_runs = (0..runs.saturating_sub(1))
        .map(|_| fresh(false, &signed_in, true))
        .collect::<Result<Vec<_>>>()?;
    in_runs.push(fresh(true, &signed_in, true)?);

    let server = UiServer::start(&env.root.join("ui").join("dist"))?;
    let profile = work.join("chromium-profile");
    for _ in 0..env.warmups() {
        launch_chromium(&server, &profile, &display, idle)?;
    }
    let chrome_runs = (0..runs)
        .map(|_| launch_chromium(&server, &profile, &display, idle))
        .collect::<Result<Vec<_>>>()?;

    let keys = in_runs
        .last()
        .map(|r| (r.keystrokes.clone(), r.results.clone()))
        .unwrap_or_default();
    let figures = Figures {
        clients: env.opts.desktop_clients,
        out_paint: Runs::new(out_runs.iter().map(|r| r.first_paint_ms).collect())?,
        out_pss: Runs::new(out_runs.iter().map(|r| r.memory.pss_kb).collect())?,
        out_rss: Runs::new(out_runs.iter().map(|r| r.memory.rss_kb).collect())?,
        processes: out_runs.last().map_or(0, |r| r.memory.processes),
        in_paint: Runs::new(in_runs.iter().map(|r| r.first_paint_ms).collect())?,
        in_list: Runs::new(in_runs.iter().filter_map(|r| r.list_ms).collect())?,
        in_pss: Runs::new(in_runs.iter().map(|r| r.memory.pss_kb).collect())?,
        in_rss: Runs::new(in_runs.iter().map(|r| r.memory.rss_kb).collect())?,
        chrome_paint: Runs::new(chrome_runs.iter().map(|r| r.first_paint_ms).collect())?,
        chrome_pss: Runs::new(chrome_runs.iter().map(|r| r.memory.pss_kb).collect())?,
        chrome_rss: Runs::new(chrome_runs.iter().map(|r| r.memory.rss_kb).collect())?,
        chrome_processes: chrome_runs.last().map_or(0, |r| r.memory.processes),
        keystroke: Runs::new(keys.0).context("no keystroke reached the webview")?,
        results: Runs::new(keys.1).context("no search result was painted")?,
        profile: env.profile(),
    };
    Ok(render(&figures, runs, idle, machine))
}

/// Builds the UI and the app (release; debug for a smoke run, which `cargo xtask test` built
/// already) and returns the app's path.
fn build_app(env: &Env) -> Result<PathBuf> {
    if !env.opts.smoke {
        proc::run(cmd("npm", &["run", "build"]).current_dir(env.root.join("ui")))?;
    }
    let mut args = vec!["build", "-p", "msp-desk", "--bin", "msp-desk"];
    if !env.opts.smoke {
        args.push("--release");
    }
    proc::run(&mut cmd("cargo", &args))?;
    Ok(crate::test::target_dir(&env.root)
        .join(env.profile())
        .join(format!("msp-desk{}", std::env::consts::EXE_SUFFIX)))
}

/// Signs `mspdesk` in to the desk MSP and syncs, in the data folder the app uses under `home`
/// (as XDG_DATA_HOME), with the token in that home's keyring.
fn sign_in_and_sync(env: &Env, home: &Path) -> Result<()> {
    let data_dir = home.join(APP_ID);
    let mspdesk = env.bins.mspdesk.to_string_lossy();
    let mut login = cmd(
        &mspdesk,
        &[
            "login",
            "--server",
            &env.control_panel.url(),
            "--email",
            EMAIL,
        ],
    );
    login.arg("--data-dir").arg(&data_dir);
    let mut login = keyring_session(login, home);
    login.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut child = login.spawn().context("mspdesk login")?;
    std::io::Write::write_all(
        &mut child.stdin.take().context("stdin")?,
        PASSWORD.as_bytes(),
    )?;
    if !child.wait()?.success() {
        bail!("mspdesk login failed");
    }
    let mut sync = cmd(&mspdesk, &["sync"]);
    sync.arg("--data-dir").arg(&data_dir);
    proc::run(&mut keyring_session(sync, home))
}

/// Memory of a process tree, summed.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    pss_kb: f64,
    rss_kb: f64,
    processes: usize,
}

/// What one start measured.
#[derive(Debug, Clone, Default)]
struct Start {
    first_paint_ms: f64,
    list_ms: Option<f64>,
    memory: Memory,
    keystrokes: Vec<f64>,
    results: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Wait {
    /// Wait for the client list with rows (signed in).
    list: bool,
    /// Idle time before memory is read.
    idle: Duration,
    /// Type into the search and collect the keystroke marks.
    keys: bool,
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Starts the app under the display with the hook on, waits for its marks, reads its memory,
/// types if asked, and stops it.
fn launch_app(app: &Path, home: &Path, display: &str, wait: Wait) -> Result<Start> {
    // The shell prints the Unix time in ms just before it becomes the app (same process).
    let mut inner = cmd(
        "sh",
        &[
            "-c",
            "echo \"mspdesk-bench exec $(date +%s%3N)\"; exec \"$0\" \"$@\"",
        ],
    );
    inner
        .arg(app)
        .env("DISPLAY", display)
        .env("MSPDESK_BENCH", "1")
        // As README advises a user without a GPU (this machine has none).
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("RUST_LOG", "warn");
    let mut c = keyring_session(inner, home);
    c.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut process = Background::spawn(c)?;
    let marks = lines(process.take_stdout().context("no stdout")?);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen: HashMap<String, f64> = HashMap::new();
    let wanted: &[&str] = if wait.list {
        &["exec", "first-paint", "list-painted"]
    } else {
        &["exec", "first-paint"]
    };
    while !wanted.iter().all(|w| seen.contains_key(*w)) {
        let (name, value) = next_mark(&marks, deadline)?;
        seen.entry(name).or_insert(value);
    }
    let exec = seen["exec"];
    let mut start = Start {
        first_paint_ms: seen["first-paint"] - exec,
        list_ms: seen.get("list-painted").map(|t| t - exec),
        ..Start::default()
    };
    std::thread::sleep(wait.idle);
    let app_pid = descendants(process.id())
        .into_iter()
        .find(|p| comm(*p).as_deref() == Some("msp-desk"))
        .context("the app's process is not running")?;
    start.memory = memory(app_pid);
    if wait.keys {
        let (keys, results) = type_keys(display, &marks)?;
        start.keystrokes = keys;
        start.results = results;
    }
    eprintln!(
        "app: first paint {:.0} ms{}, PSS {:.0} MB, RSS {:.0} MB in {} processes",
        start.first_paint_ms,
        start
            .list_ms
            .map(|l| format!(", list painted {l:.0} ms"))
            .unwrap_or_default(),
        start.memory.pss_kb / 1024.0,
        start.memory.rss_kb / 1024.0,
        start.memory.processes
    );
    drop(process);
    Ok(start)
}

/// Types [`TYPED`] into the focused search box, then deletes it, one key at a time; returns the
/// webview's keystroke-to-next-frame and keystroke-to-filtered-list delays in ms.
fn type_keys(display: &str, marks: &Receiver<String>) -> Result<(Vec<f64>, Vec<f64>)> {
    let xdotool = |args: &[&str]| {
        proc::output(cmd("xdotool", args).env("DISPLAY", display))
            .with_context(|| format!("xdotool {}", args.join(" ")))
    };
    let window = xdotool(&["search", "--sync", "--onlyvisible", "--name", "MSP Desk"])?;
    let window = window.lines().next().context("no app window")?.to_owned();
    // No window manager on Xvfb: give the window the keyboard focus directly.
    xdotool(&["windowfocus", "--sync", &window])?;
    let mut keys: Vec<String> = TYPED
        .chars()
        .map(|c| {
            if c == ' ' {
                "space".to_owned()
            } else {
                c.to_string()
            }
        })
        .collect();
    keys.extend(std::iter::repeat_n("BackSpace".to_owned(), TYPED.len()));
    let (mut typed, mut results) = (Vec::new(), Vec::new());
    for key in &keys {
        xdotool(&["key", key])?;
        // Each keystroke's marks arrive before the next key is pressed.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got_key = false;
        let mut got_result = false;
        while !(got_key && got_result) {
            match next_mark(marks, deadline) {
                Ok((name, v)) if name == "keystroke" => {
                    typed.push(v);
                    got_key = true;
                }
                Ok((name, v)) if name == "search-results" => {
                    results.push(v);
                    got_result = true;
                }
                Ok(_) => {}
                // Some keys change no result (a space the search trims away).
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    eprintln!(
        "keystrokes: {} next-frame marks, {} filtered-list marks",
        typed.len(),
        results.len()
    );
    Ok((typed, results))
}

/// Chromium `--app` on the built UI: first paint (from spawn) and memory after idling.
fn launch_chromium(
    server: &UiServer,
    profile: &Path,
    display: &str,
    idle: Duration,
) -> Result<Start> {
    while server.marks.try_recv().is_ok() {}
    let mut c = cmd(
        CHROMIUM,
        &[
            // We run as root here; Chromium refuses to start its sandbox as root.
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--password-store=basic",
            "--window-size=1200,800",
        ],
    );
    c.arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--app=http://127.0.0.1:{}/", server.port))
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let spawned = now_ms();
    let process = Background::spawn(c)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let paint = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mark = server
            .marks
            .recv_timeout(left)
            .context("Chromium reported no first paint")?;
        if mark.name == "first-paint" {
            break mark.value;
        }
    };
    std::thread::sleep(idle);
    let start = Start {
        first_paint_ms: paint - spawned,
        memory: memory(process.id()),
        ..Start::default()
    };
    eprintln!(
        "chromium: first paint {:.0} ms, PSS {:.0} MB, RSS {:.0} MB in {} processes",
        start.first_paint_ms,
        start.memory.pss_kb / 1024.0,
        start.memory.rss_kb / 1024.0,
        start.memory.processes
    );
    drop(process);
    Ok(start)
}

/// The lines a child prints, through a channel (read on a thread).
fn lines(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// The next `mspdesk-bench NAME VALUE` line before `deadline`.
fn next_mark(lines: &Receiver<String>, deadline: Instant) -> Result<(String, f64)> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .context("the app reported no benchmark mark in time")?;
        if let Some(mark) = parse_mark(&line) {
            return Ok(mark);
        }
    }
}

fn parse_mark(line: &str) -> Option<(String, f64)> {
    let mut parts = line.strip_prefix("mspdesk-bench ")?.split_whitespace();
    let name = parts.next()?.to_owned();
    let value = parts.next()?.parse().ok()?;
    Some((name, value))
}

/// The process's name (`/proc/PID/comm`).
fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// `root` and every process below it.
fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(ppid) = parent(pid) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids);
        }
        i += 1;
    }
    out
}

/// The parent's pid, from `/proc/PID/stat` (the field after the name, which may hold spaces
/// and parentheses, so it is found after the last `)`).
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// PSS and RSS of `root` and its descendants, summed from `/proc/PID/smaps_rollup` (kB).
fn memory(root: u32) -> Memory {
    let mut m = Memory::default();
    for pid in descendants(root) {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        let (pss, rss) = rollup(&text);
        m.pss_kb += pss;
        m.rss_kb += rss;
        m.processes += 1;
    }
    m
}

/// (Pss, Rss) in kB from one smaps_rollup.
fn rollup(text: &str) -> (f64, f64) {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (field("Pss:"), field("Rss:"))
}

#[derive(Debug)]
struct Figures {
    clients: usize,
    out_paint: Runs,
    out_pss: Runs,
    out_rss: Runs,
    processes: usize,
    in_paint: Runs,
    in_list: Runs,
    in_pss: Runs,
    in_rss: Runs,
    chrome_paint: Runs,
    chrome_pss: Runs,
    chrome_rss: Runs,
    chrome_processes: usize,
    keystroke: Runs,
    results: Runs,
    profile: &'static str,
}

fn render(f: &Figures, runs: usize, idle: Duration, machine: &str) -> String {
    let mb = |r: &Runs| r.map(|kb| kb * 1024.0).show(Unit::Bytes);
    let pss_share = f.out_pss.median() / f.chrome_pss.median();
    let rss_share = f.out_rss.median() / f.chrome_rss.median();
    let mut out = format!(
        "## Desktop app: start, memory, typing ({} build, Xvfb 1280x800)\n\n\
         Command: `cargo xtask bench --only desktop`. The app runs with `MSPDESK_BENCH=1`, so the \
         webview reports its own paints and keystroke delays (`ui/src/bench.ts`; a paint is \
         taken when a task queued from the next animation frame runs, i.e. after that frame is \
         rendered). Cold start: from the exec of the app's process to its first painted frame, \
         the app not running before, the file cache warm; {runs} starts each after one \
         unmeasured start. Memory: PSS and RSS summed over the process tree from \
         `/proc/PID/smaps_rollup`, {idle} s after the first paint. Reference: Debian's \
         `chromium --app` on the same built UI (`ui/dist` served on loopback, a stand-in for \
         the IPC answering \"not signed in\"), the engine an Electron app would bring, on the \
         same sign-in screen; its start is timed from spawn. Keystrokes: xdotool types \
         \"{TYPED}\" into the client search and deletes it, one key at a time. Machine: \
         {machine}.\n\n\
         | what | median (min – max) | target | reference | vs reference | met |\n\
         |---|---|---|---|---|---|\n",
        f.profile,
        idle = idle.as_secs(),
    );
    out.push_str(&format!(
        "| cold start to first paint, signed out (sign-in screen) | {} | — | Chromium `--app`, same UI: {} | {} | |\n",
        f.out_paint.show(Unit::Millis),
        f.chrome_paint.show(Unit::Millis),
        ratio(f.chrome_paint.median() / f.out_paint.median()),
    ));
    out.push_str(&format!(
        "| cold start to first paint, signed in with {} clients | {} | — | | | |\n",
        super::stats::thousands(f.clients as f64),
        f.in_paint.show(Unit::Millis),
    ));
    out.push_str(&format!(
        "| cold start to the client list painted with its rows ({} clients) | {} | — | | | |\n",
        super::stats::thousands(f.clients as f64),
        f.in_list.show(Unit::Millis),
    ));
    out.push_str(&format!(
        "| idle memory, PSS, sign-in screen ({} processes; Chromium {}) | {} | ≤ half of Chromium's | Chromium `--app`: {} | {} of it | {} |\n",
        f.processes,
        f.chrome_processes,
        mb(&f.out_pss),
        mb(&f.chrome_pss),
        ratio(pss_share),
        verdict(pss_share <= 0.5),
    ));
    out.push_str(&format!(
        "| idle memory, RSS, sign-in screen | {} | ≤ half of Chromium's | Chromium `--app`: {} | {} of it | {} |\n",
        mb(&f.out_rss),
        mb(&f.chrome_rss),
        ratio(rss_share),
        verdict(rss_share <= 0.5),
    ));
    out.push_str(&format!(
        "| idle memory with {} clients listed, PSS / RSS | {} / {} | — | | | |\n",
        super::stats::thousands(f.clients as f64),
        mb(&f.in_pss),
        mb(&f.in_rss),
    ));
    out.push_str(&format!(
        "| keystroke in the client search to the next painted frame ({} clients; {} keystrokes) | {} | ≤ 16 ms | | | {} |\n",
        super::stats::thousands(f.clients as f64),
        f.keystroke.len(),
        f.keystroke.show(Unit::Millis),
        verdict(f.keystroke.median() <= 16.0),
    ));
    out.push_str(&format!(
        "| keystroke to the frame with the filtered list | {} | — | | | |\n",
        f.results.show(Unit::Millis),
    ));
    wrap("desktop", &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_rollups_and_parents_parse() {
        assert_eq!(
            parse_mark("mspdesk-bench first-paint 1764380000123.457"),
            Some(("first-paint".to_owned(), 1_764_380_000_123.457))
        );
        assert_eq!(parse_mark("INFO something else"), None);
        let text = "00400000-7ffd [rollup]\nRss:              123456 kB\nPss:               65432 kB\nPss_Anon:  1 kB\n";
        assert_eq!(rollup(text), (65432.0, 123_456.0));
        let me = std::process::id();
        assert!(parent(me).is_some());
        assert!(descendants(parent(me).unwrap()).contains(&me));
    }
}
