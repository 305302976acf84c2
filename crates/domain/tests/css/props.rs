//! Property tests: the sanitiser never panics, and whatever it accepts is safe and stable.
//!
//! The quick properties run with proptest's default case count in `cargo test`. `long_fuzz`
//! (ignored) loops over the same generators for `MSPDESK_CSS_FUZZ_SECS` seconds (default 600):
//! `cargo test -p mspdesk-domain --release --test css -- --ignored --nocapture long_fuzz`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use mspdesk_domain::sanitize_css;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use crate::oracle::{check_safe_output, corpus, tenant};

/// Pieces of CSS that matter to a sanitiser: references, escapes, quotes, braces, comments,
/// the end of a `<style>` element, selectors that name the document.
const FRAGMENTS: &[&str] = &[
    "url(",
    "url(\"",
    "url('",
    ")",
    "\"",
    "'",
    "{",
    "}",
    "(",
    "[",
    "]",
    ";",
    ":",
    ",",
    " ",
    "\n",
    "\\",
    "\\69 ",
    "\\72 ",
    "\\75 ",
    "\\3c ",
    "\\3c/style>",
    "\\0 ",
    "\\\n",
    "/*",
    "*/",
    "/**/",
    "@import ",
    "@\\69 mport ",
    "@media print",
    "@supports (a:b)",
    "@font-face",
    "@layer x",
    "@keyframes k",
    "@-moz-document ",
    "@namespace ",
    "@page",
    "</style>",
    "</STYLE ",
    "<!--",
    "-->",
    "<",
    ">",
    "~",
    "+",
    "&",
    "*",
    ":root",
    "html",
    "body",
    ".mspdesk-portal",
    "data:",
    "data:image/png;base64,",
    "data:image/png;base64,iVBORw0KGgo=",
    "data:text/html,",
    "javascript:",
    "java\\73 cript:",
    "vbscript:",
    "expression(",
    "e\\78 pression(",
    "behavior:",
    "beh\\61vior:",
    "-moz-binding:",
    "image-set(",
    "-webkit-image-set(",
    "src(",
    "image(",
    "element(#x)",
    "cross-fade(",
    "var(--x)",
    "attr(x url)",
    "//evil.example/x",
    "https://evil.example/",
    "/api/v1/public/assets/",
    "../",
    "#x",
    "?v=ab",
    "/logo",
    "/favicon",
    "!important",
    "local(x)",
    "src:",
    "u\\72l(",
    "\\75 rl(",
    "\u{0}",
    "\u{feff}",
    "é",
    "\r",
    "\x0c",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        1 => Just(format!("/api/v1/public/assets/{}/logo", tenant())),
        1 => "[a-z-]{1,8}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(Index, String),
    Delete(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), fragment()).prop_map(|(at, text)| Mutation::Insert(at, text)),
        1 => (any::<Index>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete(at, len)),
    ]
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        match m {
            Mutation::Insert(at, fragment) => {
                let i = at.index(chars.len() + 1);
                chars.splice(i..i, fragment.chars());
            }
            Mutation::Delete(at, len) if !chars.is_empty() => {
                let i = at.index(chars.len());
                let end = (i + len).min(chars.len());
                chars.drain(i..end);
            }
            Mutation::Delete(..) => {}
        }
    }
    chars.into_iter().collect()
}

fn corpus_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        corpus("legit")
            .into_iter()
            .chain(corpus("attacks"))
            .map(|f| f.text)
            .collect()
    })
}

/// A corpus file (legitimate or attack) with 1..8 random insertions and deletions.
fn mutated_corpus() -> impl Strategy<Value = String> {
    (any::<Index>(), prop::collection::vec(mutation(), 1..8)).prop_map(|(file, mutations)| {
        let texts = corpus_texts();
        apply(&texts[file.index(texts.len())], &mutations)
    })
}

/// CSS-significant fragments strung together.
fn fragment_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

/// The properties every input must have.
fn check(input: &str) -> Result<(), TestCaseError> {
    if let Ok(safe) = sanitize_css(input, tenant()) {
        let out = safe.as_str();
        if let Err(problem) = check_safe_output(out, tenant()) {
            return Err(TestCaseError::fail(format!("{problem}:\n{out}")));
        }
        let again = sanitize_css(out, tenant());
        prop_assert_eq!(
            again.as_ref().map(|s| s.as_str()),
            Ok(out),
            "input {:?}",
            input
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_strings(input in any::<String>()) {
        check(&input)?;
    }

    #[test]
    fn printable_ascii(input in "[ -~\n]{0,300}") {
        check(&input)?;
    }

    #[test]
    fn fragments(input in fragment_soup()) {
        check(&input)?;
    }

    #[test]
    fn mutated_corpus_files(input in mutated_corpus()) {
        check(&input)?;
    }
}

#[test]
#[ignore = "long: runs for MSPDESK_CSS_FUZZ_SECS seconds (default 600)"]
fn long_fuzz() {
    let secs: u64 = std::env::var("MSPDESK_CSS_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let cases = AtomicU64::new(0);
    let accepted = AtomicU64::new(0);
    // Refusals by the second belt (the output failed its own checks or printed differently):
    // safe, but each one is a sheet that the first pass let through.
    let belt = AtomicU64::new(0);
    let config = Config {
        cases: 1000,
        failure_persistence: None,
        ..Config::default()
    };
    let run = |runner: &mut TestRunner, strategy: &BoxedStrategy<String>| {
        let result = runner.run(strategy, |input| {
            cases.fetch_add(1, Ordering::Relaxed);
            match sanitize_css(&input, tenant()) {
                Ok(_) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if e.message.contains("cannot be normalised") => {
                    // Show a few: each is a case for the first pass to refuse with a position.
                    if belt.fetch_add(1, Ordering::Relaxed) < 5 {
                        println!("second-belt refusal: {input:?}\n  {}", e.message);
                    }
                }
                Err(_) => {}
            }
            check(&input)
        });
        if let Err(e) = result {
            panic!("after {} cases: {e}", cases.load(Ordering::Relaxed));
        }
    };
    let strategies: Vec<BoxedStrategy<String>> = vec![
        mutated_corpus().boxed(),
        mutated_corpus().boxed(),
        fragment_soup().boxed(),
        "[ -~\n]{0,300}".boxed(),
        any::<String>().boxed(),
    ];
    let mut rounds = 0u64;
    while Instant::now() < deadline {
        for strategy in &strategies {
            run(&mut TestRunner::new(config.clone()), strategy);
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = cases.load(Ordering::Relaxed);
    println!(
        "css long fuzz: {total} cases in {elapsed:.0} s ({:.0} cases/s), {} accepted, {} refused \
         by the second belt, {rounds} rounds, no failure",
        total as f64 / elapsed,
        accepted.load(Ordering::Relaxed),
        belt.load(Ordering::Relaxed),
    );
}
