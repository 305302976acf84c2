//! A command is wired in five places (ARCHITECTURE.md, "Where to change what"): its
//! `#[tauri::command]` function, its name in `src-tauri/build.rs`, its entry in
//! `generate_handler!` (`src-tauri/src/lib.rs`), `allow-<name>` in the window's capability, and
//! the wrapper in `ui/src/api/commands.ts`. These tests read those files and name every command
//! that one of them is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

/// Registered commands that `ui/src/api/commands.ts` need not wrap, each with its reason.
const NOT_CALLED_BY_THE_UI: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text between `start` and the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str, what: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{what}: no `{start}`"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{what}: no `{end}` after `{start}`"));
    &text[from..from + len]
}

/// The string literals in `text` (no escapes: command names have none).
fn string_literals(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every name that appears twice in `names`.
fn repeated(names: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    names
        .iter()
        .filter(|n| !seen.insert(n.as_str()))
        .cloned()
        .collect()
}

/// The names `build.rs` passes to `AppManifest::commands` (they make the `allow-*`
/// permissions).
fn in_build_rs() -> Vec<String> {
    let text = read("src-tauri/build.rs");
    string_literals(between(&text, ".commands(&[", "]", "src-tauri/build.rs"))
}

/// The functions `generate_handler!` registers, by name (the last segment of each path).
fn in_handler() -> Vec<String> {
    let text = read("src-tauri/src/lib.rs");
    between(&text, "generate_handler![", "]", "src-tauri/src/lib.rs")
        .split(',')
        .map(|path| {
            path.trim()
                .rsplit("::")
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// The commands the capability allows (`allow-app-info` is `app_info`).
fn in_capability() -> Vec<String> {
    let text = read("src-tauri/capabilities/main.json");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

/// The functions marked `#[tauri::command]` in `src-tauri/src/commands/`.
fn defined() -> Vec<String> {
    let dir = root().join("src-tauri/src/commands");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            names.extend(commands_defined_in(
                &std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    names
}

fn commands_defined_in(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut marked = false;
    for line in source.lines().map(str::trim) {
        if line.starts_with("#[tauri::command") {
            marked = true;
        } else if marked {
            if let Some((_, rest)) = line.split_once("fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
                marked = false;
            }
        }
    }
    names
}

/// The command names `source` (TypeScript) invokes: `call<T>("name"`, `call("name"`,
/// `invoke<T>("name"` and `invoke("name"`.
fn invoked_in(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for function in ["call", "invoke"] {
        let mut rest = source;
        while let Some(at) = rest.find(function) {
            let before = rest[..at].chars().next_back();
            let mut after = &rest[at + function.len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            // Skip a type argument, nested ones included.
            if let Some(generic) = after.strip_prefix('<') {
                let mut depth = 1;
                let Some(end) = generic.find(|c| {
                    match c {
                        '<' => depth += 1,
                        '>' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                }) else {
                    continue;
                };
                after = &generic[end + 1..];
            }
            if let Some(literal) = after.strip_prefix("(\"") {
                if let Some(end) = literal.find('"') {
                    names.push(literal[..end].to_owned());
                }
            }
        }
    }
    names
}

fn in_commands_ts() -> Vec<String> {
    invoked_in(&read("ui/src/api/commands.ts"))
}

/// The names of `a` missing from `b`.
fn missing(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

#[test]
fn every_command_is_defined_listed_registered_and_allowed() {
    let lists = [
        ("#[tauri::command] in src-tauri/src/commands/", defined()),
        ("src-tauri/build.rs", in_build_rs()),
        ("generate_handler! in src-tauri/src/lib.rs", in_handler()),
        ("src-tauri/capabilities/main.json", in_capability()),
    ];
    let mut problems = Vec::new();
    for (place, names) in &lists {
        if names.is_empty() {
            problems.push(format!(
                "{place}: no commands found (has its format changed?)"
            ));
        }
        for name in repeated(names) {
            problems.push(format!("{place}: `{name}` twice"));
        }
    }
    let all: BTreeSet<String> = lists.iter().flat_map(|(_, n)| n.iter().cloned()).collect();
    for (place, names) in &lists {
        let here: BTreeSet<String> = names.iter().cloned().collect();
        for name in missing(&all, &here) {
            problems.push(format!("{place} is missing `{name}`"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_ui_calls_only_registered_commands_and_every_one_of_them() {
    let registered: BTreeSet<String> = in_handler().into_iter().collect();
    let called: BTreeSet<String> = in_commands_ts().into_iter().collect();
    let exempt: BTreeSet<String> = NOT_CALLED_BY_THE_UI
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    let mut problems = Vec::new();
    for name in missing(&called, &registered) {
        problems.push(format!(
            "ui/src/api/commands.ts calls `{name}`, which the app does not register"
        ));
    }
    for name in missing(&registered, &called) {
        if !exempt.contains(&name) {
            problems.push(format!(
                "`{name}` is registered but ui/src/api/commands.ts never calls it (wrap it, or list it in NOT_CALLED_BY_THE_UI with the reason)"
            ));
        }
    }
    for name in exempt.intersection(&called) {
        problems.push(format!(
            "`{name}` is in NOT_CALLED_BY_THE_UI but commands.ts calls it"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readers_find_what_they_look_for() {
    let ts = r#"
        async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
            return await invoke<T>(command, args);
        }
        const known = Object.prototype.hasOwnProperty.call(CODES, error.code);
        a: () => call<Account | null>("session"),
        b: () => call<Record<string, Array<number>>>("nested", { x }),
        c: () => call("plain"),
        d: () => invoke("direct"),
        e: () => recall("not_this"),
    "#;
    assert_eq!(invoked_in(ts), ["session", "nested", "plain", "direct"]);
    let rust = "#[tauri::command]\n#[tracing::instrument(skip(state))]\npub async fn sign_in(\n";
    assert_eq!(commands_defined_in(rust), ["sign_in"]);
}
