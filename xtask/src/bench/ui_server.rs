//! The built UI (`ui/dist`) served on loopback for Chromium `--app`, the engine an Electron app
//! would bring: the same files the app embeds, plus a stand-in for Tauri's IPC that answers
//! "not signed in" (so the UI shows its sign-in screen, as the fresh app does) and turns the
//! UI's benchmark marks into requests to `/mark`, which arrive here as [`Mark`]s.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Duration;

use anyhow::Result;

/// The stand-in for `window.__TAURI_INTERNALS__`, put before the UI's own script.
const SHIM: &str = r#"<script>
window.__MSPDESK_BENCH__ = true;
window.__TAURI_INTERNALS__ = {
  invoke: async (cmd, args) => {
    if (cmd === "bench_mark") {
      fetch("/mark?name=" + encodeURIComponent(args.name) + "&value=" + args.value);
      return null;
    }
    if (cmd === "session") return null;
    if (cmd === "default_server") return "http://127.0.0.1:8080";
    throw { code: "offline", message: "There is no app behind this page." };
  },
  transformCallback: (callback) => {
    const id = Math.floor(Math.random() * 1e9);
    window["_" + id] = callback;
    return id;
  },
  metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
  convertFileSrc: (path) => path,
};
</script>
"#;

/// A benchmark mark the page sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub name: String,
    pub value: f64,
}

/// The server; it lives as long as the process (the benchmark is short).
#[derive(Debug)]
pub struct UiServer {
    pub port: u16,
    pub marks: Receiver<Mark>,
}

impl UiServer {
    pub fn start(dist: &Path) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let (tx, rx) = channel();
        let dist = dist.to_path_buf();
        std::thread::spawn(move || {
            // A thread per connection: Chromium opens sockets ahead of its requests
            // (preconnect), and one that never sends must not hold up the others.
            for stream in listener.incoming().flatten() {
                let (dist, tx) = (dist.clone(), tx.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = answer(stream, &dist, &tx);
                });
            }
        });
        Ok(Self { port, marks: rx })
    }
}

fn answer(mut stream: TcpStream, dist: &Path, marks: &Sender<Mark>) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The rest of the head: read and ignore.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/mark" {
        if let Some(mark) = parse_mark(query) {
            let _ = marks.send(mark);
        }
        return reply(&mut stream, "204 No Content", "text/plain", b"");
    }
    match file_for(dist, path) {
        Some((file, type_)) => {
            let mut body = std::fs::read(&file)?;
            if type_.starts_with("text/html") {
                body = with_shim(&String::from_utf8_lossy(&body)).into_bytes();
            }
            reply(&mut stream, "200 OK", type_, &body)
        }
        None => reply(&mut stream, "404 Not Found", "text/plain", b"not found"),
    }
}

fn reply(stream: &mut TcpStream, status: &str, type_: &str, body: &[u8]) -> Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {type_}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    Ok(())
}

/// The file under `dist` for a request path (`/` is index.html; nothing outside `dist`).
fn file_for(dist: &Path, path: &str) -> Option<(PathBuf, &'static str)> {
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    if rel.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let file = dist.join(rel);
    let type_ = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    file.is_file().then_some((file, type_))
}

fn with_shim(html: &str) -> String {
    match html.find("<script") {
        Some(at) => format!("{}{SHIM}{}", &html[..at], &html[at..]),
        None => html.replace("</head>", &format!("{SHIM}</head>")),
    }
}

fn parse_mark(query: &str) -> Option<Mark> {
    let mut name = None;
    let mut value = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("name", v)) => name = Some(v.to_owned()),
            Some(("value", v)) => value = v.parse().ok(),
            _ => {}
        }
    }
    Some(Mark {
        name: name?,
        value: value?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_comes_before_the_ui_script() {
        let html = "<head><script type=\"module\" src=\"/assets/index.js\"></script></head>";
        let out = with_shim(html);
        let shim = out.find("__TAURI_INTERNALS__").unwrap();
        assert!(shim < out.find("/assets/index.js").unwrap());
    }

    #[test]
    fn paths_stay_inside_dist_and_marks_parse() {
        let dist = std::env::temp_dir().join(format!("xtask-ui-{}", std::process::id()));
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(dist.join("index.html"), "x").unwrap();
        std::fs::write(dist.join("assets/a.js"), "x").unwrap();
        assert_eq!(file_for(&dist, "/").unwrap().1, "text/html; charset=utf-8");
        assert_eq!(
            file_for(&dist, "/assets/a.js").unwrap().1,
            "text/javascript"
        );
        assert!(file_for(&dist, "/../etc/passwd").is_none());
        assert!(file_for(&dist, "/assets/missing.js").is_none());
        std::fs::remove_dir_all(&dist).unwrap();
        assert_eq!(
            parse_mark("name=first-paint&value=12.5"),
            Some(Mark {
                name: "first-paint".into(),
                value: 12.5
            })
        );
        assert_eq!(parse_mark("name=x"), None);
    }
}
