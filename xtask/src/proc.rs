//! Small helpers around `std::process::Command`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// A command with arguments, ready to run.
///
/// Without the `CARGO_MANIFEST_DIR` that `cargo xtask` (cargo run) put in our environment: a
/// build script that watches it (ring's does) would otherwise see it change between a build
/// started here and one started from a shell (or another worktree's xtask), and rebuild ring
/// and everything above it in the shared target folder.
pub fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).env_remove("CARGO_MANIFEST_DIR");
    c
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command with inherited output; an error if it cannot start or exits non-zero.
pub fn run(c: &mut Command) -> Result<()> {
    let what = describe(c);
    eprintln!("$ {what}");
    let status = c
        .status()
        .with_context(|| format!("could not start `{what}`"))?;
    if !status.success() {
        bail!("`{what}` failed ({status})");
    }
    Ok(())
}

/// Runs a command quietly and says whether it succeeded (false if it cannot start).
pub fn succeeds(c: &mut Command) -> bool {
    c.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command quietly and returns its standard output, or `None` if it failed.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a command, echoing its standard output line by line while keeping a copy, so a caller
/// can both show progress and read the results. Returns (succeeded, captured stdout).
pub fn run_teed(c: &mut Command) -> Result<(bool, String)> {
    let what = describe(c);
    eprintln!("$ {what}");
    let mut child = c
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{what}`"))?;
    let mut captured = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap_or_default();
            println!("{line}");
            captured.push_str(&line);
            captured.push('\n');
        }
    }
    let status = child.wait()?;
    Ok((status.success(), captured))
}

/// Is a program on PATH?
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            let p = dir.join(program);
            p.is_file() || p.with_extension("exe").is_file()
        })
    })
}

/// Are we root (uid 0)? Only meaningful on Unix; false elsewhere.
pub fn is_root() -> bool {
    cfg!(unix) && output(&mut cmd("id", &["-u"])).is_some_and(|s| s.trim() == "0")
}

/// A TCP port on the loopback interface that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
