//! The reports benchmark's in-process driver (run by `cargo xtask bench` after a sync has
//! filled DATA_DIR): times the desk's export of the all-clients summary as PDF and as CSV
//! (open the store, read the mirror, compute, render, write the file), the CSV rendering alone
//! beside the bare csv crate writing the same rows from the same report (the reference), and
//! writes the same rows as an HTML table for headless Chromium to print (the PDF reference).
//! Prints the timings as JSON.
//!
//! Usage: report_bench DATA_DIR WORK_DIR RUNS PERIOD

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use mspdesk_desk::{Desk, ExportRequest, OsKeyring, ReportFormat, ReportScope};
use mspdesk_domain::{BillingReport, Period};
use mspdesk_reports::{to_csv, Layout};

/// Renderings of 1,001 rows take well under a millisecond: each run times this many.
const RENDERS_PER_RUN: u32 = 20;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, work, runs, period] = args.as_slice() else {
        bail!("usage: report_bench DATA_DIR WORK_DIR RUNS PERIOD");
    };
    let (data_dir, work) = (PathBuf::from(data_dir), PathBuf::from(work));
    let runs: usize = runs.parse()?;
    let period = Period::parse(period).map_err(|e| anyhow::anyhow!("PERIOD: {e}"))?;
    std::fs::create_dir_all(&work)?;

    let mut pdf = Vec::new();
    let mut csv = Vec::new();
    for _ in 0..runs {
        pdf.push(export(&data_dir, &work, period, ReportFormat::Pdf).await?);
        csv.push(export(&data_dir, &work, period, ReportFormat::Csv).await?);
    }

    let desk = Desk::open(&data_dir, Arc::new(OsKeyring)).await?;
    let report = desk.report(period, None, chrono::Utc::now()).await?;
    let mut render_csv = Vec::new();
    let mut bare_csv = Vec::new();
    for _ in 0..runs {
        render_csv.push(per_render(|| {
            to_csv(&report, Layout::Summary, "Nordlicht IT-Service GmbH").len()
        }));
        bare_csv.push(per_render(|| bare(&report).len()));
    }
    let html = work.join("summary.html");
    std::fs::write(&html, html_table(&report))?;

    let out = serde_json::json!({
        "clients": report.clients.len(),
        "lines": report.line_count(),
        "export_pdf_s": pdf,
        "export_csv_s": csv,
        "render_csv_s": render_csv,
        "bare_csv_s": bare_csv,
        "html": html,
    });
    std::io::stdout().write_all(out.to_string().as_bytes())?;
    Ok(())
}

/// Seconds for one in-process export: open the desk, read the mirror, compute, render, write.
async fn export(data_dir: &Path, work: &Path, period: Period, format: ReportFormat) -> Result<f64> {
    let started = Instant::now();
    let desk = Desk::open(data_dir, Arc::new(OsKeyring)).await?;
    let output = work.join(match format {
        ReportFormat::Pdf => "inprocess.pdf",
        ReportFormat::Csv => "inprocess.csv",
    });
    let request = ExportRequest {
        period,
        scope: ReportScope::All,
        format,
        output,
        msp_name: Some("Bench MSP".into()),
        logo: None,
    };
    desk.export_report(&request, chrono::Utc::now()).await?;
    Ok(started.elapsed().as_secs_f64())
}

/// Mean seconds of one call of `render` over [`RENDERS_PER_RUN`] calls.
fn per_render(mut render: impl FnMut() -> usize) -> f64 {
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..RENDERS_PER_RUN {
        bytes += std::hint::black_box(render());
    }
    std::hint::black_box(bytes);
    started.elapsed().as_secs_f64() / f64::from(RENDERS_PER_RUN)
}

/// The summary's rows written with the csv crate and nothing else: the same cells, numbers
/// by their `Display`, no formula guard, no fixed minor digits.
fn bare(report: &BillingReport) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let period = report.period.to_string();
    let currency = report.currency.code();
    let _ = w.write_record(mspdesk_reports::SUMMARY_HEADER);
    for c in &report.clients {
        let _ = w.write_record([
            period.as_str(),
            currency,
            &c.client_id.to_string(),
            &c.company_name,
            &c.plan_name,
            &c.server_count.to_string(),
            &c.hosting_cost.to_string(),
            &c.license_fees.to_string(),
            &c.total.to_string(),
        ]);
    }
    let servers: u64 = report.clients.iter().map(|c| c.server_count).sum();
    let _ = w.write_record([
        period.as_str(),
        currency,
        "",
        "TOTAL",
        "",
        &servers.to_string(),
        &report.hosting_cost.to_string(),
        &report.license_fees.to_string(),
        &report.total.to_string(),
    ]);
    w.into_inner().unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The summary as a plain HTML page: the PDF's columns and rows, one table, A4.
fn html_table(report: &BillingReport) -> String {
    let mut rows = String::new();
    for c in &report.clients {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>\n",
            escape(&c.company_name),
            escape(&c.plan_name),
            c.server_count,
            report.plain_amount(c.hosting_cost),
            report.plain_amount(c.license_fees),
            report.plain_amount(c.total),
        ));
    }
    let servers: u64 = report.clients.iter().map(|c| c.server_count).sum();
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Billing {period}</title><style>\
         @page {{ size: A4; margin: 15mm }} body {{ font: 9pt 'DejaVu Sans', sans-serif }} \
         table {{ border-collapse: collapse; width: 100% }} th, td {{ padding: 2px 4px; border-bottom: 1px solid #ddd }} \
         .n {{ text-align: right }} thead {{ display: table-header-group }}</style></head><body>\
         <h1>Billing report {period}</h1><p>All clients, amounts in {currency}</p>\
         <table><thead><tr><th>Company</th><th>Plan</th><th class=n>Servers</th><th class=n>Hosting</th>\
         <th class=n>License fees</th><th class=n>Total</th></tr></thead><tbody>\n{rows}\
         <tr><th>Total</th><th></th><th class=n>{servers}</th><th class=n>{hosting}</th><th class=n>{license}</th><th class=n>{total}</th></tr>\
         </tbody></table></body></html>\n",
        period = report.period,
        currency = report.currency.code(),
        hosting = report.plain_amount(report.hosting_cost),
        license = report.plain_amount(report.license_fees),
        total = report.plain_amount(report.total),
    )
}
