//! The `mspdesk` CLI end to end: login, sync, clients list, reports to PDF and CSV, and its
//! failures, against the real server, with the token in the real keyring.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::io::Write;
use std::process::{Command, Output, Stdio};

use mspdesk_testkit::*;

fn mspdesk(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mspdesk"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn login_sync_list_and_export_reports() {
    let (_, pool) = fresh_database().await;
    mspdesk_server::demo::seed(&pool).await.unwrap();
    let server = Server::start(&pool).await;
    let url = format!("http://{}", server.addr);
    let data = data_dir();

    // Each step runs the binary in its own thread: it talks to the server running here. All
    // output is kept, to check that no token ever shows in it.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let run = |args: Vec<String>, stdin: Option<String>| {
        let data = data.clone();
        let seen = seen.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = mspdesk(&data, &args, stdin.as_deref());
            seen.lock()
                .unwrap()
                .push(text(&out.stdout) + &text(&out.stderr));
            out
        })
    };
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();

    let help = run(s(&["--help"]), None).await.unwrap();
    assert!(help.status.success());
    for cmd in [
        "login",
        "logout",
        "sync",
        "clients",
        "quotas",
        "branding",
        "catalog",
        "conflicts",
        "report",
    ] {
        assert!(text(&help.stdout).contains(cmd), "--help lacks {cmd}");
    }

    // Not signed in yet.
    let early = run(s(&["clients", "list"]), None).await.unwrap();
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("not signed in"),
        "{}",
        text(&early.stderr)
    );

    let wrong = run(
        s(&["login", "--server", &url, "--email", DEMO_EMAIL]),
        Some("not the password\n".into()),
    )
    .await
    .unwrap();
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("wrong e-mail or password"),
        "{}",
        text(&wrong.stderr)
    );
    assert!(!text(&wrong.stderr).contains("not the password"));

    let login = run(
        s(&["login", "--server", &url, "--email", DEMO_EMAIL]),
        Some(format!("{DEMO_PASSWORD}\n")),
    )
    .await
    .unwrap();
    assert!(login.status.success(), "{}", text(&login.stderr));

    let sync = run(s(&["sync"]), None).await.unwrap();
    assert!(sync.status.success(), "{}", text(&sync.stderr));
    assert!(
        text(&sync.stdout).contains("synced 3 clients"),
        "{}",
        text(&sync.stdout)
    );

    let list = run(s(&["clients", "list", "--json"]), None).await.unwrap();
    assert!(list.status.success());
    let clients: Vec<mspdesk_api::types::ClientSummary> =
        serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(clients.len(), 3);
    let table = run(s(&["clients", "list"]), None).await.unwrap();
    assert!(text(&table.stdout).contains("Müller GmbH"));

    let period = mspdesk_domain::Period::containing(chrono::Utc::now()).to_string();
    let csv_path = data.join("all.csv");
    let csv_out = run(
        s(&[
            "report",
            "--period",
            &period,
            "--all",
            "--format",
            "csv",
            "-o",
            csv_path.to_str().unwrap(),
        ]),
        None,
    )
    .await
    .unwrap();
    assert!(csv_out.status.success(), "{}", text(&csv_out.stderr));
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4, "three clients and the total");
    assert_eq!(&rows[3][3], "TOTAL");
    let sum: rust_decimal::Decimal = rows[..3]
        .iter()
        .map(|r| r[8].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(sum, rows[3][8].parse::<rust_decimal::Decimal>().unwrap());

    let pdf_path = data.join("mueller.pdf");
    let pdf_out = run(
        s(&[
            "report",
            "--period",
            &period,
            "--client",
            "Müller GmbH",
            "--format",
            "pdf",
            "-o",
            pdf_path.to_str().unwrap(),
            "--msp-name",
            "Demo MSP",
        ]),
        None,
    )
    .await
    .unwrap();
    assert!(pdf_out.status.success(), "{}", text(&pdf_out.stderr));
    let extracted = Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .unwrap();
    let pdf_text = text(&extracted.stdout);
    assert!(
        pdf_text.contains("Müller GmbH")
            && pdf_text.contains("Demo MSP")
            && pdf_text.contains("muc-web-01"),
        "{pdf_text}"
    );

    // Failures: clear message, non-zero exit.
    for (args, needle) in [
        (
            s(&[
                "report",
                "--period",
                "2026-13",
                "--all",
                "--format",
                "csv",
                "-o",
                "/tmp/x.csv",
            ]),
            "--period",
        ),
        (
            s(&[
                "report",
                "--period",
                &period,
                "--client",
                "No Such Client",
                "--format",
                "csv",
                "-o",
                "/tmp/x.csv",
            ]),
            "No Such Client",
        ),
        (
            s(&["quotas", "set", "Müller GmbH", "--max-servers", "-3"]),
            "max_servers",
        ),
        (
            s(&[
                "branding",
                "draft",
                "set",
                "Müller GmbH",
                "--primary-color",
                "blue",
            ]),
            "primary_color",
        ),
    ] {
        let out = run(args.clone(), None).await.unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }

    // Drafts through the CLI, published by sync.
    let set = run(
        s(&[
            "branding",
            "draft",
            "set",
            "Müller GmbH",
            "--primary-color",
            "#123456",
            "--company-name",
            "Müller Cloud",
        ]),
        None,
    )
    .await
    .unwrap();
    assert!(set.status.success(), "{}", text(&set.stderr));
    let show = run(s(&["branding", "draft", "show", "Müller GmbH"]), None)
        .await
        .unwrap();
    assert!(text(&show.stdout).contains("#123456"));
    let publish = run(s(&["branding", "draft", "publish", "Müller GmbH"]), None)
        .await
        .unwrap();
    assert!(publish.status.success(), "{}", text(&publish.stderr));
    let quotas = run(
        s(&["quotas", "set", "Müller GmbH", "--max-users", "unlimited"]),
        None,
    )
    .await
    .unwrap();
    assert!(quotas.status.success(), "{}", text(&quotas.stderr));
    let catalog = run(s(&["catalog", "disable", "Müller GmbH", "wordpress"]), None)
        .await
        .unwrap();
    assert!(catalog.status.success(), "{}", text(&catalog.stderr));
    assert!(run(s(&["sync"]), None).await.unwrap().status.success());
    let conflicts = run(s(&["conflicts", "list"]), None).await.unwrap();
    assert!(text(&conflicts.stdout).contains("no conflicts"));

    // The session token is in the keyring, and in none of the output above.
    let lookup = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "mspdesk"])
        .output()
        .unwrap();
    let listing = text(&lookup.stdout) + &text(&lookup.stderr);
    let tokens: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.strip_prefix("secret = "))
        .filter(|t| t.split('.').count() == 3)
        .collect();
    // The MSP's token, and a client token only for Müller GmbH, the one client written as
    // (branding, catalog): reading goes through the MSP's change feed.
    assert_eq!(
        tokens.len(),
        2,
        "the MSP token and the one client token written with"
    );
    for out in seen.lock().unwrap().iter() {
        for token in &tokens {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!out.contains(signature), "a token reached the CLI's output");
        }
    }

    // Who is signed in, and when they last synced.
    let whoami = run(s(&["whoami"]), None).await.unwrap();
    assert!(whoami.status.success(), "{}", text(&whoami.stderr));
    assert!(text(&whoami.stdout).contains(DEMO_EMAIL));
    assert!(text(&whoami.stdout).contains("last sync"));

    // A client created online is created at once; an unknown plan is refused by name.
    let created = run(
        s(&[
            "clients",
            "create",
            "--company-name",
            "Neu AG",
            "--contact-email",
            "it@neu.example",
            "--plan",
            "enterprise",
        ]),
        None,
    )
    .await
    .unwrap();
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("created Neu AG (Enterprise"));
    let table = run(s(&["clients", "list"]), None).await.unwrap();
    assert!(text(&table.stdout).contains("Neu AG"));
    let no_plan = run(
        s(&[
            "clients",
            "create",
            "--company-name",
            "Gold AG",
            "--contact-email",
            "it@gold.example",
            "--plan",
            "Gold",
        ]),
        None,
    )
    .await
    .unwrap();
    assert!(!no_plan.status.success());
    assert!(
        text(&no_plan.stderr).contains("no plan named \"Gold\"; plans: Starter"),
        "{}",
        text(&no_plan.stderr)
    );

    let logout = run(s(&["logout"]), None).await.unwrap();
    assert!(logout.status.success());
    let after = run(s(&["sync"]), None).await.unwrap();
    assert!(!after.status.success());
    server.stop().await;
}
