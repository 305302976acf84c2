//! Renders a sample billing report to PDF and CSV, to look at the layout:
//! `cargo run -p mspdesk-reports --example sample -- OUT_DIR [LINES]`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a developer tool, not product code

use chrono::{Duration, TimeZone, Utc};
use mspdesk_domain::{
    billing_report, ClientBillingInput, Currency, FxTable, Money, Period, PricedInstance, Provider,
};
use mspdesk_reports::{to_csv, to_pdf, Layout, ReportBranding};
use rust_decimal_macros::dec;
use uuid::Uuid;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: sample OUT_DIR [LINES]"));
    let lines: usize = args
        .next()
        .map_or(12, |n| n.parse().expect("LINES is a number"));
    let start = Utc.with_ymd_and_hms(2026, 10, 20, 9, 0, 0).unwrap();
    let names = [
        "Müller GmbH",
        "Łódź Hosting Sp. z o.o.",
        "Société Générale de Conseil",
    ];
    let clients: Vec<ClientBillingInput> = names
        .iter()
        .enumerate()
        .map(|(c, name)| ClientBillingInput {
            client_id: Uuid::now_v7(),
            company_name: (*name).into(),
            plan_name: ["Business", "Starter", "Enterprise"][c].into(),
            license_fee: Money::new([dec!(19), dec!(9), dec!(39)][c], Currency::EUR),
            instances: (0..lines / 3)
                .map(|i| {
                    let hetzner = i % 3 != 1;
                    PricedInstance {
                        id: Uuid::now_v7(),
                        name: format!(
                            "{}-srv-{i:02}",
                            name.chars().take(3).collect::<String>().to_lowercase()
                        ),
                        provider: if hetzner {
                            Provider::Hetzner
                        } else {
                            Provider::Digitalocean
                        },
                        server_type: if hetzner {
                            "cpx21".into()
                        } else {
                            "s-2vcpu-4gb".into()
                        },
                        hourly: if hetzner { dec!(0.0121) } else { dec!(0.03571) },
                        monthly: if hetzner { dec!(7.55) } else { dec!(24.00) },
                        currency: if hetzner {
                            Currency::EUR
                        } else {
                            Currency::USD
                        },
                        created_at: start + Duration::hours(i as i64 * 53),
                        deleted_at: (i % 4 == 3).then(|| start + Duration::days(35)),
                    }
                })
                .collect(),
        })
        .collect();
    let period = Period::parse("2026-11").unwrap();
    let fx = FxTable::new(Currency::EUR).with_rate(Currency::USD, dec!(0.96));
    let report = billing_report(&clients, period, period.end(), &fx).unwrap();
    let logo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../icons/128x128.png"
    ))
    .ok();
    let branding = ReportBranding {
        msp_name: "Nordlicht IT-Service GmbH".into(),
        logo_png: logo,
    };
    std::fs::create_dir_all(&out).unwrap();
    for (layout, name) in [(Layout::Lines, "lines"), (Layout::Summary, "summary")] {
        std::fs::write(
            out.join(format!("{name}.pdf")),
            to_pdf(&report, layout, &branding).unwrap(),
        )
        .unwrap();
        std::fs::write(
            out.join(format!("{name}.csv")),
            to_csv(&report, layout, "Nordlicht IT-Service GmbH"),
        )
        .unwrap();
    }
    println!("wrote {} lines to {}", report.line_count(), out.display());
}
