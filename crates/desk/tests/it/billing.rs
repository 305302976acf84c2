//! One billing path: the desk's offline report for a period equals the server's
//! `GET /billing/report` for the same data, line for line, to the cent and in the same order,
//! with company names where case rules disagree between Rust and PostgreSQL.

use chrono::{Duration, Utc};
use mspdesk_api::types::{CreateClient, CreateServer, PriceInput};
use mspdesk_domain::{Email, Period};

use crate::support::*;

/// Names whose lower-casing differs between Rust and PostgreSQL, or that differ only in
/// case, or are equal.
const NAMES: &[&str] = &[
    "Straße",
    "STRASSE",
    "strasse",
    "İstanbul",
    "istanbul",
    "ΣΟΦΙΑ",
    "σοφια",
    "Acme",
    "acme",
    "Acme",
    "Zürich AG",
    "émile & fils",
];

#[tokio::test]
async fn the_desk_report_equals_the_servers_to_the_cent_and_in_order() {
    let (_, pool) = mspdesk_testkit::fresh_database().await;
    let email = "billing@names-msp.example";
    let password = "billing password 2026";
    mspdesk_server::store::setup::create_msp(
        &pool,
        "Names MSP",
        &Email::parse(email).unwrap(),
        &secret(password),
    )
    .await
    .unwrap();
    let w = bare_world(pool).await;
    let api = operator_as(&w, email, password).await;
    let plans = api.plans().await.unwrap().items;

    let last_month = Period::containing(Utc::now()).prev().unwrap();
    let start = last_month.start();
    for (i, name) in NAMES.iter().enumerate() {
        let client = api
            .create_client(
                &CreateClient {
                    company_name: (*name).to_owned(),
                    contact_email: format!("it{i}@names.example"),
                    plan_id: plans[i % plans.len()].id.to_string(),
                    quotas: None,
                },
                None,
            )
            .await
            .unwrap();
        let tenant = api.with_token(api.client_token(client.id).await.unwrap().token);
        let n = i64::try_from(i).unwrap();
        let servers = [
            // Hetzner (EUR), all month.
            ("hetzner", "cx22", start - Duration::days(3), None, None),
            // DigitalOcean (USD, converted), part of the month.
            (
                "digitalocean",
                "s-1vcpu-512mb-10gb",
                start + Duration::hours(7 * n + 5),
                Some(start + Duration::days(9) + Duration::minutes(13 * n)),
                None,
            ),
            // Other, with its own odd price, started mid-month.
            (
                "other",
                "colo-1u",
                start + Duration::days(12) + Duration::seconds(37 * n),
                None,
                Some(PriceInput {
                    hourly: "0.0137".into(),
                    monthly: "8.33".into(),
                    currency: "USD".into(),
                }),
            ),
        ];
        for (j, (provider, server_type, created_at, deleted_at, price)) in
            servers.into_iter().enumerate()
        {
            tenant
                .create_server(
                    &CreateServer {
                        name: format!("srv-{i}-{j}"),
                        provider: provider.into(),
                        server_type: server_type.into(),
                        storage_gb: 10,
                        region: None,
                        created_at: Some(created_at),
                        deleted_at,
                        price,
                    },
                    None,
                )
                .await
                .unwrap();
        }
    }

    // The client list pages through these names one at a time without skipping or
    // repeating, in the order of one big page.
    let whole: Vec<_> = api
        .list_clients(None, Some(500), None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(whole.len(), NAMES.len());
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = api
            .list_clients(None, Some(1), cursor.as_deref())
            .await
            .unwrap();
        paged.extend(page.items.into_iter().map(|c| c.id));
        assert!(paged.len() <= NAMES.len(), "the cursor repeats rows");
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, whole);

    let desk = sign_in_as(&w, email, password).await;
    desk.sync(|_| {}, &never()).await.unwrap();

    let server_report = api
        .billing_report(&last_month.to_string(), None)
        .await
        .unwrap();
    let desk_report = desk.report(last_month, None, Utc::now()).await.unwrap();
    assert_eq!(server_report.clients.len(), NAMES.len());
    assert!(server_report.total > rust_decimal::Decimal::ZERO);
    assert_eq!(
        desk_report
            .clients
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        server_report
            .clients
            .iter()
            .map(|c| c.company_name.as_str())
            .collect::<Vec<_>>(),
        "the same order of clients"
    );
    assert_eq!(desk_report, server_report);

    // And for each client alone.
    for c in &server_report.clients {
        let id = c.client_id.try_into().unwrap();
        assert_eq!(
            desk.report(last_month, Some(id), Utc::now()).await.unwrap(),
            api.billing_report(&last_month.to_string(), Some(id))
                .await
                .unwrap(),
            "{}",
            c.company_name
        );
    }
}

#[tokio::test]
async fn reports_name_the_msp_that_issues_them() {
    use mspdesk_desk::{ExportRequest, ReportFormat, ReportScope};

    let w = world().await;
    let desk = signed_in(&w).await;
    desk.sync(|_| {}, &never()).await.unwrap();
    let period = Period::containing(Utc::now());
    assert_eq!(desk.msp_name().await.unwrap(), "Demo MSP");
    let all = desk
        .report_file_name(period, ReportScope::All, ReportFormat::Pdf)
        .await
        .unwrap();
    assert_eq!(
        all,
        format!("Demo MSP - billing {period} - all clients.pdf")
    );
    let client = desk.find_client("müller").await.unwrap();
    let one = desk
        .report_file_name(period, ReportScope::Client(client.id), ReportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(
        one,
        format!("Demo MSP - billing {period} - {}.csv", client.company_name)
    );

    let export = |scope, format, output: std::path::PathBuf| ExportRequest {
        period,
        scope,
        format,
        output,
        msp_name: None,
        logo: None,
    };
    let pdf = w.data.join(&all);
    desk.export_report(
        &export(ReportScope::All, ReportFormat::Pdf, pdf.clone()),
        Utc::now(),
    )
    .await
    .unwrap();
    let text = std::process::Command::new("pdftotext")
        .args([pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Demo MSP"), "{text}");
    assert!(!text.contains("127.0.0.1"), "{text}");
    let info = std::process::Command::new("pdfinfo")
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("Demo MSP: Billing summary"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );

    let csv = w.data.join(&one);
    desk.export_report(
        &export(
            ReportScope::Client(client.id),
            ReportFormat::Csv,
            csv.clone(),
        ),
        Utc::now(),
    )
    .await
    .unwrap();
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let issuer = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "issuer")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| &r[issuer] == "Demo MSP"));
}
