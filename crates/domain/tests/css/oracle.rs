//! Independent checks of sanitised output, written from the output's text and the rules in
//! the brief, not from the sanitiser's code.

use std::path::{Path, PathBuf};

use mspdesk_domain::TenantId;

/// The client whose CSS the corpora are.
pub fn tenant() -> TenantId {
    "01936f4e-7a1b-7c3d-8e9f-0123456789ab"
        .parse()
        .expect("fixed tenant id is a UUID v7")
}

/// Another client of the same MSP.
pub fn other_tenant() -> TenantId {
    "01936f4e-7a1b-7c3d-8e9f-fedcba987654"
        .parse()
        .expect("fixed tenant id is a UUID v7")
}

/// A corpus file with `{TENANT}` and `{OTHER}` filled in.
pub struct CorpusFile {
    pub name: String,
    pub text: String,
}

pub fn corpus(kind: &str) -> Vec<CorpusFile> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/css_corpus")
        .join(kind);
    let mut files: Vec<CorpusFile> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "css"))
        .map(|path| CorpusFile {
            name: path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned(),
            text: std::fs::read_to_string(&path)
                .expect("corpus file is UTF-8")
                .replace("{TENANT}", &tenant().to_string())
                .replace("{OTHER}", &other_tenant().to_string()),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files
}

/// The value of `/* key: value */` on the file's second line.
pub fn header(file: &CorpusFile, key: &str) -> String {
    let line = file.text.lines().nth(1).unwrap_or("");
    let body = line
        .trim()
        .strip_prefix("/*")
        .and_then(|l| l.strip_suffix("*/"))
        .unwrap_or_else(|| panic!("{}: second line is not a comment", file.name));
    body.split(';')
        .filter_map(|part| part.trim().split_once(':'))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("{}: no `{key}:` on the second line", file.name))
}

/// Is this address one the brief allows for `tenant`?
pub fn allowed_address(url: &str, tenant: TenantId) -> bool {
    for kind in ["logo", "favicon"] {
        let path = format!("/api/v1/public/assets/{tenant}/{kind}");
        if url == path {
            return true;
        }
    }
    ["png", "jpeg", "gif", "webp"].iter().any(|t| {
        url.strip_prefix(&format!("data:image/{t};base64,"))
            .is_some_and(|data| data.len() <= 8 * 1024 * 4 / 3 + 4)
    })
}

/// Every `url(...)` outside strings in the output, with its (unescaped) address; `None` for one
/// that is not a plain quoted string.
pub fn urls(css: &str) -> Result<Vec<Option<String>>, String> {
    let chars: Vec<char> = css.chars().collect();
    let mut found = Vec::new();
    // Whether the previous character belongs to a name (an escape always does).
    let mut after_name = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' | '\'' => {
                i = skip_string(&chars, i);
                after_name = false;
            }
            '\\' => {
                i = skip_escape(&chars, i);
                after_name = true;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i = skip_comment(&chars, i);
                after_name = false;
            }
            // A hash (`#url(`) or at-keyword (`@url(`) is not a function.
            '#' | '@' => {
                after_name = true;
                i += 1;
            }
            c => {
                let word: String = chars[i..chars.len().min(i + 4)].iter().collect();
                if !after_name && word.eq_ignore_ascii_case("url(") {
                    let (address, next) = read_url(&chars, i + 4);
                    found.push(address);
                    i = next;
                    after_name = false;
                } else {
                    after_name = is_name_char(c);
                    i += 1;
                }
            }
        }
    }
    Ok(found)
}

/// Past the comment starting at `start` (a `/*`), as a browser reads it.
fn skip_comment(chars: &[char], start: usize) -> usize {
    let mut i = start + 2;
    while i < chars.len() {
        if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            return i + 2;
        }
        i += 1;
    }
    chars.len()
}

/// Past the escape starting at `start` (a backslash): up to six hex digits and one white
/// space, or one character.
fn skip_escape(chars: &[char], start: usize) -> usize {
    let hex = chars[start + 1..]
        .iter()
        .take(6)
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if hex == 0 {
        return start + 2;
    }
    let end = start + 1 + hex;
    match chars.get(end) {
        Some(' ' | '\t' | '\n') => end + 1,
        _ => end,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii()
}

fn skip_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() && chars[i] != quote {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

fn read_url(chars: &[char], start: usize) -> (Option<String>, usize) {
    if chars.get(start) != Some(&'"') {
        return (None, start);
    }
    let mut address = String::new();
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => return (Some(address), i + 1),
            // Allowed addresses never need an escape.
            '\\' => return (None, i),
            _ => address.push(c),
        }
        i += 1;
    }
    (None, i)
}

/// The selectors of every style rule in the output: the text before each `{` (back to the
/// previous `{`, `}` or `;` outside strings and brackets); `@keyframes` bodies hold keyframe
/// selectors, not selectors.
pub fn selectors(css: &str) -> Vec<String> {
    let chars: Vec<char> = css.chars().collect();
    let mut stack: Vec<bool> = Vec::new(); // true: a @keyframes body
    let mut out = Vec::new();
    let (mut prelude, mut depth, mut i) = (String::new(), 0i32, 0);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' => {
                let end = skip_string(&chars, i).min(chars.len());
                prelude.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '\\' => {
                prelude.extend(&chars[i..(i + 2).min(chars.len())]);
                i += 2;
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i = skip_comment(&chars, i);
                prelude.push(' ');
                continue;
            }
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '{' if depth == 0 => {
                let header = prelude.trim().to_owned();
                let in_keyframes = stack.last().copied().unwrap_or(false);
                if header.starts_with('@') {
                    stack.push(header.to_ascii_lowercase().contains("keyframes"));
                } else {
                    stack.push(false);
                    if !in_keyframes {
                        out.extend(split_top_level(&header));
                    }
                }
                prelude.clear();
                i += 1;
                continue;
            }
            '}' | ';' if depth == 0 => {
                if c == '}' {
                    stack.pop();
                }
                prelude.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        prelude.push(c);
        i += 1;
    }
    out
}

fn split_top_level(list: &str) -> Vec<String> {
    let chars: Vec<char> = list.chars().collect();
    let (mut parts, mut depth, mut start, mut i) = (Vec::new(), 0i32, 0, 0);
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '"' | '\'' => i = skip_string(&chars, i) - 1,
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(chars[start..i].iter().collect::<String>().trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(chars[start..].iter().collect::<String>().trim().to_owned());
    parts
}

/// Scoped: starts with the root class as a whole class name, and no sibling combinator
/// follows that first compound.
pub fn is_scoped(selector: &str) -> bool {
    let Some(rest) = selector.strip_prefix(".mspdesk-portal") else {
        return false;
    };
    let continues_name = rest
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '\\');
    if continues_name {
        return false;
    }
    // The rest of the first compound, up to the first combinator outside brackets.
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ' ' | '>' | '+' | '~' if depth == 0 => {
                let combinator = rest[i..].trim_start().chars().next();
                return !matches!(combinator, Some('+' | '~'));
            }
            _ => {}
        }
    }
    true
}

/// What every accepted output must satisfy; the first breach, described.
pub fn check_safe_output(output: &str, tenant: TenantId) -> Result<(), String> {
    if output.contains('<') {
        return Err("output has `<`".to_owned());
    }
    if output.contains('\0') {
        return Err("output has NUL".to_owned());
    }
    let lower = output.to_ascii_lowercase();
    for bad in [
        "@import",
        "</style",
        "javascript:",
        "vbscript:",
        "expression(",
        "-->",
    ] {
        if lower.contains(bad) {
            return Err(format!("output has {bad}"));
        }
    }
    for url in urls(output)? {
        match url {
            Some(address) if allowed_address(&address, tenant) => {}
            Some(address) => return Err(format!("output loads {address}")),
            None => return Err("output has a url() that is not a plain quoted address".to_owned()),
        }
    }
    for selector in selectors(output) {
        if !is_scoped(&selector) {
            return Err(format!("selector not scoped: {selector}"));
        }
    }
    Ok(())
}

pub fn assert_safe_output(output: &str, tenant: TenantId, context: &str) {
    if let Err(problem) = check_safe_output(output, tenant) {
        panic!("{context}: {problem}:\n{output}");
    }
}
