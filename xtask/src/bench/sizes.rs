//! The bundle section: `cargo xtask bundle`, then the size of each package.

use anyhow::Result;

use super::stats::{verdict, Unit};
use super::{wrap, Env};

/// The largest `.deb` of the app the target allows (bytes).
const DEB_TARGET: u64 = 15_000_000;

pub fn measure(env: &Env, machine: &str) -> Result<String> {
    let bundles = crate::bundle::run(&env.root)?;
    let sizes = crate::bundle::sizes(&bundles)?;
    Ok(render(&sizes, machine))
}

fn render(sizes: &[(String, u64)], machine: &str) -> String {
    let mut out = format!(
        "## Bundles\n\n\
         Command: `cargo xtask bundle` (run by `cargo xtask bench --only bundle`): the app's \
         `.deb` and `.rpm` from the Tauri bundler (release build, symbols stripped), the \
         Control Panel's `.deb` from cargo-deb. Sizes of the files (10^6 bytes = 1 MB). \
         Machine: {machine}.\n\n\
         | package | size | target | met |\n|---|---|---|---|\n"
    );
    for (name, size) in sizes {
        let app_deb = name.ends_with(".deb") && !name.starts_with("control-panel");
        let (target, met) = if app_deb {
            ("≤ 15 MB", verdict(*size <= DEB_TARGET))
        } else {
            ("—", "")
        };
        out.push_str(&format!(
            "| `{name}` | {} | {target} | {met} |\n",
            Unit::Bytes.show(*size as f64)
        ));
    }
    wrap("bundle", &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_deb_has_the_size_target() {
        let s = render(
            &[
                ("MSP Desk_0.1.0_amd64.deb".into(), 9_500_000),
                ("MSP Desk-0.1.0-1.x86_64.rpm".into(), 9_600_000),
                ("control-panel_0.1.0-1_amd64.deb".into(), 6_000_000),
            ],
            "2 cores",
        );
        assert!(
            s.contains("| `MSP Desk_0.1.0_amd64.deb` | 9.5 MB | ≤ 15 MB | ✓ |"),
            "{s}"
        );
        assert!(
            s.contains("| `control-panel_0.1.0-1_amd64.deb` | 6.0 MB | — |  |"),
            "{s}"
        );
    }
}
