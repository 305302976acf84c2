//! Backups and upgrades, proven: a dump of a populated database restored into a fresh one is
//! served as the original was (tokens, revocations, feed cursors, invitations), and today's
//! migrations applied to a database of the previous release (migrations 0001 to 0007, with
//! data in every table) lose nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;

use mspdesk_api::types::CreateUser;
use mspdesk_api::ProblemCode;
use mspdesk_domain::Email;
use reqwest::StatusCode;

use crate::helpers::*;

/// The name of the database behind `pool`.
async fn database_name(pool: &sqlx::PgPool) -> String {
    sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(pool)
        .await
        .unwrap()
}

fn run(program: &str, args: &[&str]) {
    let path = mspdesk_testkit::pg_program(program);
    let out = std::process::Command::new(&path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_restored_dump_is_served_as_the_original_was() {
    let app = spawn_app().await;
    let m = msp(&app).await;
    let t = client(&m, "Backed Up", unlimited()).await;
    t.api
        .create_server(&server_body("kept-1", 20), None)
        .await
        .unwrap();
    let user = t
        .api
        .create_user(
            &CreateUser {
                email: "kept@backed.example".into(),
                name: "Kept".into(),
            },
            None,
        )
        .await
        .unwrap();
    let invitation = t.api.invite_user(user.id).await.unwrap();
    // A token kept by a desk, and one signed out before the backup.
    let kept = app
        .api
        .login(&m.email, &secret(PASSWORD))
        .await
        .unwrap()
        .token;
    let gone = app
        .api
        .login(&m.email, &secret(PASSWORD))
        .await
        .unwrap()
        .token;
    app.api.with_token(gone.clone()).logout().await.unwrap();
    // The feed read to its end: the cursor a desk would hold.
    let mut cursor: Option<String> = None;
    loop {
        let page = m.api.changes(cursor.as_deref(), None).await.unwrap();
        cursor = Some(page.next_cursor);
        if page.complete {
            break;
        }
    }
    let cursor = cursor.unwrap();

    // The backup: pg_dump as the superuser (the owner sees no rows under forced row-level
    // security), restored into a new database owned by the owner role.
    let original = database_name(&app.pool).await;
    let dump = std::env::temp_dir().join(format!("{original}.dump"));
    run(
        "pg_dump",
        &[
            "--format=custom",
            "--file",
            dump.to_str().unwrap(),
            &mspdesk_testkit::superuser_url(&original),
        ],
    );
    let restored_url = mspdesk_testkit::empty_database().await;
    let restored_name = restored_url.rsplit('/').next().unwrap().to_owned();
    run(
        "pg_restore",
        &[
            "--exit-on-error",
            "--dbname",
            &mspdesk_testkit::superuser_url(&restored_name),
            dump.to_str().unwrap(),
        ],
    );
    std::fs::remove_file(&dump).unwrap();
    drop(app);

    let restored_pool = mspdesk_server::db::connect(&restored_url, 5).await.unwrap();
    let restored = spawn_app_with(AppOptions::on(&restored_url, &restored_pool)).await;
    // The desk's token works, the signed-out one stays out.
    let desk = restored.api.with_token(kept);
    assert_eq!(desk.plans().await.unwrap().items.len(), 3);
    let refused = restored.api.with_token(gone).plans().await.unwrap_err();
    assert_eq!(refused.code(), Some(ProblemCode::Unauthorized));
    // The desk's cursor goes on where it was: nothing new, no resync.
    let next = desk.changes(Some(&cursor), None).await.unwrap();
    assert!(next.items.is_empty() && next.complete, "{next:?}");
    // The data, the operator's password and the user's invitation are all there.
    let clients = desk.list_clients(None, None, None).await.unwrap().items;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].server_count, 1);
    restored
        .api
        .login(&m.email, &secret(PASSWORD))
        .await
        .unwrap();
    let path = invitation.url.split_once("/portal/").unwrap().1;
    let page = reqwest::get(format!("{}/portal/{path}", restored.url))
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

/// Per table of the previous release's schema: its columns, the number of rows and a digest of
/// those columns over every row, read as the superuser.
async fn snapshot(
    admin: &sqlx::PgPool,
    columns: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, (i64, String)> {
    let mut out = BTreeMap::new();
    for (table, cols) in columns {
        let list = cols
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let row: (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(r::text, '|' ORDER BY r::text))
             FROM (SELECT {list} FROM \"{table}\") r"
        ))
        .fetch_one(admin)
        .await
        .unwrap();
        out.insert(table.clone(), (row.0, row.1.unwrap_or_default()));
    }
    out
}

/// Applies the migrations whose file names sort before `first_left_out`.
async fn migrate_before(pool: &sqlx::PgPool, first_left_out: &str) {
    let dir = std::env::temp_dir().join(format!("mspdesk-previous-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/server");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < first_left_out {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(pool)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// With every table under forced row-level security, `ADD FOREIGN KEY` used to validate as the
/// owner, who sees no rows: a broken reference passed. Migration 0010 re-creates the foreign
/// keys with RLS unforced, so an app on another client's server (slipped in behind the
/// schema's back) stops the upgrade instead of being carried along.
#[tokio::test]
async fn the_distribution_migration_validates_foreign_keys_over_every_row() {
    let url = mspdesk_testkit::empty_database().await;
    let pool = mspdesk_server::db::connect(&url, 2).await.unwrap();
    migrate_before(&pool, "0010").await;
    mspdesk_server::store::setup::sync_templates(&pool)
        .await
        .unwrap();
    let admin = as_superuser(&pool).await;
    let (msp, plan, a, b, server) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let mut tx = admin.begin().await.unwrap();
    sqlx::raw_sql(&format!(
        "SET LOCAL session_replication_role = replica;
         INSERT INTO providers (id, name) VALUES ('{msp}', 'M');
         INSERT INTO plans (tenant_id, id, name, license_fee, currency)
             VALUES ('{msp}', '{plan}', 'P', 1, 'EUR');
         INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
             VALUES ('{msp}', '{a}', 'A', 'a@x.example', '{plan}'),
                    ('{msp}', '{b}', 'B', 'b@x.example', '{plan}');
         INSERT INTO servers (tenant_id, id, name, provider, server_type, storage_gb, hourly,
                              monthly, currency, created_at)
             VALUES ('{b}', '{server}', 'b-1', 'hetzner', 'cx22', 1, 0, 0, 'EUR', now());
         INSERT INTO apps (tenant_id, id, server_id, template_id)
             VALUES ('{a}', gen_random_uuid(), '{server}', 'gitea');"
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let refused = mspdesk_server::migrate(&pool)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("apps_server_fkey"), "{refused}");
    // Nothing of the migration stayed: the database is still at 0009.
    let latest: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(latest, 9);
}

#[tokio::test]
async fn todays_migrations_keep_everything_of_the_previous_release() {
    let url = mspdesk_testkit::empty_database().await;
    let pool = mspdesk_server::db::connect(&url, 5).await.unwrap();
    // The previous release's schema (stop 16 landed migrations 0001 to 0007).
    migrate_before(&pool, "0008").await;
    mspdesk_server::store::setup::sync_templates(&pool)
        .await
        .unwrap();

    // Data in every table, written as that release wrote it (by the superuser: the policies
    // are not what is tested here).
    let admin = as_superuser(&pool).await;
    let hash = mspdesk_server::auth::hash_password(&secret(PASSWORD)).unwrap();
    let (msp_id, op, plan, client_id, server_id, user_id) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    use ring::signature::KeyPair;
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, public_raw) VALUES ('previous', $1, $2)",
    )
    .bind(pkcs8.as_ref())
    .bind(pair.public_key().as_ref())
    .execute(&admin)
    .await
    .unwrap();
    sqlx::raw_sql(&format!(
        "INSERT INTO providers (id, name) VALUES ('{msp_id}', 'Previous MSP');
         INSERT INTO operators (tenant_id, id, email, password_hash)
             VALUES ('{msp_id}', '{op}', 'Ops@Previous.example', '{hash}');
         INSERT INTO plans (tenant_id, id, name, license_fee, currency)
             VALUES ('{msp_id}', '{plan}', 'Basic', 5, 'EUR');
         INSERT INTO prices (tenant_id, provider, server_type, hourly, monthly, currency)
             VALUES ('{msp_id}', 'hetzner', 'cx22', 0.01, 5, 'EUR');
         INSERT INTO fx_rates (tenant_id, currency, rate) VALUES ('{msp_id}', 'USD', 0.9);
         INSERT INTO clients (tenant_id, id, company_name, contact_email, plan_id)
             VALUES ('{msp_id}', '{client_id}', 'Previous Client', 'c@previous.example', '{plan}');
         INSERT INTO servers (tenant_id, id, name, provider, server_type, storage_gb, hourly,
                              monthly, currency, created_at)
             VALUES ('{client_id}', '{server_id}', 'prev-1', 'hetzner', 'cx22', 20, 0.01, 5, 'EUR', now());
         INSERT INTO users (tenant_id, id, email, name)
             VALUES ('{client_id}', '{user_id}', 'Ann@Previous.example', 'Ann');
         INSERT INTO apps (tenant_id, id, server_id, template_id)
             VALUES ('{client_id}', gen_random_uuid(), '{server_id}', 'gitea');
         INSERT INTO catalogs (tenant_id, mode, enabled, version)
             VALUES ('{client_id}', 'custom', '{{gitea}}', 3);
         INSERT INTO branding (tenant_id, company_name, primary_color, version)
             VALUES ('{client_id}', 'Previous', '#123456', 2);
         INSERT INTO audit_log (tenant_id, id, actor_id, action, target_type, target_id)
             VALUES ('{msp_id}', gen_random_uuid(), '{op}', 'client.create', 'client', '{client_id}');
         INSERT INTO portal_credentials (tenant_id, user_id, password_hash)
             VALUES ('{client_id}', '{user_id}', '{hash}');
         INSERT INTO revoked_tokens (jti, expires_at) VALUES (gen_random_uuid(), now() + interval '1 hour');
         INSERT INTO throttle (scope, key_hash, failures, window_ends)
             VALUES ('portal-address', '\\x00', 3, now() + interval '10 minutes');"
    ))
    .execute(&admin)
    .await
    .unwrap();

    // Every table of that schema, with its columns then.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
         JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = 'public' AND c.table_name <> '_sqlx_migrations'
           AND t.table_type = 'BASE TABLE'
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in rows {
        columns.entry(table).or_default().push(column);
    }
    let before = snapshot(&admin, &columns).await;
    let empty: Vec<&String> = before
        .iter()
        .filter(|(_, (count, _))| *count == 0)
        .map(|(t, _)| t)
        .collect();
    // Every table that holds data in use has some (the rest are caches and logs of the feed).
    for table in [
        "operators",
        "users",
        "clients",
        "servers",
        "apps",
        "branding",
        "signing_keys",
    ] {
        assert!(!empty.iter().any(|t| *t == table), "{table} is empty");
    }

    // Today's migrations, and a server start (which seals the old plain key).
    mspdesk_server::migrate(&pool).await.unwrap();
    let app = spawn_app_with(AppOptions::on(&url, &pool)).await;
    let after = snapshot(&admin, &columns).await;
    for (table, was) in &before {
        let now = &after[table];
        match table.as_str() {
            // Sealed at start: the same keys, encrypted now.
            "signing_keys" => assert_eq!(now.0, was.0, "{table}"),
            // The feed is extended by what the server did at start; nothing of it went.
            "changes" | "feed_heads" => assert!(now.0 >= was.0, "{table}"),
            _ => assert_eq!(now, was, "{table} changed"),
        }
    }
    // And it all works: the operator signs in with the address in any case, its client is
    // there, the user keeps an identity key.
    let login = app
        .api
        .login("ops@previous.EXAMPLE", &secret(PASSWORD))
        .await
        .unwrap();
    let ops = app.api.with_token(login.token);
    let clients = ops.list_clients(None, None, None).await.unwrap().items;
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].company_name, "Previous Client");
    let key: String = sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(key, Email::parse("Ann@Previous.example").unwrap().key());
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT private_der FROM signing_keys WHERE kid = 'previous'")
            .fetch_one(&admin)
            .await
            .unwrap();
    assert!(sealed.starts_with(b"mskk1"));
    // The client's rows name their MSP now, and the directory knows the client.
    let named: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM servers WHERE msp_id = $1),
                (SELECT count(*) FROM client_directory WHERE client_id = $2 AND msp_id = $1)",
    )
    .bind(msp_id)
    .bind(client_id)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(named, (1, 1));
}
