//! The database enforces isolation on its own: row-level security on every tenant table,
//! forced, with a policy for every command the app role may run, that tells a provider tenant
//! from a client tenant; foreign keys that keep references within a tenant; the app role owns
//! nothing and cannot bypass RLS, and `serve` refuses a role that could; and nothing leaks
//! between requests through pooled connections.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use crate::helpers::*;
use mspdesk_api::types::CreateUser;
use mspdesk_server::Settings;
use sqlx::PgPool;
use tokio::net::TcpListener;
use uuid::Uuid;

/// What is wrong with row-level security in this database (empty: nothing).
async fn rls_problems(pool: &PgPool) -> Vec<String> {
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(
        tables.len() >= 10,
        "expected the tenant tables, found {tables:?}"
    );
    let mut problems = Vec::new();
    for (table, enabled, forced) in tables {
        if !enabled {
            problems.push(format!("{table}: row-level security is not enabled"));
        }
        if !forced {
            problems.push(format!("{table}: row-level security is not forced"));
        }
        for (privilege, cmd) in [
            ("SELECT", "r"),
            ("INSERT", "a"),
            ("UPDATE", "w"),
            ("DELETE", "d"),
        ] {
            let granted: bool =
                sqlx::query_scalar("SELECT has_table_privilege('mspdesk_app', $1, $2)")
                    .bind(&table)
                    .bind(privilege)
                    .fetch_one(pool)
                    .await
                    .unwrap();
            if !granted {
                continue;
            }
            let policies: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                 WHERE c.relname = $1 AND (p.polcmd = $2::\"char\" OR p.polcmd = '*')",
            )
            .bind(&table)
            .bind(cmd)
            .fetch_one(pool)
            .await
            .unwrap();
            if policies == 0 {
                problems.push(format!(
                    "{table}: the app role may {privilege} but no policy covers it"
                ));
            }
        }
    }
    problems
}

#[tokio::test]
async fn every_tenant_table_has_forced_rls_and_policies() {
    let (_, pool) = database(2).await;
    assert_eq!(rls_problems(&pool).await, Vec::<String>::new());

    // The check notices a dropped policy and disabled RLS (so it can fail).
    sqlx::query("DROP POLICY servers_read ON servers")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        rls_problems(&pool).await,
        [
            "servers: the app role may SELECT but no policy covers it",
            "users: row-level security is not forced"
        ]
    );
}

#[tokio::test]
async fn app_role_owns_nothing_and_cannot_bypass() {
    let (_, pool) = database(2).await;
    let (superuser, bypass): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'mspdesk_app'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!superuser && !bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'mspdesk_app'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owned, 0);
}

#[tokio::test]
async fn unfiltered_queries_as_the_app_role_see_only_the_current_tenant() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let a = client(&msp, "A", unlimited()).await;
    let b = client(&msp, "B", unlimited()).await;
    for (t, n) in [(&a, 3), (&b, 2)] {
        for i in 0..n {
            t.api
                .create_server(&server_body(&format!("s{i}"), 1), None)
                .await
                .unwrap();
            t.api
                .create_user(
                    &CreateUser {
                        email: format!("u{i}@x.example"),
                        name: "U".into(),
                    },
                    None,
                )
                .await
                .unwrap();
        }
    }
    let seen_by = |tenant: Option<Uuid>| {
        let pool = app.pool.clone();
        async move {
            let mut tx = as_tenant(&pool, tenant).await;
            // No WHERE clause at all: only RLS decides.
            let servers: Vec<Uuid> = sqlx::query_scalar("SELECT tenant_id FROM servers")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let users: Vec<Uuid> = sqlx::query_scalar("SELECT tenant_id FROM users")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let clients: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM clients")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            // Writing into another tenant is refused by the policy's WITH CHECK.
            let other = Uuid::now_v7();
            let insert = sqlx::query("INSERT INTO audit_log (tenant_id, id, actor_id, action, target_type, target_id) VALUES ($1, $2, $2, 'x', 'x', 'x')")
                .bind(other)
                .bind(Uuid::now_v7())
                .execute(&mut *tx)
                .await;
            tx.rollback().await.unwrap();
            (servers, users, clients, insert.is_err())
        }
    };
    let a_id = a.id.as_uuid();
    let (servers, users, clients, refused) = seen_by(Some(a_id)).await;
    assert_eq!(servers, vec![a_id; 3]);
    assert_eq!(users, vec![a_id; 3]);
    assert_eq!(clients, vec![a_id]);
    assert!(refused);
    let b_id = b.id.as_uuid();
    let (servers, _, _, _) = seen_by(Some(b_id)).await;
    assert_eq!(servers, vec![b_id; 2]);
    // No tenant set: nothing at all.
    let (servers, users, clients, _) = seen_by(None).await;
    assert!(servers.is_empty() && users.is_empty() && clients.is_empty());
    // The MSP sees its clients' rows (for lists and billing), all of them.
    let (servers, _, clients, _) = seen_by(Some(msp.tenant.as_uuid())).await;
    assert_eq!(servers.len(), 5);
    assert_eq!(clients.len(), 2);
}

#[tokio::test]
async fn nothing_leaks_through_a_single_pooled_connection() {
    let app = spawn_app_with(AppOptions {
        pool_size: 1,
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let a = client(&msp, "Leak A", unlimited()).await;
    let b = client(&msp, "Leak B", unlimited()).await;
    let a_server = a
        .api
        .create_server(&server_body("only-a", 1), None)
        .await
        .unwrap();
    let b_server = b
        .api
        .create_server(&server_body("only-b", 1), None)
        .await
        .unwrap();
    let mut cross = 0;
    for i in 0..300 {
        let (api, own, other) = if i % 2 == 0 {
            (&a.api, a_server.id, b_server.id)
        } else {
            (&b.api, b_server.id, a_server.id)
        };
        let ids: Vec<Uuid> = api
            .servers()
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.id)
            .collect();
        if ids != [own] || ids.contains(&other) {
            cross += 1;
        }
    }
    assert_eq!(cross, 0);
    // After the requests, the pooled connection carries neither the tenant nor the role.
    let (tenant, role): (Option<String>, String) =
        sqlx::query_as("SELECT current_setting('app.tenant_id', true), current_user::text")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(tenant.unwrap_or_default().is_empty());
    assert_ne!(role, "mspdesk_app");
}

#[tokio::test]
async fn serve_refuses_a_superuser_unless_allowed() {
    let app = spawn_app().await;
    // The tests' own server runs as the owner role, which is neither.
    assert_eq!(
        mspdesk_server::db::privileged_role(&app.pool)
            .await
            .unwrap(),
        None
    );
    let state = mspdesk_server::AppState::new(app.admin.clone(), mspdesk_testkit::key_encryption())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = mspdesk_server::serve(listener, state.clone(), async {}).await;
    assert!(
        matches!(refused, Err(mspdesk_server::StartError::PrivilegedRole(_))),
        "{refused:?}"
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = state.with_settings(Settings {
        allow_superuser: true,
        ..Settings::default()
    });
    mspdesk_server::serve(listener, allowed, async {})
        .await
        .unwrap();
}

/// Runs `sql` (`$1`: the tenant) as the app role in `tenant`, rolled back; whether it was
/// allowed.
async fn run_as(app: &TestApp, tenant: uuid::Uuid, sql: &str) -> Result<(), sqlx::Error> {
    let mut tx = as_tenant(&app.pool, Some(tenant)).await;
    let result = sqlx::query(sql).bind(tenant).execute(&mut *tx).await;
    tx.rollback().await.unwrap();
    result.map(|_| ())
}

#[tokio::test]
async fn policies_tell_a_provider_tenant_from_a_client_tenant() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Policy", unlimited()).await;
    let c = t.id.as_uuid();
    // A client tenant cannot make itself a provider, nor write a provider's rows.
    for sql in [
        "INSERT INTO providers (id, name) VALUES ($1, 'Sneaky')",
        "INSERT INTO operators (tenant_id, id, email, email_key, password_hash) VALUES ($1, gen_random_uuid(), 'x@y.example', 'x@y.example', 'x')",
        "INSERT INTO plans (tenant_id, id, name, license_fee, currency) VALUES ($1, gen_random_uuid(), 'P', 0, 'EUR')",
        "INSERT INTO prices (tenant_id, provider, server_type, hourly, monthly, currency) VALUES ($1, 'hetzner', 'x', 0, 0, 'EUR')",
        "INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, 'GBP', 1)",
        "INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
         SELECT $1, gen_random_uuid(), 'Sub', 'a@b.example', p.id FROM plans p LIMIT 1",
    ] {
        assert!(run_as(&app, c, sql).await.is_err(), "a client may: {sql}");
    }
    // A provider tenant writes no client-owned rows in its own name.
    let p = m.tenant.as_uuid();
    for sql in [
        "INSERT INTO users (msp_id, tenant_id, id, email, email_key, name) VALUES ($1, $1, gen_random_uuid(), 'u@x.example', 'u@x.example', 'U')",
        "INSERT INTO catalogs (msp_id, tenant_id) VALUES ($1, $1)",
        "INSERT INTO branding (msp_id, tenant_id) VALUES ($1, $1)",
    ] {
        assert!(run_as(&app, p, sql).await.is_err(), "an MSP may: {sql}");
    }
    // What each may do still works.
    run_as(
        &app,
        c,
        &format!(
            "INSERT INTO catalogs (msp_id, tenant_id) VALUES ('{}', $1)",
            m.tenant
        ),
    )
    .await
    .unwrap();
    run_as(
        &app,
        p,
        "INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ($1, 'GBP', 1)",
    )
    .await
    .unwrap();

    // The MSP of a transaction is a setting the server takes from the signed token (policies
    // cannot read tables to check it): a client paired with another MSP by mistake sees none
    // of its own or its MSP's client rows, and writes nothing.
    let stranger = msp(&app).await.tenant.as_uuid();
    let mut tx = as_scope(&app.pool, Some(c), Some(stranger)).await;
    let seen: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM catalogs)
              + (SELECT count(*) FROM servers) + (SELECT count(*) FROM audit_log)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(seen, 0);
    let written = sqlx::query("INSERT INTO branding (msp_id, tenant_id) VALUES ($1, $2)")
        .bind(stranger)
        .bind(c)
        .execute(&mut *tx)
        .await;
    assert!(written.is_err(), "a client wrote under another MSP");
    tx.rollback().await.unwrap();
}

#[tokio::test]
async fn foreign_keys_keep_references_within_a_tenant() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let other = msp(&app).await;
    let a = client(&m, "A", unlimited()).await;
    let b = client(&m, "B", unlimited()).await;
    let b_server = b
        .api
        .create_server(&server_body("b", 1), None)
        .await
        .unwrap();
    // Even the superuser, whom row-level security does not stop, cannot point A's app at B's
    // server, nor give A a plan of another MSP.
    let app_row = sqlx::query(
        "INSERT INTO apps (msp_id, tenant_id, id, server_id, template_id) VALUES ($3, $1, gen_random_uuid(), $2, 'gitea')",
    )
    .bind(a.id.as_uuid())
    .bind(b_server.id)
    .bind(m.tenant.as_uuid())
    .execute(&app.admin)
    .await
    .unwrap_err();
    assert!(app_row
        .as_database_error()
        .unwrap()
        .is_foreign_key_violation());
    let foreign_plan = other.api.plans().await.unwrap().items[0].id;
    let plan = sqlx::query("UPDATE clients SET plan_id = $2 WHERE id = $1")
        .bind(a.id.as_uuid())
        .bind(foreign_plan)
        .execute(&app.admin)
        .await
        .unwrap_err();
    assert!(plan.as_database_error().unwrap().is_foreign_key_violation());
}
