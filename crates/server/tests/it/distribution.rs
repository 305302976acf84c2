//! The schema as Citus distributes it (`db::distribute`). On Citus: every table is where
//! `db::DISTRIBUTED_TABLES` and `db::REFERENCE_TABLES` say, the distributed ones in one
//! co-location group by their MSP column, and a request's query plans to one shard. On one
//! PostgreSQL the same lists must name every table of the schema, so that a new table cannot
//! be forgotten by the distribution.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeSet;

use crate::helpers::*;
use mspdesk_server::db::{DISTRIBUTED_TABLES, REFERENCE_TABLES};

#[tokio::test]
async fn every_table_is_listed_for_distribution() {
    let (_, pool) = database(2).await;
    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class
         WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')
           AND relname <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let listed: BTreeSet<String> = REFERENCE_TABLES
        .iter()
        .copied()
        .chain(DISTRIBUTED_TABLES.iter().map(|(t, _)| *t))
        .map(str::to_owned)
        .collect();
    assert_eq!(tables, listed);
}

#[tokio::test]
async fn tables_are_distributed_by_msp_and_a_requests_query_stays_on_one_shard() {
    if !mspdesk_testkit::is_citus() {
        eprintln!("one PostgreSQL: nothing is distributed (the citus stage runs this)");
        return;
    }
    let app = spawn_app().await;
    let admin = &app.admin;
    let rows: Vec<(String, String, String, i32)> = sqlx::query_as(
        "SELECT table_name::text, citus_table_type, distribution_column, colocation_id
         FROM citus_tables",
    )
    .fetch_all(admin)
    .await
    .unwrap();
    let group = rows
        .iter()
        .find(|r| r.0 == "providers")
        .map(|r| r.3)
        .expect("providers is distributed");
    for (table, column) in DISTRIBUTED_TABLES {
        let row = rows.iter().find(|r| r.0 == *table).expect(table);
        assert_eq!(
            (row.1.as_str(), row.2.as_str(), row.3),
            ("distributed", *column, group),
            "{table}"
        );
    }
    for table in REFERENCE_TABLES {
        let row = rows.iter().find(|r| r.0 == *table).expect(table);
        assert_eq!(row.1, "reference", "{table}");
    }

    // The client list's query (with its per-client usage subqueries) as a request runs it.
    let msp = msp(&app).await;
    let client = client(&msp, "Planned", unlimited()).await;
    client
        .api
        .create_server(&server_body("s", 1), None)
        .await
        .unwrap();
    let mut tx = as_tenant(&app.pool, Some(msp.tenant.as_uuid())).await;
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN SELECT c.id,
                (SELECT count(*) FROM servers s
                  WHERE s.msp_id = '{m}' AND s.tenant_id = c.id AND s.deleted_at IS NULL)
         FROM clients c JOIN plans p ON p.tenant_id = '{m}' AND p.id = c.plan_id
         WHERE c.tenant_id = '{m}'",
        m = msp.tenant
    ))
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("Task Count: 1"), "{plan}");
    // The same without the MSP in the subquery spreads over every shard: the check can fail.
    let spread: String = sqlx::query_scalar::<_, String>(&format!(
        "EXPLAIN SELECT c.id,
                (SELECT count(*) FROM servers s
                  WHERE s.msp_id = c.tenant_id AND s.tenant_id = c.id)
         FROM clients c WHERE c.tenant_id = '{m}'",
        m = msp.tenant
    ))
    .fetch_all(&mut *tx)
    .await
    .map(|rows| rows.join("\n"))
    .unwrap_or_else(|e| e.to_string());
    assert!(!spread.contains("Task Count: 1"), "{spread}");
    tx.rollback().await.unwrap();
}
