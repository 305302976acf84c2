//! The all-clients summary for 1,000 clients with 20 instances each: computing it, and
//! rendering it to CSV and PDF. Run with `cargo bench -p mspdesk-reports`; figures in
//! BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: fixed inputs that cannot fail

use std::hint::black_box;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use mspdesk_domain::{
    billing_report, ClientBillingInput, Currency, FxTable, Money, Period, PricedInstance, Provider,
};
use mspdesk_reports::{to_csv, to_pdf, Layout, ReportBranding};
use rust_decimal_macros::dec;
use uuid::Uuid;

fn inputs() -> Vec<ClientBillingInput> {
    let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
    (0..1000)
        .map(|c| ClientBillingInput {
            client_id: Uuid::now_v7(),
            company_name: format!("Client {c:04} Łódź Müller GmbH"),
            plan_name: "Business".into(),
            license_fee: Money::new(dec!(19.00), Currency::EUR),
            instances: (0..20)
                .map(|i| {
                    let (provider, currency, hourly, monthly) = if i % 2 == 0 {
                        (Provider::Hetzner, Currency::EUR, dec!(0.0121), dec!(7.55))
                    } else {
                        (
                            Provider::Digitalocean,
                            Currency::USD,
                            dec!(0.03571),
                            dec!(24.00),
                        )
                    };
                    PricedInstance {
                        id: Uuid::now_v7(),
                        name: format!("srv-{c}-{i}"),
                        provider,
                        server_type: "cpx21".into(),
                        hourly,
                        monthly,
                        currency,
                        created_at: start + Duration::hours(i64::from(i) * 37 + i64::from(c % 50)),
                        deleted_at: (i % 5 == 0).then(|| start + Duration::days(50)),
                    }
                })
                .collect(),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let period = Period::parse("2026-11").unwrap();
    let fx = FxTable::new(Currency::EUR).with_rate(Currency::USD, dec!(0.96));
    let report = billing_report(&inputs, period, period.end(), &fx).unwrap();
    assert_eq!(report.line_count(), 20_000);
    let branding = ReportBranding {
        msp_name: "Bench MSP".into(),
        logo_png: None,
    };

    let mut group = c.benchmark_group("all_clients_1000x20");
    group.sample_size(10);
    group.bench_function("compute_report", |b| {
        b.iter(|| billing_report(black_box(&inputs), period, period.end(), &fx).unwrap())
    });
    group.bench_function("summary_csv", |b| {
        b.iter(|| {
            to_csv(
                black_box(&report),
                Layout::Summary,
                "Nordlicht IT-Service GmbH",
            )
        })
    });
    group.bench_function("summary_pdf", |b| {
        b.iter(|| to_pdf(black_box(&report), Layout::Summary, &branding).unwrap())
    });
    group.bench_function("lines_csv", |b| {
        b.iter(|| {
            to_csv(
                black_box(&report),
                Layout::Lines,
                "Nordlicht IT-Service GmbH",
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
