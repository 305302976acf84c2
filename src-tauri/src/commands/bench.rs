//! The benchmark hook for `cargo xtask bench`. Started with `MSPDESK_BENCH` set, the app marks
//! the page (`window.__MSPDESK_BENCH__ = true`, through a plugin's initialisation script, so a
//! normal start costs nothing) and the UI reports what only the webview can measure (the Unix
//! time of its first paint, a keystroke's next frame) through `bench_mark`, each as one line on
//! standard output: `mspdesk-bench <name> <value>`. Without the variable the flag is absent, the
//! UI measures nothing and `bench_mark` prints nothing.

use tauri::plugin::TauriPlugin;
use tauri::Runtime;

/// The environment variable that turns the hook on.
pub const BENCH_ENV: &str = "MSPDESK_BENCH";

/// Whether the app runs under the benchmark.
#[must_use]
pub fn enabled() -> bool {
    std::env::var_os(BENCH_ENV).is_some()
}

/// The plugin that sets the page's flag (register it only when [`enabled`]).
#[must_use]
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("mspdesk-bench")
        .js_init_script("window.__MSPDESK_BENCH__ = true;")
        .build()
}

/// Prints one measurement from the UI (milliseconds, or a Unix time in milliseconds for a
/// moment such as the first paint) when the hook is on.
#[tauri::command]
pub fn bench_mark(name: String, value: f64) {
    if enabled() {
        if let Some(line) = mark_line(&name, value) {
            println!("{line}");
        }
    }
}

/// The line for one measurement; `None` for a name that is not a short kebab-case word or a
/// value that is not a finite number, so nothing the UI sends can forge another line.
fn mark_line(name: &str, value: f64) -> Option<String> {
    let name_ok = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (name_ok && value.is_finite()).then(|| format!("mspdesk-bench {name} {value:.3}"))
}

#[cfg(test)]
mod tests {
    use super::mark_line;

    #[test]
    fn a_mark_is_one_line_with_its_name_and_value() {
        assert_eq!(
            mark_line("first-paint", 1_764_380_000_123.456_7).as_deref(),
            Some("mspdesk-bench first-paint 1764380000123.457")
        );
        assert_eq!(
            mark_line("keystroke", 3.25).as_deref(),
            Some("mspdesk-bench keystroke 3.250")
        );
    }

    #[test]
    fn odd_names_and_values_print_nothing() {
        assert_eq!(mark_line("first paint\nmspdesk-bench x", 1.0), None);
        assert_eq!(mark_line("", 1.0), None);
        assert_eq!(mark_line("Keystroke", 1.0), None);
        assert_eq!(mark_line("keystroke", f64::NAN), None);
        assert_eq!(mark_line("keystroke", f64::INFINITY), None);
    }
}
