//! Verified custom domains, against a DNS server on loopback: pending claims with stable
//! tokens, verification, the first to verify owning the domain, 409 for a verified domain,
//! races, the Control Panel's own host name, release on change and on delete, and a DNS server
//! that does not answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use mspdesk_api::client::ApiClient;
use mspdesk_api::types::{
    Branding, ChangeKind, DomainVerification, UpdateBranding, VerificationStatus,
};
use mspdesk_api::ProblemCode;
use mspdesk_domain::DomainName;
use mspdesk_server::dns::Nameserver;
use mspdesk_server::DomainSettings;
use tokio::net::UdpSocket;

use crate::helpers::*;

/// A DNS server on 127.0.0.1: answers TXT queries from its map, NXDOMAIN for names it does not
/// hold (and an empty answer for other record types of names it holds).
struct FakeDns {
    addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeDns {
    async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind DNS");
        let addr = socket.local_addr().expect("DNS addr");
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let held = records.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let answer = answer(&query, &held.lock().unwrap());
                let _ = socket.send_to(&answer.to_vec().unwrap(), from).await;
            }
        });
        Self {
            addr,
            records,
            task,
        }
    }

    /// Publishes TXT `values` at `name` (replacing what it had).
    fn set(&self, name: &str, values: &[&str]) {
        self.records.lock().unwrap().insert(
            name.to_owned(),
            values.iter().map(|v| (*v).to_owned()).collect(),
        );
    }

    fn settings(&self) -> DomainSettings {
        DomainSettings {
            nameserver: Nameserver::At(self.addr),
            public_host: None,
        }
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(query: &Message, records: &HashMap<String, Vec<String>>) -> Message {
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.message_type = MessageType::Response;
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.queries = query.queries.clone();
    let Some(q) = query.queries.first() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return reply;
    };
    let name = q.name().to_lowercase().to_ascii();
    match records.get(name.trim_end_matches('.')) {
        None => reply.metadata.response_code = ResponseCode::NXDomain,
        Some(values) if q.query_type() == RecordType::TXT => {
            for v in values {
                reply.add_answer(Record::from_rdata(
                    q.name().clone(),
                    0,
                    RData::TXT(TXT::new(vec![v.clone()])),
                ));
            }
        }
        Some(_) => {}
    }
    reply
}

fn with_domain(domain: Option<&str>) -> UpdateBranding {
    UpdateBranding {
        company_name: Some("Portal".into()),
        custom_domain: domain.map(str::to_owned),
        ..UpdateBranding::default()
    }
}

/// Sets the tenant's custom domain (as the current version) and returns the new branding.
async fn set_domain(api: &ApiClient, domain: Option<&str>) -> Branding {
    let version = api.branding().await.unwrap().version;
    api.set_branding(&with_domain(domain), version)
        .await
        .unwrap()
}

fn verification(b: &Branding) -> &DomainVerification {
    b.custom_domain_verification
        .as_ref()
        .expect("a custom domain has a verification")
}

fn status(b: &Branding) -> VerificationStatus {
    verification(b).status
}

#[tokio::test]
async fn a_claim_is_pending_with_a_token_that_stays_with_the_tenant_and_domain() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Claims A", unlimited()).await;
    let b = client(&msp, "Claims B", unlimited()).await;

    let none = a.api.branding().await.unwrap();
    assert_eq!(none.custom_domain_verification, None);
    assert_eq!(none.warnings, []);

    let first = set_domain(&a.api, Some("Portal.Claims.example")).await;
    let v = verification(&first).clone();
    assert_eq!(v.status, VerificationStatus::Pending);
    assert_eq!(v.record_name, "_mspdesk-challenge.portal.claims.example");
    assert_eq!(v.record_value.len(), 64);
    assert!(v
        .record_value
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(v.checked_at, None);
    assert_eq!(v.reason, None);
    assert_eq!(verification(&a.api.branding().await.unwrap()), &v);

    // Saving other fields keeps the claim as it is.
    let version = first.version;
    let recoloured = a
        .api
        .set_branding(
            &UpdateBranding {
                primary_color: Some("#112233".into()),
                ..with_domain(Some("portal.claims.example"))
            },
            version,
        )
        .await
        .unwrap();
    assert_eq!(verification(&recoloured), &v);

    // Another domain, another token; back to the first, the first token again.
    let other = set_domain(&a.api, Some("other.claims.example")).await;
    assert_eq!(
        verification(&other).record_name,
        "_mspdesk-challenge.other.claims.example"
    );
    assert_ne!(verification(&other).record_value, v.record_value);
    let back = set_domain(&a.api, Some("portal.claims.example")).await;
    assert_eq!(verification(&back), &v);

    // Another tenant claiming the same name gets its own token.
    let theirs = set_domain(&b.api, Some("portal.claims.example")).await;
    assert_eq!(status(&theirs), VerificationStatus::Pending);
    assert_ne!(verification(&theirs).record_value, v.record_value);

    // Clearing the domain clears the verification.
    let cleared = set_domain(&a.api, None).await;
    assert_eq!(cleared.custom_domain_verification, None);
}

#[tokio::test]
async fn verify_fails_with_a_reason_until_the_record_exists() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Verify A", unlimited()).await;
    let claimed = set_domain(&a.api, Some("portal.verify.example")).await;
    let v = verification(&claimed).clone();
    let cursor = msp.api.changes(None, None).await.unwrap().next_cursor;

    // Nothing published yet: NXDOMAIN.
    let missing = a.api.verify_custom_domain().await.unwrap();
    let failed = verification(&missing);
    assert_eq!(failed.status, VerificationStatus::Failed);
    assert!(failed.checked_at.is_some());
    let reason = failed.reason.clone().unwrap();
    assert!(
        reason.contains("_mspdesk-challenge.portal.verify.example") && reason.contains("NXDOMAIN"),
        "{reason}"
    );
    assert_eq!(verification(&a.api.branding().await.unwrap()), failed);
    // The version does not move: verification is not an edit.
    assert_eq!(missing.version, claimed.version);

    // A record with another value: the reason shows what was found.
    dns.set(&v.record_name, &["v=something-else"]);
    let wrong = a.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&wrong), VerificationStatus::Failed);
    let reason = verification(&wrong).reason.clone().unwrap();
    assert!(reason.contains("found \"v=something-else\""), "{reason}");

    // The token among other records: verified.
    dns.set(&v.record_name, &["v=something-else", &v.record_value]);
    let verified = a.api.verify_custom_domain().await.unwrap();
    let ok = verification(&verified);
    assert_eq!(ok.status, VerificationStatus::Verified);
    assert_eq!(ok.reason, None);
    assert_eq!(ok.record_value, v.record_value);
    assert!(ok.checked_at >= failed.checked_at);
    assert_eq!(verification(&a.api.branding().await.unwrap()), ok);

    // The change reaches the MSP's feed (so desks refetch), with the new state in its body.
    let page = msp.api.changes(Some(&cursor), None).await.unwrap();
    let item = page
        .items
        .iter()
        .find(|i| i.kind == ChangeKind::Branding && i.id == a.id.to_string())
        .expect("a branding change");
    let body: Branding = serde_json::from_value(item.body.clone().unwrap()).unwrap();
    assert_eq!(status(&body), VerificationStatus::Verified);

    // Audited.
    let audit = msp.api.audit(Some(50), None).await.unwrap();
    assert!(audit
        .items
        .iter()
        .any(|e| e.action.as_str() == "branding.domain_verify"
            && e.target_id == "portal.verify.example"));

    // The record removed and checked again: failed, and the domain is released.
    dns.set(&v.record_name, &[]);
    let gone = a.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&gone), VerificationStatus::Failed);
    assert!(verification(&gone)
        .reason
        .clone()
        .unwrap()
        .contains("has no TXT record"));
    let owners: i64 = sqlx::query_scalar("SELECT count(*) FROM verified_domains")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(owners, 0);
}

#[tokio::test]
async fn the_first_to_verify_owns_the_domain_and_the_other_claims_fail() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp1 = msp(&app).await;
    let msp2 = msp(&app).await;
    let a = client(&msp1, "Owner A", unlimited()).await;
    let b = client(&msp1, "Sibling B", unlimited()).await;
    let c = client(&msp2, "Other MSP C", unlimited()).await;
    let late = client(&msp2, "Late D", unlimited()).await;
    let domain = "shop.owner.example";
    let mut tokens = Vec::new();
    for t in [&a, &b, &c] {
        tokens.push(verification(&set_domain(&t.api, Some(domain)).await).clone());
    }
    let record = tokens[0].record_name.clone();
    let values: Vec<&str> = tokens.iter().map(|v| v.record_value.as_str()).collect();
    dns.set(&record, &values);

    let won = a.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&won), VerificationStatus::Verified);

    // The others' pending claims now read failed, with the reason, in both MSPs.
    for t in [&b, &c] {
        let theirs = t.api.branding().await.unwrap();
        let v = verification(&theirs);
        assert_eq!(v.status, VerificationStatus::Failed);
        assert_eq!(
            v.reason.as_deref(),
            Some("another account verified this domain first")
        );
        assert!(v.checked_at.is_some());
    }
    // The MSP sees the same through the change feed's bodies.
    let feed = msp1.api.changes(None, None).await.unwrap();
    let b_body = feed
        .items
        .iter()
        .find(|i| i.kind == ChangeKind::Branding && i.id == b.id.to_string())
        .unwrap();
    let b_branding: Branding = serde_json::from_value(b_body.body.clone().unwrap()).unwrap();
    assert_eq!(status(&b_branding), VerificationStatus::Failed);

    // Their record being there does not help: the domain is taken.
    let tried = c.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&tried), VerificationStatus::Failed);
    assert_eq!(
        verification(&tried).reason.as_deref(),
        Some("another account verified this domain first")
    );
    assert_eq!(
        status(&a.api.branding().await.unwrap()),
        VerificationStatus::Verified
    );

    // A new claim on a verified domain: 409 conflict on custom_domain, nothing saved.
    let before = late.api.branding().await.unwrap();
    let err = late
        .api
        .set_branding(&with_domain(Some("SHOP.owner.example")), before.version)
        .await
        .unwrap_err();
    let p = err.problem().unwrap();
    assert_eq!(p.status, 409);
    assert_eq!(p.code, ProblemCode::Conflict);
    assert_eq!(p.field.as_deref(), Some("custom_domain"));
    assert_eq!(late.api.branding().await.unwrap(), before);
    // The owner saving its branding again is fine.
    let again = set_domain(&a.api, Some(domain)).await;
    assert_eq!(status(&again), VerificationStatus::Verified);

    // Clearing the domain releases it: a waiting claimant can verify now.
    set_domain(&a.api, None).await;
    let freed = b.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&freed), VerificationStatus::Verified);
    assert_eq!(
        verification(&c.api.branding().await.unwrap())
            .reason
            .as_deref(),
        Some("another account verified this domain first")
    );
    // Switching to another domain releases it too; A's old token still works when it comes back.
    set_domain(&b.api, Some("elsewhere.owner.example")).await;
    let back = set_domain(&a.api, Some(domain)).await;
    assert_eq!(status(&back), VerificationStatus::Pending);
    assert_eq!(verification(&back).record_value, tokens[0].record_value);
    let regained = a.api.verify_custom_domain().await.unwrap();
    assert_eq!(status(&regained), VerificationStatus::Verified);
}

#[tokio::test]
async fn concurrent_verifications_have_exactly_one_winner() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp1 = msp(&app).await;
    let msp2 = msp(&app).await;
    let domain = "race.contest.example";
    let mut tenants = Vec::new();
    for (i, m) in [&msp1, &msp2, &msp1, &msp2].into_iter().enumerate() {
        tenants.push(client(m, &format!("Racer {i}"), unlimited()).await);
    }
    let mut values = Vec::new();
    let mut record = String::new();
    for t in &tenants {
        let v = verification(&set_domain(&t.api, Some(domain)).await).clone();
        record = v.record_name;
        values.push(v.record_value);
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    dns.set(&record, &values);

    for round in 0..3 {
        let results =
            futures::future::join_all(tenants.iter().map(|t| t.api.verify_custom_domain())).await;
        let statuses: Vec<VerificationStatus> = results
            .iter()
            .map(|r| status(r.as_ref().unwrap()))
            .collect();
        let winners = statuses
            .iter()
            .filter(|s| **s == VerificationStatus::Verified)
            .count();
        assert_eq!(winners, 1, "round {round}: {statuses:?}");
        for r in &results {
            let v = verification(r.as_ref().unwrap());
            if v.status == VerificationStatus::Failed {
                assert_eq!(
                    v.reason.as_deref(),
                    Some("another account verified this domain first")
                );
            }
        }
        // Release for the next round: the winner clears its domain, then claims it again.
        let winner = statuses
            .iter()
            .position(|s| *s == VerificationStatus::Verified)
            .unwrap();
        set_domain(&tenants[winner].api, None).await;
        set_domain(&tenants[winner].api, Some(domain)).await;
    }
    let owners: i64 = sqlx::query_scalar("SELECT count(*) FROM verified_domains")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(owners, 0);
}

#[tokio::test]
async fn the_control_panels_own_host_and_names_under_it_are_refused() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: DomainSettings {
            public_host: Some(DomainName::parse("cp.msp-desk.example").unwrap()),
            ..dns.settings()
        },
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Host A", unlimited()).await;

    let refused = |err: mspdesk_api::client::ApiError| refused_fields(&err);
    for domain in [
        "cp.msp-desk.example",
        "CP.msp-desk.example.",
        "portal.cp.msp-desk.example",
        "a.b.cp.msp-desk.example",
        "192.0.2.7",
        "[2001:db8::1]",
    ] {
        let err = a
            .api
            .set_branding(&with_domain(Some(domain)), 1)
            .await
            .unwrap_err();
        assert_eq!(refused(err), ["custom_domain"], "{domain}");
    }
    // Listed with the other bad fields at once.
    let err = a
        .api
        .set_branding(
            &UpdateBranding {
                primary_color: Some("blue-ish".into()),
                ..with_domain(Some("x.cp.msp-desk.example"))
            },
            1,
        )
        .await
        .unwrap_err();
    assert_eq!(refused(err), ["primary_color", "custom_domain"]);
    // Neighbours are not under it.
    for domain in [
        "msp-desk.example",
        "xcp.msp-desk.example",
        "cp.msp-desk.example.org",
    ] {
        let saved = set_domain(&a.api, Some(domain)).await;
        assert_eq!(status(&saved), VerificationStatus::Pending, "{domain}");
    }
}

#[tokio::test]
async fn verify_without_a_custom_domain_is_422() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "No Domain", unlimited()).await;
    for _ in 0..2 {
        let err = a.api.verify_custom_domain().await.unwrap_err();
        let p = err.problem().unwrap();
        assert_eq!(p.status, 422);
        assert_eq!(
            p.errors.as_ref().unwrap()[0].field,
            "custom_domain",
            "{p:?}"
        );
        // Set and cleared again: still none.
        set_domain(&a.api, Some("tmp.none.example")).await;
        set_domain(&a.api, None).await;
    }
}

#[tokio::test]
async fn deleting_the_client_releases_its_domain() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Leaving A", unlimited()).await;
    let b = client(&msp, "Staying B", unlimited()).await;
    let domain = "portal.leaving.example";
    let va = verification(&set_domain(&a.api, Some(domain)).await).clone();
    let vb = verification(&set_domain(&b.api, Some(domain)).await).clone();
    dns.set(&va.record_name, &[&va.record_value, &vb.record_value]);
    assert_eq!(
        status(&a.api.verify_custom_domain().await.unwrap()),
        VerificationStatus::Verified
    );
    assert_eq!(
        status(&b.api.branding().await.unwrap()),
        VerificationStatus::Failed
    );
    msp.api.delete_client(a.id).await.unwrap();
    // B never checked: its claim is pending again, and now it can win.
    assert_eq!(
        status(&b.api.branding().await.unwrap()),
        VerificationStatus::Pending
    );
    assert_eq!(
        status(&b.api.verify_custom_domain().await.unwrap()),
        VerificationStatus::Verified
    );
}

#[tokio::test]
async fn a_dns_server_that_does_not_answer_fails_the_check_within_seconds() {
    // A socket that never answers (a timeout), and a port with nothing behind it.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let closed = {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.local_addr().unwrap()
    };
    for (server, says) in [
        (silent.local_addr().unwrap(), "did not answer within 3 s"),
        (
            closed,
            "looked up TXT _mspdesk-challenge.portal.silent.example",
        ),
    ] {
        let app = spawn_app_with(AppOptions {
            domains: DomainSettings {
                nameserver: Nameserver::At(server),
                public_host: None,
            },
            ..AppOptions::default()
        })
        .await;
        let msp = msp(&app).await;
        let a = client(&msp, "Silent", unlimited()).await;
        set_domain(&a.api, Some("portal.silent.example")).await;
        let started = Instant::now();
        let checked = a.api.verify_custom_domain().await.unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "took {took:?}");
        let v = verification(&checked);
        assert_eq!(v.status, VerificationStatus::Failed);
        let reason = v.reason.clone().unwrap();
        assert!(reason.contains(says), "{reason}");
        assert!(reason.ends_with("then verify again"), "{reason}");
        assert!(reason.contains(&v.record_value), "{reason}");
    }
}

#[tokio::test]
async fn ownership_rows_are_visible_to_every_tenant_but_written_only_by_their_own() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp1 = msp(&app).await;
    let msp2 = msp(&app).await;
    let a = client(&msp1, "Rows A", unlimited()).await;
    let c = client(&msp2, "Rows C", unlimited()).await;
    let v = verification(&set_domain(&a.api, Some("rows.example")).await).clone();
    dns.set(&v.record_name, &[&v.record_value]);
    a.api.verify_custom_domain().await.unwrap();

    // As C (a client of another MSP), through the app role and RLS alone.
    let mut tx = as_tenant(&app.pool, Some(c.id.as_uuid())).await;
    let seen: Vec<String> = sqlx::query_scalar("SELECT domain FROM verified_domains")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, ["rows.example"]);
    // Deleting everything deletes nothing of A's; A's claim is not even visible.
    let deleted = sqlx::query("DELETE FROM verified_domains")
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(deleted, 0);
    let claims: i64 = sqlx::query_scalar("SELECT count(*) FROM domain_claims")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(claims, 0);
    // Taking a domain in A's name is refused by the policy.
    sqlx::query("SAVEPOINT s").execute(&mut *tx).await.unwrap();
    let forged = sqlx::query(
        "INSERT INTO verified_domains (domain, tenant_id, msp_id) VALUES ('forged.example', $1, $2)",
    )
    .bind(a.id.as_uuid())
    .bind(msp1.tenant.as_uuid())
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err());
    sqlx::query("ROLLBACK TO SAVEPOINT s")
        .execute(&mut *tx)
        .await
        .unwrap();
    // With no tenant set, nothing is visible.
    sqlx::query("SELECT set_config('app.tenant_id', '', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let none: i64 = sqlx::query_scalar("SELECT count(*) FROM verified_domains")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(none, 0);
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn the_migration_turns_existing_custom_domains_into_pending_claims() {
    // A database at migration 0004 (copies of the first four files), with a client whose
    // branding has a custom domain, as the unique index allowed.
    let url = empty_database().await;
    let pool = mspdesk_server::db::connect(&url, 2).await.unwrap();
    let dir = std::env::temp_dir().join(format!("mspdesk-0004-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/server");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0005" {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // An MSP with a plan, written as that schema had them (today's code expects today's).
    let msp = uuid::Uuid::now_v7();
    let mut tx = as_tenant(&pool, Some(msp)).await;
    sqlx::raw_sql(&format!(
        "INSERT INTO providers (id, name) VALUES ('{msp}', 'Old MSP');
         INSERT INTO plans (tenant_id, id, name, license_fee, currency)
             VALUES ('{msp}', gen_random_uuid(), 'Basic', 5, 'EUR');"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let client = uuid::Uuid::now_v7();
    let rows_as = async |tenant: uuid::Uuid, sql: &str| {
        let mut tx = as_tenant(&pool, Some(tenant)).await;
        let rows: Vec<(String, String, String)> = sqlx::query_as(sql)
            .bind(client)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        rows
    };
    rows_as(
        msp,
        "INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
         SELECT tenant_id, $1, 'Old Client', 'it@old.example', id FROM plans LIMIT 1
         RETURNING '', '', ''",
    )
    .await;
    rows_as(
        client,
        "INSERT INTO branding (tenant_id, custom_domain) VALUES ($1, 'portal.old.example')
         RETURNING '', '', ''",
    )
    .await;

    mspdesk_server::migrate(&pool).await.unwrap();

    let claims = rows_as(
        client,
        "SELECT domain, token, status FROM domain_claims WHERE tenant_id = $1",
    )
    .await;
    assert_eq!(claims.len(), 1, "{claims:?}");
    let (domain, token, status) = &claims[0];
    assert_eq!(
        (domain.as_str(), status.as_str()),
        ("portal.old.example", "pending")
    );
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    // Row-level security on branding is forced again after the backfill.
    let forced: bool =
        sqlx::query_scalar("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'branding'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(forced);
}

#[tokio::test]
async fn a_check_that_gets_no_answer_keeps_a_verified_domain() {
    let dns = FakeDns::start().await;
    let app = spawn_app_with(AppOptions {
        domains: dns.settings(),
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Outage", unlimited()).await;
    let v = verification(&set_domain(&a.api, Some("portal.outage.example")).await).clone();
    dns.set(&v.record_name, &[&v.record_value]);
    let verified = verification(&a.api.verify_custom_domain().await.unwrap()).clone();
    assert_eq!(verified.status, VerificationStatus::Verified);
    assert_eq!(verified.reason, None);

    // A second instance on the same database whose DNS server never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let other = spawn_app_with(AppOptions {
        domains: DomainSettings {
            nameserver: Nameserver::At(silent.local_addr().unwrap()),
            public_host: None,
        },
        ..AppOptions::on(&app.db_url, &app.pool)
    })
    .await;
    let token = msp.api.client_token(a.id).await.unwrap();
    let through_other = ApiClient::new(&other.url).unwrap().with_token(token.token);
    let kept = verification(&through_other.verify_custom_domain().await.unwrap()).clone();
    assert_eq!(kept.status, VerificationStatus::Verified);
    assert_eq!(
        kept.checked_at, verified.checked_at,
        "the record was not seen again"
    );
    let reason = kept.reason.unwrap();
    assert!(reason.contains("did not answer within 3 s"), "{reason}");
    assert!(reason.contains("stays verified"), "{reason}");
    // Still the owner: another client cannot claim it.
    let b = client(&msp, "Claimant", unlimited()).await;
    let version = b.api.branding().await.unwrap().version;
    let err = b
        .api
        .set_branding(&with_domain(Some("portal.outage.example")), version)
        .await
        .unwrap_err();
    assert_eq!(err.problem().unwrap().code, ProblemCode::Conflict);

    // The record gone, as a working DNS server says: the domain is released.
    dns.set(&v.record_name, &[]);
    let released = verification(&a.api.verify_custom_domain().await.unwrap()).clone();
    assert_eq!(released.status, VerificationStatus::Failed);
    assert!(!released.reason.unwrap().contains("stays verified"));
}
