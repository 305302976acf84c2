//! Billing through the API: the report, prices, FX, the list's month-to-date total, and the
//! CSV and PDF renderings agreeing with the API to the cent.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::{FxRateInput, UpdateFx, UpdatePrice};
use mspdesk_api::ProblemCode;
use mspdesk_domain::Provider;
use mspdesk_reports::{to_csv, to_pdf, Layout, ReportBranding};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn imported(
    name: &str,
    provider: &str,
    server_type: &str,
    created: &str,
    deleted: Option<&str>,
) -> mspdesk_api::types::CreateServer {
    let mut body = server_body(name, 10);
    body.provider = provider.into();
    body.server_type = server_type.into();
    body.created_at = Some(at(created));
    body.deleted_at = deleted.map(at);
    body
}

#[tokio::test]
async fn report_prices_fx_and_exports_agree() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    // Clients on the Starter plan (9.00 EUR per instance per month).
    let a = client(&msp, "Müller GmbH", unlimited()).await;
    let b = client(&msp, "Łódź Hosting", unlimited()).await;
    a.api
        .create_server(
            &imported("web", "hetzner", "cx22", "2026-09-15T00:00:00Z", None),
            None,
        )
        .await
        .unwrap();
    a.api
        .create_server(
            &imported(
                "tmp",
                "hetzner",
                "cx22",
                "2026-10-10T10:00:00Z",
                Some("2026-10-10T12:30:00Z"),
            ),
            None,
        )
        .await
        .unwrap();
    b.api
        .create_server(
            &imported(
                "drop",
                "digitalocean",
                "s-1vcpu-1gb",
                "2026-10-01T00:00:00Z",
                None,
            ),
            None,
        )
        .await
        .unwrap();
    // Outside October: not billed there.
    b.api
        .create_server(
            &imported("later", "hetzner", "cx22", "2026-11-02T00:00:00Z", None),
            None,
        )
        .await
        .unwrap();

    let report = msp.api.billing_report("2026-10", None).await.unwrap();
    assert_eq!(report.currency.code(), "EUR");
    assert_eq!(report.clients.len(), 2);
    let ma = report
        .clients
        .iter()
        .find(|c| c.company_name == "Müller GmbH")
        .unwrap();
    // web: whole month, capped at 3.79; license 9.00.
    // tmp: 2.5 h -> 3 started hours * 0.0060 = 0.018 -> 0.02; license 9 * 3 / 744 = 0.0363 -> 0.04.
    assert_eq!(ma.server_count, 2);
    assert_eq!(ma.hosting_cost, dec!(3.81));
    assert_eq!(ma.license_fees, dec!(9.04));
    let lb = report
        .clients
        .iter()
        .find(|c| c.company_name == "Łódź Hosting")
        .unwrap();
    // A whole month of a 6.00 USD droplet at 0.96 = 5.76 EUR, plus 9.00.
    assert_eq!(lb.server_count, 1);
    assert_eq!(lb.hosting_cost, dec!(5.76));
    assert_eq!(lb.total, dec!(14.76));
    assert_eq!(report.total, dec!(27.61));
    assert_eq!(report.fx_rates.len(), 1);

    // One client.
    let one = msp.api.billing_report("2026-10", Some(a.id)).await.unwrap();
    assert_eq!(one.clients.len(), 1);
    assert_eq!(one.total, ma.total);

    // CSV total = PDF total = API total, to the cent.
    let csv = to_csv(&report, Layout::Lines, "Nordlicht IT-Service GmbH");
    let csv_total: Decimal = csv::Reader::from_reader(&csv[..])
        .records()
        .map(|r| r.unwrap()[11].parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(csv_total, report.total);
    let pdf = to_pdf(
        &report,
        Layout::Summary,
        &ReportBranding {
            msp_name: "Test MSP".into(),
            logo_png: None,
        },
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("mspdesk-billing-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.pdf"), &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(dir.join("r.pdf"))
        .arg("-")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let grand = text.lines().find(|l| l.contains("Grand total")).unwrap();
    assert!(grand.contains("27.61"), "{grand}");

    // A new price applies to instances registered afterwards only.
    let price = msp
        .api
        .set_price(
            Provider::Hetzner,
            "cx22",
            &UpdatePrice {
                description: None,
                hourly: "0.0100".into(),
                monthly: "6.00".into(),
                currency: "EUR".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(price.price.monthly, dec!(6.00));
    assert!(
        price.description.contains("4 GB"),
        "the description is kept: {}",
        price.description
    );
    let after = a
        .api
        .create_server(
            &imported("new", "hetzner", "cx22", "2026-10-01T00:00:00Z", None),
            None,
        )
        .await
        .unwrap();
    assert_eq!(after.price.monthly, dec!(6.0000));
    let again = msp.api.billing_report("2026-10", Some(a.id)).await.unwrap();
    let web = again.clients[0]
        .lines
        .iter()
        .find(|l| l.instance_name == "web")
        .unwrap();
    let new = again.clients[0]
        .lines
        .iter()
        .find(|l| l.instance_name == "new")
        .unwrap();
    assert_eq!(web.hosting_cost, dec!(3.79));
    assert_eq!(new.hosting_cost, dec!(6.00));
    // A new server type can be added.
    msp.api
        .set_price(
            Provider::Digitalocean,
            "s-custom",
            &UpdatePrice {
                description: Some("Custom droplet".into()),
                hourly: "0.1".into(),
                monthly: "50".into(),
                currency: "USD".into(),
            },
        )
        .await
        .unwrap();
    assert!(msp
        .api
        .prices()
        .await
        .unwrap()
        .items
        .iter()
        .any(|p| p.server_type == "s-custom"));

    // Without a USD rate the report cannot be computed, and the list shows no total.
    msp.api
        .set_fx(&UpdateFx {
            currency: "EUR".into(),
            rates: vec![],
        })
        .await
        .unwrap();
    let missing = msp.api.billing_report("2026-10", None).await.unwrap_err();
    assert_eq!(missing.code(), Some(ProblemCode::ValidationFailed));
    assert!(missing.problem().unwrap().errors.as_ref().unwrap()[0]
        .message
        .contains("USD"));
    let fx = msp
        .api
        .set_fx(&UpdateFx {
            currency: "EUR".into(),
            rates: vec![FxRateInput {
                currency: "usd".into(),
                rate: "0.5".into(),
            }],
        })
        .await
        .unwrap();
    assert_eq!(fx.rates[0].currency.code(), "USD");
    let cheaper = msp.api.billing_report("2026-10", Some(b.id)).await.unwrap();
    assert_eq!(cheaper.clients[0].hosting_cost, dec!(3.00));
}

#[tokio::test]
async fn client_list_shows_the_month_to_date_total() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let t = client(&msp, "Running", unlimited()).await;
    let idle = client(&msp, "Idle", unlimited()).await;
    let start = chrono::Utc::now() - chrono::Duration::hours(5);
    let mut body = server_body("now", 10);
    body.created_at =
        Some(start.max(mspdesk_domain::Period::containing(chrono::Utc::now()).start()));
    t.api.create_server(&body, None).await.unwrap();

    let list = msp.api.list_clients(None, None, None).await.unwrap();
    let running = list.items.iter().find(|c| c.id == t.id).unwrap();
    let total = running.monthly_total.expect("a total");
    assert_eq!(total.currency().code(), "EUR");
    assert!(total.amount() > Decimal::ZERO);
    // The same figure as the report for the current month.
    let period = mspdesk_domain::Period::containing(chrono::Utc::now()).to_string();
    let report = msp.api.billing_report(&period, Some(t.id)).await.unwrap();
    assert!(
        (report.total - total.amount()).abs() <= dec!(0.10),
        "{} vs {}",
        report.total,
        total.amount()
    );
    let zero = list
        .items
        .iter()
        .find(|c| c.id == idle.id)
        .unwrap()
        .monthly_total
        .unwrap();
    assert_eq!(zero.amount(), Decimal::ZERO);
}

#[tokio::test]
async fn billing_inputs_are_validated_and_scoped() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    let second = msp(&app).await;
    let theirs = client(&first, "Theirs", unlimited()).await;

    // Another MSP's client: not found.
    let err = second
        .api
        .billing_report("2026-10", Some(theirs.id))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ProblemCode::NotFound));
    assert!(second
        .api
        .billing_report("2026-10", None)
        .await
        .unwrap()
        .clients
        .is_empty());
    for bad in ["2026-13", "2026", "next month"] {
        assert_eq!(
            first
                .api
                .billing_report(bad, None)
                .await
                .unwrap_err()
                .code(),
            Some(ProblemCode::BadRequest),
            "{bad}"
        );
    }
    // Client tokens cannot read billing.
    let forbidden = theirs
        .api
        .billing_report("2026-10", None)
        .await
        .unwrap_err();
    assert_eq!(forbidden.code(), Some(ProblemCode::Forbidden));

    let fields = |e: mspdesk_api::client::ApiError| -> Vec<String> {
        e.problem()
            .unwrap()
            .errors
            .clone()
            .unwrap()
            .into_iter()
            .map(|f| f.field)
            .collect()
    };
    let bad_price = UpdatePrice {
        description: Some("x".repeat(101)),
        hourly: "-1".into(),
        monthly: "x".into(),
        currency: "EURO".into(),
    };
    assert_eq!(
        fields(
            first
                .api
                .set_price(Provider::Hetzner, "cx22", &bad_price)
                .await
                .unwrap_err()
        ),
        ["description", "hourly", "monthly", "currency"]
    );
    let inverted = UpdatePrice {
        description: None,
        hourly: "1".into(),
        monthly: "0.5".into(),
        currency: "EUR".into(),
    };
    assert_eq!(
        fields(
            first
                .api
                .set_price(Provider::Hetzner, "cx22", &inverted)
                .await
                .unwrap_err()
        ),
        ["monthly"]
    );
    let other = first
        .api
        .set_price(Provider::Other, "x", &inverted)
        .await
        .unwrap_err();
    assert_eq!(other.code(), Some(ProblemCode::NotFound));
    let bad_fx = UpdateFx {
        currency: "XXXX".into(),
        rates: vec![
            FxRateInput {
                currency: "USD".into(),
                rate: "0".into(),
            },
            FxRateInput {
                currency: "GBP".into(),
                rate: "abc".into(),
            },
            FxRateInput {
                currency: "nope".into(),
                rate: "1".into(),
            },
        ],
    };
    assert_eq!(
        fields(first.api.set_fx(&bad_fx).await.unwrap_err()),
        [
            "currency",
            "rates[0].rate",
            "rates[1].rate",
            "rates[2].currency"
        ]
    );
    let dup = UpdateFx {
        currency: "EUR".into(),
        rates: vec![
            FxRateInput {
                currency: "EUR".into(),
                rate: "1".into(),
            },
            FxRateInput {
                currency: "USD".into(),
                rate: "1".into(),
            },
            FxRateInput {
                currency: "USD".into(),
                rate: "2".into(),
            },
        ],
    };
    assert_eq!(
        fields(first.api.set_fx(&dup).await.unwrap_err()),
        ["rates[0].currency", "rates[2].currency"]
    );
    // Nothing changed.
    assert_eq!(first.api.fx().await.unwrap().rates.len(), 1);
}
