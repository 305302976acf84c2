//! Hygiene checks that run as ordinary tests (this module is compiled for tests only) (`cargo test --workspace`, so `cargo xtask test`).
//!
//! ARCHITECTURE.md is a map, so every path it names must exist. A mention in backticks is a
//! path when it has no spaces, is not a URL or a route (`https://`, `/portal/...`), and has a
//! `/` or a file extension; `crates/domain::billing` names the crate's folder, `<resource>`
//! stands for any name. A path that starts at a top-level folder that only exists at the root
//! (`crates/`, `src-tauri/`, `ui/`, `xtask/`, ...) is read from the repository root; any other
//! (`store/feed.rs` under "the desk", `lib.rs`) is relative to the part of the code the text is
//! about, so it must be the end of some path in the repository.

use std::path::{Path, PathBuf};

/// Mentions that look like paths but are not paths in the repository, each with what it is.
const NOT_PATHS: &[(&str, &str)] = &[
    ("@tanstack/react-table", "an npm package"),
    (
        "ui/dist",
        "built by `npm run build`, not kept in the repository",
    ),
    ("<origin>/<tenant>", "the name of a keyring entry"),
];

/// Top-level folders a path is read from the root when it starts with them.
const ROOTED: &[&str] = &[
    "crates",
    "src-tauri",
    "ui",
    "xtask",
    "migrations",
    "icons",
    ".ci",
];

/// Extensions that make a mention without a `/` a file name.
const EXTENSIONS: &[&str] = &[
    "rs", "toml", "json", "md", "ts", "tsx", "js", "mjs", "sql", "sh", "css", "html", "svg", "png",
    "yml", "yaml", "txt", "lock",
];

/// Folders that are not the repository's own content (build output, installed packages).
fn skipped(relative: &str) -> bool {
    matches!(relative, ".git" | "target" | "gen" | "ui/dist")
        || relative.rsplit('/').next() == Some("node_modules")
}

/// The backticked mentions of `markdown`, outside fenced code blocks.
fn mentions(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            found.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    found
}

/// The path a mention names, if it looks like one (see the module's documentation).
fn as_path(mention: &str) -> Option<String> {
    if mention.is_empty()
        || mention.contains(char::is_whitespace)
        || mention.starts_with('/')
        || mention.contains("://")
    {
        return None;
    }
    let path = mention.split("::").next().unwrap_or(mention);
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    let has_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext));
    (path.contains('/') || has_extension).then(|| path.trim_end_matches('/').to_owned())
}

/// Every file and folder under `root`, as `/`-separated paths relative to it.
fn entries(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(dir) = std::fs::read_dir(root.join(&relative)) else {
            continue;
        };
        for entry in dir.flatten() {
            let path = relative.join(entry.file_name());
            let text = path.to_string_lossy().replace('\\', "/");
            if skipped(&text) {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            }
            found.push(text);
        }
    }
    found
}

/// Whether a name matches one segment of a mention, where `<...>` stands for anything.
fn segment_matches(pattern: &str, name: &str) -> bool {
    match (pattern.find('<'), pattern.find('>')) {
        (Some(open), Some(close)) if open < close => {
            let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        _ => pattern == name,
    }
}

/// Whether `path` exists among `entries`: from the root when it starts at a rooted folder,
/// otherwise as the end of some entry.
fn exists(path: &str, entries: &[String]) -> bool {
    let wanted: Vec<&str> = path.split('/').collect();
    let rooted = ROOTED.contains(&wanted[0]);
    entries.iter().any(|entry| {
        let have: Vec<&str> = entry.split('/').collect();
        if have.len() < wanted.len() || (rooted && have.len() != wanted.len()) {
            return false;
        }
        have[have.len() - wanted.len()..]
            .iter()
            .zip(&wanted)
            .all(|(name, pattern)| segment_matches(pattern, name))
    })
}

#[test]
fn every_path_architecture_md_names_exists() {
    let root = crate::workspace_root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md"))
        .unwrap_or_else(|e| panic!("ARCHITECTURE.md: {e}"));
    let entries = entries(&root);
    assert!(
        entries.iter().any(|e| e == "crates/server/src/lib.rs"),
        "the repository was not read"
    );
    let all = mentions(&text);
    let mut wrong: Vec<String> = all
        .iter()
        .filter(|m| !NOT_PATHS.iter().any(|(n, _)| n == m))
        .filter_map(|m| as_path(m))
        .filter(|path| !exists(path, &entries))
        .collect();
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "ARCHITECTURE.md names paths that do not exist (fix the map, or list a mention \
         that is not a path in NOT_PATHS):\n{}",
        wrong.join("\n")
    );
    // The exceptions are still needed.
    for (mention, _) in NOT_PATHS {
        assert!(
            all.iter().any(|m| m == mention),
            "NOT_PATHS lists `{mention}`, which ARCHITECTURE.md no longer mentions"
        );
    }
}

#[test]
fn what_counts_as_a_path() {
    for (mention, path) in [
        ("crates/desk/src/sync.rs", Some("crates/desk/src/sync.rs")),
        ("migrations/server", Some("migrations/server")),
        ("store/", Some("store")),
        ("lib.rs", Some("lib.rs")),
        ("crates/domain::billing", Some("crates/domain")),
        ("GET /billing/report", None),
        ("/portal/{tenant}/branding.css", None),
        ("https://", None),
        ("MSPDESK_BENCH", None),
        ("Retry-After", None),
        ("1:<seq>:<floor>", None),
    ] {
        assert_eq!(as_path(mention).as_deref(), path, "{mention}");
    }
    let entries = vec![
        "crates".to_owned(),
        "crates/desk".to_owned(),
        "crates/desk/src".to_owned(),
        "crates/desk/src/store".to_owned(),
        "crates/desk/src/store/feed.rs".to_owned(),
    ];
    assert!(exists("store/feed.rs", &entries));
    assert!(exists("crates/desk/src/store", &entries));
    assert!(exists("crates/<name>/src/store/<file>.rs", &entries));
    assert!(!exists("crates/desk/src/sync.rs", &entries));
    assert!(!exists("src/store/mirror.rs", &entries));
    // A rooted path is read from the root only.
    assert!(!exists("crates/store", &["x/crates/store".to_owned()]));
    assert_eq!(
        mentions("a `b` c\n```\n`not this`\n```\n`d/e`"),
        ["b", "d/e"]
    );
}
