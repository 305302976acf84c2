//! CSV export.
//!
//! Two layouts, each with a fixed header row (UTF-8, comma-separated, RFC 4180 quoting):
//!
//! `lines` — one row per instance line:
//! `period,currency,client_id,company_name,instance_id,instance_name,provider,server_type,active_hours,hosting_cost,license_fee,total,issuer`
//!
//! `summary` — one row per client, then a grand-total row whose `company_name` is `TOTAL` and
//! whose `client_id` is empty:
//! `period,currency,client_id,company_name,plan,server_count,hosting_cost,license_fees,total,issuer`
//!
//! `issuer` is the MSP that issues the report, on every row (a file stands on its own once it
//! is imported or forwarded).
//!
//! Amounts are plain decimals with exactly the currency's minor-unit digits, never localised:
//! `19.00` for EUR, `1000` for JPY, `1.234` for BHD (`BillingReport::plain_amount`, the format
//! the PDF uses too).
//! Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab
//! or carriage return) get a leading `'`, as OWASP recommends; numeric cells are written as
//! numbers and left alone.

use mspdesk_domain::BillingReport;

/// Which rows a CSV file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One row per instance line (a client's report, or every client's lines).
    Lines,
    /// One row per client plus a grand total (the all-clients summary).
    Summary,
}

pub const LINES_HEADER: [&str; 13] = [
    "period",
    "currency",
    "client_id",
    "company_name",
    "instance_id",
    "instance_name",
    "provider",
    "server_type",
    "active_hours",
    "hosting_cost",
    "license_fee",
    "total",
    "issuer",
];

pub const SUMMARY_HEADER: [&str; 10] = [
    "period",
    "currency",
    "client_id",
    "company_name",
    "plan",
    "server_count",
    "hosting_cost",
    "license_fees",
    "total",
    "issuer",
];

/// Makes a text cell safe to open in a spreadsheet: a cell that starts with a formula trigger
/// gets a leading apostrophe, which spreadsheets show as text and do not evaluate.
#[must_use]
pub fn neutralise(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

/// Renders the report as CSV in `layout`, issued by `issuer` (the MSP's name).
#[must_use]
pub fn to_csv(report: &BillingReport, layout: Layout, issuer: &str) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let period = report.period.to_string();
    let currency = report.currency.code();
    let issuer = neutralise(issuer);
    // Writing to a Vec cannot fail; a failed record would only mean a bug in this function.
    let mut row = |cells: &[&str]| {
        let _ = w.write_record(cells);
    };
    match layout {
        Layout::Lines => {
            row(&LINES_HEADER);
            for client in &report.clients {
                let client_id = client.client_id.to_string();
                let company = neutralise(&client.company_name);
                for line in &client.lines {
                    row(&[
                        &period,
                        currency,
                        &client_id,
                        &company,
                        &line.instance_id.to_string(),
                        &neutralise(&line.instance_name),
                        line.provider.as_str(),
                        &neutralise(&line.server_type),
                        &line.active_hours.to_string(),
                        &report.plain_amount(line.hosting_cost),
                        &report.plain_amount(line.license_fee),
                        &report.plain_amount(line.total),
                        &issuer,
                    ]);
                }
            }
        }
        Layout::Summary => {
            row(&SUMMARY_HEADER);
            for client in &report.clients {
                row(&[
                    &period,
                    currency,
                    &client.client_id.to_string(),
                    &neutralise(&client.company_name),
                    &neutralise(&client.plan_name),
                    &client.server_count.to_string(),
                    &report.plain_amount(client.hosting_cost),
                    &report.plain_amount(client.license_fees),
                    &report.plain_amount(client.total),
                    &issuer,
                ]);
            }
            let servers: u64 = report.clients.iter().map(|c| c.server_count).sum();
            row(&[
                &period,
                currency,
                "",
                "TOTAL",
                "",
                &servers.to_string(),
                &report.plain_amount(report.hosting_cost),
                &report.plain_amount(report.license_fees),
                &report.plain_amount(report.total),
                &issuer,
            ]);
        }
    }
    w.into_inner().unwrap_or_default()
}
