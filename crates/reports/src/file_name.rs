//! The name a report's file is offered under: who issued it, what it covers, and when, so
//! that files from several MSPs or months never get mixed up in a downloads folder.

use mspdesk_domain::Period;

/// The longest file name offered, in characters (file systems allow 255 bytes).
const MAX_CHARS: usize = 120;

/// E.g. `Nordlicht IT - billing 2026-11 - all clients.pdf` or
/// `Nordlicht IT - billing 2026-11 - Müller GmbH.csv`: `client` is the one client a report
/// covers (None: all clients). Characters no file system takes (`/ \\ : * ? " < > |`, control
/// characters) become `_`; the name never starts with a dot.
#[must_use]
pub fn file_name(issuer: &str, client: Option<&str>, period: Period, extension: &str) -> String {
    let covers = client.unwrap_or("all clients");
    let stem = format!("{} - billing {period} - {}", clean(issuer), clean(covers));
    let stem: String = stem.chars().take(MAX_CHARS).collect();
    let stem = stem
        .trim_end_matches([' ', '.', '-'])
        .trim_start_matches('.');
    format!("{stem}.{extension}")
}

fn clean(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period() -> Period {
        Period::parse("2026-11").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_the_issuer_the_scope_and_the_month() {
        assert_eq!(
            file_name("Nordlicht IT", None, period(), "pdf"),
            "Nordlicht IT - billing 2026-11 - all clients.pdf"
        );
        assert_eq!(
            file_name("Nordlicht IT", Some("Müller GmbH"), period(), "csv"),
            "Nordlicht IT - billing 2026-11 - Müller GmbH.csv"
        );
    }

    #[test]
    fn characters_no_file_system_takes_are_replaced() {
        let name = file_name(".A/B: C*", Some("x?\"<y>|\\z\n"), period(), "pdf");
        assert_eq!(name, "A_B_ C_ - billing 2026-11 - x___y___z_.pdf");
        let long = "L".repeat(300);
        assert!(file_name(&long, None, period(), "pdf").chars().count() <= MAX_CHARS + 4);
    }
}
