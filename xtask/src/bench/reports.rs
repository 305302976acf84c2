//! The reports section: the all-clients summary of the synced store, end to end as a user runs
//! it (`mspdesk report --all`, process start to exit, the file written) and in-process (the
//! driver `crates/cli/examples/report_bench.rs`), against its references measured here too:
//! headless Chromium printing the same rows as an HTML table, and the bare csv crate.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::stats::{ratio, thousands, verdict, Runs, Unit};
use super::{time, wrap, Env};
use crate::proc::{self, cmd};

/// Debian's Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

pub fn measure(env: &Env, machine: &str, data_dir: &Path) -> Result<String> {
    if !Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing: run `cargo xtask setup`");
    }
    let work = env.scratch("reports")?;
    let runs = env.opts.runs;
    let period = proc::output(&mut cmd("date", &["-u", "+%Y-%m"]))
        .context("date")?
        .trim()
        .to_owned();

    // End to end, as a user runs it. One unmeasured run first, for every timed program, so
    // each starts from a warm file cache.
    let mspdesk = |format: &str| {
        let mut c = cmd(
            &env.bins.mspdesk.to_string_lossy(),
            &[
                "report",
                "--period",
                &period,
                "--all",
                "--format",
                format,
                "--msp-name",
                "Bench MSP",
                "-o",
            ],
        );
        c.arg(work.join(format!("mspdesk.{format}")));
        c.arg("--data-dir").arg(data_dir);
        c
    };
    let e2e = |format: &str| -> Result<Runs> {
        for _ in 0..env.warmups() {
            time(&mut mspdesk(format))?;
        }
        Runs::new(
            (0..runs)
                .map(|_| time(&mut mspdesk(format)))
                .collect::<Result<_>>()?,
        )
    };
    let pdf = e2e("pdf")?;
    let csv = e2e("csv")?;

    let inproc = super::drive(
        cmd(
            &env.bins.report_bench.to_string_lossy(),
            &[
                &data_dir.to_string_lossy(),
                &work.join("inprocess").to_string_lossy(),
                &runs.to_string(),
                &period,
            ],
        ),
        "",
    )?;
    let html = inproc["html"].as_str().context("no HTML page")?;
    let chromium_pdf = work.join("chromium.pdf");
    let profile = work.join("chromium-profile");
    let chromium = || {
        let mut c = cmd(
            CHROMIUM,
            &[
                "--headless",
                // We run as root here; Chromium refuses to start its sandbox as root.
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
            ],
        );
        c.arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--print-to-pdf={}", chromium_pdf.display()))
            .arg(format!("file://{html}"));
        c
    };
    for _ in 0..env.warmups() {
        time(&mut chromium())?;
    }
    let chrome = Runs::new(
        (0..runs)
            .map(|_| time(&mut chromium()))
            .collect::<Result<_>>()?,
    )?;

    let figures = Figures {
        clients: inproc["clients"].as_u64().unwrap_or(0),
        lines: inproc["lines"].as_u64().unwrap_or(0),
        pdf,
        csv,
        export_pdf: Runs::from_json(&inproc, "export_pdf_s")?,
        export_csv: Runs::from_json(&inproc, "export_csv_s")?,
        render_csv: Runs::from_json(&inproc, "render_csv_s")?,
        bare_csv: Runs::from_json(&inproc, "bare_csv_s")?,
        chromium: chrome,
        pages: pages(&work.join("mspdesk.pdf")),
        chromium_pages: pages(&chromium_pdf),
    };
    Ok(render(&figures, runs, machine))
}

/// A PDF's page count (pdfinfo, from poppler-utils), if it can be read.
fn pages(pdf: &Path) -> Option<u64> {
    let info = proc::output(&mut cmd("pdfinfo", &[&pdf.to_string_lossy()]))?;
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
}

#[derive(Debug)]
struct Figures {
    clients: u64,
    lines: u64,
    pdf: Runs,
    csv: Runs,
    export_pdf: Runs,
    export_csv: Runs,
    render_csv: Runs,
    bare_csv: Runs,
    chromium: Runs,
    pages: Option<u64>,
    chromium_pages: Option<u64>,
}

fn pages_text(n: Option<u64>) -> String {
    n.map_or_else(String::new, |n| format!(", {n} pages"))
}

fn render(f: &Figures, runs: usize, machine: &str) -> String {
    let pdf_ratio = f.chromium.median() / f.pdf.median();
    let csv_speed = f.bare_csv.median() / f.render_csv.median();
    let mut out = format!(
        "## Billing reports: the all-clients summary of {} clients ({} instance lines)\n\n\
         Command: `cargo xtask bench --only reports` (release builds; the store is the one the sync \
         section's first sync filled). End to end: `mspdesk report --period <this month> --all \
         --format pdf|csv -o FILE`, from process start to exit (the file is written before it \
         exits). In-process: `crates/cli/examples/report_bench.rs` (open the store, read the \
         mirror, compute, render, write). References, measured in the same run: `chromium \
         --headless --print-to-pdf` (Debian's package) printing the same rows as one HTML table, \
         and the bare csv crate writing the same rows from the same report (cells by their \
         `Display`; no formula guard, no fixed minor digits). {runs} runs each after one warm-up \
         run. Machine: {machine}.\n\n\
         | what | median (min – max) | target | reference | vs reference | met |\n\
         |---|---|---|---|---|---|\n",
        thousands(f.clients as f64),
        thousands(f.lines as f64)
    );
    out.push_str(&format!(
        "| PDF, end to end (`mspdesk report --format pdf`{}) | {} | < 100 ms and ≥ 20x faster than Chromium | Chromium prints the same rows: {}{} | {} faster | {} |\n",
        pages_text(f.pages),
        f.pdf.show(Unit::Seconds),
        f.chromium.show(Unit::Seconds),
        pages_text(f.chromium_pages),
        ratio(pdf_ratio),
        verdict(f.pdf.median() < 0.1 && pdf_ratio >= 20.0),
    ));
    out.push_str(&format!(
        "| CSV, end to end (`mspdesk report --format csv`) | {} | — | — | — | |\n",
        f.csv.show(Unit::Seconds)
    ));
    out.push_str(&format!(
        "| PDF, in-process export | {} | — | — | — | |\n",
        f.export_pdf.show(Unit::Seconds)
    ));
    out.push_str(&format!(
        "| CSV, in-process export | {} | — | — | — | |\n",
        f.export_csv.show(Unit::Seconds)
    ));
    out.push_str(&format!(
        "| CSV rendering of the report (`to_csv`, {} rows) | {} | ≥ 50 % of the bare csv crate's speed | bare csv crate, same rows: {} | {} of its speed | {} |\n",
        thousands((f.clients + 1) as f64),
        f.render_csv.show(Unit::Seconds),
        f.bare_csv.show(Unit::Seconds),
        ratio(csv_speed),
        verdict(csv_speed >= 0.5),
    ));
    wrap("reports", &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(xs: &[f64]) -> Runs {
        Runs::new(xs.to_vec()).unwrap()
    }

    #[test]
    fn the_table_sets_each_figure_beside_its_reference() {
        let f = Figures {
            clients: 1000,
            lines: 20000,
            pdf: runs(&[0.08, 0.09, 0.07]),
            csv: runs(&[0.05]),
            export_pdf: runs(&[0.06]),
            export_csv: runs(&[0.03]),
            render_csv: runs(&[0.0004]),
            bare_csv: runs(&[0.0003]),
            chromium: runs(&[2.0, 2.1, 1.9]),
            pages: Some(24),
            chromium_pages: Some(63),
        };
        let s = render(&f, 3, "2 cores");
        assert!(
            s.contains("| PDF, end to end (`mspdesk report --format pdf`, 24 pages) | 80.0 ms (70.0 ms – 90.0 ms) | < 100 ms and ≥ 20x faster than Chromium | Chromium prints the same rows: 2.00 s (1.90 s – 2.10 s), 63 pages | 25x faster | ✓ |"),
            "{s}"
        );
        assert!(s.contains("| 75 % of its speed | ✓ |"), "{s}");
        assert!(s.starts_with("<!-- reports-bench:start -->"));
    }
}
