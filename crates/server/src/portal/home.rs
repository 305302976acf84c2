//! The portal's home: the overview when signed in (the client's servers, apps, catalog and
//! usage), else the sign-in form; `GET /` on a verified custom domain.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use mspdesk_api::types::Client;
use mspdesk_domain::{CatalogMode, Compliance, QuotaKind, Usage, TEMPLATES};
use mspdesk_portal::{overview_page, AppEntry, Meter, MeterState, Overview, ServerRow};

use super::brand::load;
use super::cookies;
use super::respond::{failure, page, site};
use super::sign_in::sign_in_form;
use super::{resolve_host, unknown_host, HostKind, Site};
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::store::portal as accounts;
use crate::store::{apps, catalog, servers};
use crate::AppState;

/// `GET /`: a client's portal on its verified custom domain; the Control Panel's own host
/// answers as before (no such route); any other host gets a plain 404.
#[tracing::instrument(skip_all)]
pub async fn root(
    State(state): State<AppState>,
    kind: Option<axum::Extension<HostKind>>,
    headers: HeaderMap,
) -> Response {
    let kind = match kind {
        Some(axum::Extension(kind)) => Ok(kind),
        None => resolve_host(&state, &headers).await,
    };
    match kind {
        Ok(HostKind::Custom(owner)) => {
            let site = Site {
                tenant: owner.tenant,
                msp: owner.msp,
                custom_host: true,
            };
            show_home(&state, site, &headers)
                .await
                .unwrap_or_else(failure)
        }
        Ok(HostKind::ControlPanel) => AppError::NoRoute.into_response(),
        Ok(HostKind::Unknown) => unknown_host(),
        Err(e) => failure(e),
    }
}

/// `GET /portal/{tenant}`: the overview when signed in, else the sign-in form.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn home(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        show_home(&state, site, &headers).await
    }
    .await
    .unwrap_or_else(failure)
}

pub(super) async fn show_home(
    state: &AppState,
    site: Site,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
    let (client, brand) = load(&mut tx).await?;
    let session = match cookies::get(headers, cookies::SESSION) {
        Some(token) => accounts::session(&mut tx, &token).await?,
        None => None,
    };
    let Some(session) = session else {
        tx.commit().await?;
        return sign_in_form(state, &site, &brand, headers, StatusCode::OK, "", None);
    };
    let data = overview_data(&mut tx, &client).await?;
    tx.commit().await?;
    let sign_out = site.path("sign-out");
    page(&site, &brand, StatusCode::OK, |head, brand| {
        overview_page(
            head,
            brand,
            &Overview {
                user_name: &session.name,
                user_email: &session.email,
                sign_out_action: &sign_out,
                csrf_token: &session.csrf_token,
                usage: data.usage,
                servers: data.servers,
                catalog_is_all: data.catalog_is_all,
                allowed_apps: data.allowed_apps,
            },
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The overview's figures

pub(super) struct OverviewData {
    usage: Vec<Meter>,
    servers: Vec<ServerRow>,
    catalog_is_all: bool,
    allowed_apps: Vec<AppEntry>,
}

pub(super) fn app_name(template_id: &str) -> String {
    mspdesk_domain::template(template_id)
        .map_or_else(|| template_id.to_owned(), |t| t.name.to_owned())
}

pub(super) fn provider_name(provider: mspdesk_domain::Provider) -> &'static str {
    match provider {
        mspdesk_domain::Provider::Hetzner => "Hetzner",
        mspdesk_domain::Provider::Digitalocean => "DigitalOcean",
        mspdesk_domain::Provider::Other => "Other",
    }
}

/// Usage against quotas (the domain's compliance rule colours each meter), active servers
/// with their apps, and the apps the catalog allows.
pub(super) async fn overview_data(tx: &mut TenantTx, client: &Client) -> AppResult<OverviewData> {
    let usage: Usage = client.usage.into();
    let compliance = Compliance::evaluate(&client.quotas, &usage);
    let meter = |label: &str, kind: QuotaKind, unit: &'static str| Meter {
        label: label.to_owned(),
        used: usage.of(kind),
        limit: client.quotas.limit(kind),
        unit,
        state: if compliance.over.contains(&kind) {
            MeterState::Over
        } else if compliance.approaching.contains(&kind) {
            MeterState::Approaching
        } else {
            MeterState::Ok
        },
    };
    let meters = vec![
        meter("Servers", QuotaKind::MaxServers, ""),
        meter("Users", QuotaKind::MaxUsers, ""),
        meter("Storage", QuotaKind::StorageQuotaGb, "GB"),
        meter("Apps per server", QuotaKind::MaxAppsPerServer, ""),
    ];
    let installed = apps::all(tx).await?;
    let rows = servers::list(tx)
        .await?
        .into_iter()
        .filter(|s| s.deleted_at.is_none())
        .map(|s| ServerRow {
            apps: installed
                .iter()
                .filter(|a| a.server_id == s.id)
                .map(|a| app_name(&a.template_id))
                .collect(),
            kind: format!("{} · {}", provider_name(s.provider), s.server_type),
            region: s.region,
            storage_gb: s.storage_gb,
            name: s.name,
        })
        .collect();
    let catalog = catalog::get(tx).await?;
    let mut allowed: Vec<AppEntry> = TEMPLATES
        .iter()
        .filter(|t| catalog.mode.allows(t.id, &catalog.enabled))
        .map(|t| AppEntry {
            name: t.name.to_owned(),
            category: t.category.to_owned(),
        })
        .collect();
    allowed.sort_by_key(|a| a.name.to_lowercase());
    Ok(OverviewData {
        usage: meters,
        servers: rows,
        catalog_is_all: catalog.mode == CatalogMode::All,
        allowed_apps: allowed,
    })
}
