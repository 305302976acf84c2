//! `cargo xtask run`, and the pieces it shares with `test`: building the app, a virtual display,
//! background processes that are cleaned up however we exit. (The Control Panel is started by
//! [`ControlPanel`].)

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::control_panel::{self, ControlPanel, Data};
use crate::postgres::Cluster;
use crate::proc::{self, cmd};
use crate::setup;
use crate::test::target_dir;

/// Where the demo Control Panel listens when the port is free.
const PREFERRED_SERVER_PORT: u16 = 8080;

pub fn run(root: &Path) -> Result<()> {
    setup::run(root)?;
    proc::run(cmd("npm", &["run", "build"]).current_dir(root.join("ui")))?;
    let binary = build_app(root)?;
    let server = ControlPanel::build(root)?;

    // Ctrl-C, SIGTERM or SIGHUP: this process stops the app and then everything it started
    // (the server, PostgreSQL, Xvfb are dropped on the way out), so it must outlive the app.
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = Arc::clone(&stop);
    ctrlc::set_handler(move || {
        eprintln!("\nstopping MSP Desk...");
        on_signal.store(true, Ordering::SeqCst);
    })
    .context("installing the signal handler")?;

    // The Control Panel on a local PostgreSQL kept under target/, with demo data.
    let cluster = Cluster::start_in(&target_dir(root).join("xtask").join("dev-db"))?;
    let control_panel = ControlPanel::start(
        &server,
        &cluster,
        &control_panel::Options {
            data: Data::Demo,
            preferred_port: Some(PREFERRED_SERVER_PORT),
            ..control_panel::Options::default()
        },
    )?;
    let url = control_panel.url();
    eprintln!("Control Panel: {url} (API description: {url}/api/v1/openapi.json)");

    let mut app = cmd(&binary.to_string_lossy(), &[]);
    app.env("MSPDESK_SERVER_URL", &url);
    let _display = if needs_virtual_display() {
        let display = Xvfb::start()?;
        eprintln!(
            "no display found: running MSP Desk on the virtual display {} (screenshot it with `DISPLAY={} import -window root shot.png`)",
            display.name(),
            display.name()
        );
        app.env("DISPLAY", display.name());
        Some(display)
    } else {
        None
    };
    eprintln!("starting {}", binary.display());
    let mut child = app.spawn().context("starting the app")?;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if stop.load(Ordering::SeqCst) {
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("MSP Desk exited ({status})");
    Ok(())
}

fn needs_virtual_display() -> bool {
    cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
}

/// Builds the desktop app (debug, serving the embedded ui/dist) and returns its path. The UI
/// must have been built first.
pub fn build_app(root: &Path) -> Result<PathBuf> {
    proc::run(&mut cmd(
        "cargo",
        &["build", "--package", "msp-desk", "--bin", "msp-desk"],
    ))?;
    let exe = if cfg!(windows) {
        "msp-desk.exe"
    } else {
        "msp-desk"
    };
    let path = target_dir(root).join("debug").join(exe);
    if !path.is_file() {
        bail!("the build finished but {} is missing", path.display());
    }
    Ok(path)
}

/// A process (and everything it starts) that runs in its own process group and is terminated
/// when this value is dropped.
#[derive(Debug)]
pub struct Background {
    child: Child,
}

impl Background {
    pub fn spawn(mut c: Command) -> Result<Self> {
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut c, 0);
        let child = c
            .spawn()
            .with_context(|| format!("starting {}", c.get_program().to_string_lossy()))?;
        Ok(Self { child })
    }

    /// The process id (of the group's leader).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its standard output, when it was piped (once).
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        if cfg!(unix) && proc::succeeds(&mut cmd("kill", &["-TERM", "--", &group])) {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    // The leader is gone; make sure its children are too.
                    let _ = proc::succeeds(&mut cmd("kill", &["-KILL", "--", &group]));
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = proc::succeeds(&mut cmd("kill", &["-KILL", "--", &group]));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A virtual X display for running the app without a screen.
#[derive(Debug)]
pub struct Xvfb {
    number: u32,
    _process: Background,
}

impl Xvfb {
    pub fn start() -> Result<Self> {
        let number = (90..400)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .context("no free X display number")?;
        let process = Background::spawn(cmd(
            "Xvfb",
            &[
                &format!(":{number}"),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ],
        ))?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        while !socket.exists() {
            if Instant::now() > deadline {
                bail!("Xvfb :{number} did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            number,
            _process: process,
        })
    }

    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

/// Waits until something listens on 127.0.0.1:`port`.
pub fn wait_for_port(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!(
                "nothing listens on port {port} after {} s",
                timeout.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}
