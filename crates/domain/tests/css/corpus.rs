//! The attack corpus is refused at the attack's line; the legitimate corpus passes, scoped and
//! with its meaning kept.

use mspdesk_domain::sanitize_css;

use crate::oracle::{assert_safe_output, corpus, header, selectors, tenant};

#[test]
fn every_attack_is_refused_at_its_line() {
    let attacks = corpus("attacks");
    assert!(attacks.len() >= 25, "only {} attacks", attacks.len());
    let mut failures = Vec::new();
    for file in &attacks {
        let first = file.text.lines().next().unwrap_or("");
        assert!(
            first.starts_with("/*") && first.len() > 20,
            "{}: the first line must name the technique",
            file.name
        );
        let line: u32 = header(file, "expect-line")
            .parse()
            .expect("expect-line is a number");
        let expect = header(file, "expect");
        match sanitize_css(&file.text, tenant()) {
            Ok(out) => failures.push(format!("{}: accepted as\n{out}", file.name)),
            Err(e) if e.line != line || !e.message.contains(&expect) => failures.push(format!(
                "{}: expected line {line} and “{expect}”, got {e}",
                file.name
            )),
            Err(e) => assert!(e.column >= 1, "{}: column is 1-based", file.name),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_legitimate_sheet_passes_scoped_and_keeps_its_meaning() {
    let sheets = corpus("legit");
    assert!(
        sheets.len() >= 10,
        "only {} legitimate sheets",
        sheets.len()
    );
    for file in &sheets {
        let out = sanitize_css(&file.text, tenant())
            .unwrap_or_else(|e| panic!("{}: refused: {e}", file.name))
            .into_string();
        assert_safe_output(&out, tenant(), &file.name);
        assert!(
            !selectors(&out).is_empty() || out.contains("@font-face"),
            "{}: no rules survived:\n{out}",
            file.name
        );
        for kept in header(file, "keep").split(" | ") {
            assert!(
                out.contains(kept.trim()),
                "{}: `{kept}` is missing from\n{out}",
                file.name
            );
        }
        let again = sanitize_css(&out, tenant())
            .unwrap_or_else(|e| panic!("{}: its own output is refused: {e}", file.name));
        assert_eq!(again.as_str(), out, "{}: not idempotent", file.name);
    }
}
