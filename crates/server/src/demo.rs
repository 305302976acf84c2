//! `control-panel seed-demo`: an MSP with three clients, their servers, users and apps, so that
//! `cargo xtask run` opens on something to look at.

use chrono::{Duration, Utc};
use mspdesk_api::types::{CreateClient, CreateServer, CreateUser, QuotasInput};
use mspdesk_domain::{Email, TenantId};
use sqlx::PgPool;

use crate::db::{Scope, TenantTx};
use crate::error::{AppError, AppResult};
use crate::store::{apps, clients, plans, servers, setup, users};

pub const DEMO_EMAIL: &str = "admin@demo-msp.example";
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// What the seed created (or found).
#[derive(Debug)]
pub struct Seeded {
    pub msp: Option<TenantId>,
    pub clients: usize,
}

/// name, provider, server type, storage GB, age in days
type ServerSpec = (&'static str, &'static str, &'static str, i64, i64);

fn invalid(errors: Vec<mspdesk_api::FieldError>) -> AppError {
    AppError::Validation(errors)
}

/// Creates the demo MSP unless its operator exists already.
pub async fn seed(pool: &PgPool) -> AppResult<Seeded> {
    let email = Email::parse(DEMO_EMAIL).map_err(|e| AppError::Internal(e.to_string()))?;
    let msp = match setup::create_msp(pool, "Demo MSP", &email, &DEMO_PASSWORD.into()).await {
        Ok(msp) => msp,
        Err(AppError::Conflict { .. }) => {
            return Ok(Seeded {
                msp: None,
                clients: 0,
            })
        }
        Err(e) => return Err(e),
    };
    let mut tx = TenantTx::begin(pool, Scope::msp(msp.tenant)).await?;
    let plans = plans::list(&mut tx).await?;
    let plan = |name: &str| {
        plans
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.id.to_string())
            .unwrap_or_default()
    };
    let specs = [
        ("Müller GmbH", "it@mueller.example", "Business", None),
        (
            "Łódź Hosting Sp. z o.o.",
            "admin@lodz-hosting.example",
            "Starter",
            Some(3),
        ),
        (
            "Société Générale de Conseil",
            "dsi@sgc.example",
            "Enterprise",
            None,
        ),
    ];
    let mut created = Vec::new();
    for (name, contact, plan_name, max_servers) in specs {
        let body = CreateClient {
            company_name: name.to_owned(),
            contact_email: contact.to_owned(),
            plan_id: plan(plan_name),
            quotas: max_servers.map(|m| QuotasInput {
                max_servers: Some(m),
                max_users: Some(5),
                max_apps_per_server: Some(4),
                storage_quota_gb: Some(200),
            }),
        };
        created.push(clients::create(&mut tx, &body.validate().map_err(invalid)?).await?);
    }
    tx.commit().await?;

    let now = Utc::now();
    let fleets: [&[ServerSpec]; 3] = [
        &[
            ("muc-web-01", "hetzner", "cpx31", 160, 90),
            ("muc-db-01", "hetzner", "cx42", 160, 60),
            ("muc-files", "hetzner", "cax21", 80, 12),
        ],
        &[
            ("lodz-app", "digitalocean", "s-2vcpu-4gb", 80, 40),
            ("lodz-mail", "digitalocean", "s-1vcpu-2gb", 50, 20),
        ],
        &[
            ("sgc-erp", "hetzner", "cpx41", 240, 200),
            ("sgc-collab", "digitalocean", "s-4vcpu-8gb", 160, 35),
            ("sgc-monitor", "hetzner", "cpx11", 40, 5),
        ],
    ];
    let people: [&[(&str, &str)]; 3] = [
        &[
            ("anna.mueller@mueller.example", "Anna Müller"),
            ("jonas.weber@mueller.example", "Jonas Weber"),
        ],
        &[("piotr@lodz-hosting.example", "Piotr Łukasiewicz")],
        &[
            ("claire@sgc.example", "Claire Dubois"),
            ("etienne@sgc.example", "Étienne Moreau"),
            ("sophie@sgc.example", "Sophie Laurent"),
        ],
    ];
    let app_sets: [&[&str]; 3] = [
        &["nextcloud", "onlyoffice"],
        &["mailcow"],
        &["odoo", "grafana", "keycloak"],
    ];
    for (i, client) in created.iter().enumerate() {
        let mut tx = TenantTx::begin(pool, Scope::client(client.id.into(), msp.tenant)).await?;
        let mut first_server = None;
        for (name, provider, server_type, storage, age_days) in fleets[i] {
            let body = CreateServer {
                name: (*name).to_owned(),
                provider: (*provider).to_owned(),
                server_type: (*server_type).to_owned(),
                storage_gb: *storage,
                region: None,
                created_at: Some(now - Duration::days(*age_days)),
                deleted_at: None,
                price: None,
            };
            let server = servers::create(&mut tx, &body.validate(now).map_err(invalid)?).await?;
            first_server.get_or_insert(server.id);
        }
        for (email, name) in people[i] {
            let body = CreateUser {
                email: (*email).to_owned(),
                name: (*name).to_owned(),
            };
            users::create(&mut tx, &body.validate().map_err(invalid)?).await?;
        }
        if let Some(server) = first_server {
            for template in app_sets[i] {
                apps::install(&mut tx, server, template).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(Seeded {
        msp: Some(msp.tenant),
        clients: created.len(),
    })
}
