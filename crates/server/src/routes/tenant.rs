//! Tenant scope: everything inside one client, with a client token.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use mspdesk_api::types::{
    App, Branding, Catalog, Client, CreateServer, CreateUser, InstallApp, List, Server,
    TemplateInfo, UpdateBranding, UpdateCatalog, UsageReport, User,
};
use mspdesk_api::Problem;
use mspdesk_domain::{AssetKind, Period};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{parse_id, Query};
use crate::auth::ClientAdmin;
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::extract::{json_response, respond, to_value, Body, IdempotencyKey, IfMatch, RawBody};
use crate::store::idempotency::{self, Begun};
use crate::store::{apps, audit, branding, catalog, clients, servers, users};
use crate::AppState;

/// Runs an idempotent create: replays a stored response for a known key, or runs `create`,
/// audits it, stores its response under the key, and commits, all in one transaction.
async fn create_idempotent<B, T, F>(
    state: &AppState,
    auth: ClientAdmin,
    key: &IdempotencyKey,
    route: &str,
    body: &B,
    audit_action: &str,
    create: F,
) -> AppResult<Response>
where
    B: Serialize,
    T: Serialize,
    F: for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<(T, String)>,
{
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let claimed = match idempotency::begin(&mut tx, key.as_deref(), route, body).await? {
        Begun::Replay(status, stored) => return Ok(json_response(status, &stored)),
        Begun::Fresh(claimed) => claimed,
    };
    let (created, target_id) = create(&mut tx).await?;
    let (target_type, _) = audit_action.split_once('.').unwrap_or((audit_action, ""));
    audit::record(&mut tx, auth.actor, audit_action, target_type, &target_id).await?;
    let value = to_value(&created)?;
    idempotency::finish(&mut tx, claimed, StatusCode::CREATED, &value).await?;
    tx.commit().await?;
    Ok(json_response(StatusCode::CREATED, &value))
}

/// Runs `read` in a tenant transaction and answers 200 with its result.
async fn read<T: Serialize>(
    state: &AppState,
    auth: ClientAdmin,
    read: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<T>,
) -> AppResult<Response> {
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let value = read(&mut tx).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &value)
}

/// The client's own record: quotas, usage, compliance.
#[utoipa::path(get, path = "/tenant", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Client), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn own_tenant(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| clients::own(tx).await).await
}

/// Registers a Cloud OS instance (or imports an existing or historical one). Checks
/// `max_servers` and `storage_quota_gb`. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/servers", tag = "tenant", security(("bearer" = [])), request_body = CreateServer,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Server), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateServer>,
) -> AppResult<Response> {
    let new = body.validate(Utc::now()).map_err(AppError::Validation)?;
    create_idempotent(
        &state,
        auth,
        &key,
        "POST /servers",
        &body,
        "server.create",
        async |tx| {
            let server = servers::create(tx, &new).await?;
            let id = server.id.to_string();
            Ok((server, id))
        },
    )
    .await
}

/// The client's servers, deleted ones included (they matter for billing).
#[utoipa::path(get, path = "/servers", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = List<Server>)))]
pub async fn list_servers(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: servers::list(tx).await?,
        })
    })
    .await
}

#[utoipa::path(get, path = "/servers/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Server), (status = 404, body = Problem)))]
pub async fn get_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: Uuid = parse_id(&id)?;
    read(&state, auth, async |tx| servers::get(tx, id).await).await
}

/// Marks a server deleted now, freeing its quota; it stays listed for billing.
#[utoipa::path(delete, path = "/servers/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Server), (status = 404, body = Problem)))]
pub async fn delete_server(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id: Uuid = parse_id(&id)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let server = servers::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "server.delete",
        "server",
        &id.to_string(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &server)
}

/// Adds a user account. Checks `max_users`. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/users", tag = "tenant", security(("bearer" = [])), request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = User), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    auth: ClientAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateUser>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    create_idempotent(
        &state,
        auth,
        &key,
        "POST /users",
        &body,
        "user.create",
        async |tx| {
            let user = users::create(tx, &new).await?;
            let id = user.id.to_string();
            Ok((user, id))
        },
    )
    .await
}

#[utoipa::path(get, path = "/users", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = List<User>)))]
pub async fn list_users(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: users::list(tx).await?,
        })
    })
    .await
}

#[utoipa::path(delete, path = "/users/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_user(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: Uuid = parse_id(&id)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    users::delete(&mut tx, id).await?;
    audit::record(&mut tx, auth.actor, "user.delete", "user", &id.to_string()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The app template library.
#[utoipa::path(get, path = "/catalog/templates", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = List<TemplateInfo>)))]
pub async fn templates(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| {
        Ok(List {
            items: catalog::templates(tx).await?,
        })
    })
    .await
}

/// The client's catalog: `all` templates, or a `custom` allow-list.
#[utoipa::path(get, path = "/catalog", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Catalog, headers(("ETag" = String)))))]
pub async fn get_catalog(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| catalog::get(tx).await).await
}

/// Replaces the client's catalog. Needs `If-Match`.
#[utoipa::path(put, path = "/catalog", tag = "tenant", security(("bearer" = [])), request_body = UpdateCatalog,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = Catalog), (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)))]
pub async fn put_catalog(
    State(state): State<AppState>,
    auth: ClientAdmin,
    if_match: IfMatch,
    Body(body): Body<UpdateCatalog>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let updated = catalog::put(&mut tx, &new, version).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "catalog.update",
        "catalog",
        &auth.tenant.to_string(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &updated)
}

/// Installs an app from the client's catalog on a server. Checks `max_apps_per_server`.
/// Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/servers/{id}/apps", tag = "tenant", security(("bearer" = [])), request_body = InstallApp,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = App), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn install_app(
    State(state): State<AppState>,
    auth: ClientAdmin,
    key: IdempotencyKey,
    Path(id): Path<String>,
    Body(body): Body<InstallApp>,
) -> AppResult<Response> {
    let server: Uuid = parse_id(&id)?;
    let route = format!("POST /servers/{server}/apps");
    let template = body.template_id.clone();
    create_idempotent(
        &state,
        auth,
        &key,
        &route,
        &body,
        "app.create",
        async |tx| {
            let app = apps::install(tx, server, &template).await?;
            let id = app.id.to_string();
            Ok((app, id))
        },
    )
    .await
}

#[utoipa::path(get, path = "/servers/{id}/apps", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = List<App>), (status = 404, body = Problem)))]
pub async fn list_apps(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let server: Uuid = parse_id(&id)?;
    read(&state, auth, async |tx| {
        Ok(List {
            items: apps::list(tx, server).await?,
        })
    })
    .await
}

#[utoipa::path(delete, path = "/servers/{id}/apps/{app_id}", tag = "tenant", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("app_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn uninstall_app(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path((id, app_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let server: Uuid = parse_id(&id)?;
    let app: Uuid = parse_id(&app_id)?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    apps::uninstall(&mut tx, server, app).await?;
    audit::record(&mut tx, auth.actor, "app.delete", "app", &app.to_string()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client's white-label branding.
#[utoipa::path(get, path = "/branding", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Branding, headers(("ETag" = String)))))]
pub async fn get_branding(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| branding::get(tx).await).await
}

/// Replaces the client's branding. Needs `If-Match`.
#[utoipa::path(put, path = "/branding", tag = "tenant", security(("bearer" = [])), request_body = UpdateBranding,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = Branding), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn put_branding(
    State(state): State<AppState>,
    auth: ClientAdmin,
    if_match: IfMatch,
    Body(body): Body<UpdateBranding>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    let version = if_match.required()?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let updated = branding::put(&mut tx, &new, version).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "branding.update",
        "branding",
        &auth.tenant.to_string(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &updated)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UsageQuery {
    /// A calendar month, `YYYY-MM` (UTC).
    period: String,
}

/// The instances active in a month, with their price snapshots.
#[utoipa::path(get, path = "/usage", tag = "tenant", security(("bearer" = [])), params(UsageQuery),
    responses((status = 200, body = UsageReport), (status = 400, body = Problem)))]
pub async fn usage(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Query(query): Query<UsageQuery>,
) -> AppResult<Response> {
    let period =
        Period::parse(&query.period).map_err(|e| AppError::BadRequest(format!("period {e}")))?;
    read(&state, auth, async |tx| {
        Ok(UsageReport {
            period: period.to_string(),
            instances: servers::active_in(tx, period).await?,
        })
    })
    .await
}

/// Uploads the logo or favicon (PNG, JPEG, WebP or ICO, at most 512 KiB, checked by content)
/// and points the branding at it. Needs `If-Match` with the branding's version.
#[utoipa::path(put, path = "/branding/assets/{kind}", tag = "tenant", security(("bearer" = [])),
    params(("kind" = AssetKind, Path), ("If-Match" = String, Header)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Branding), (status = 412, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_asset(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(kind): Path<String>,
    if_match: IfMatch,
    RawBody(body): RawBody,
) -> AppResult<Response> {
    let kind = AssetKind::parse(&kind).ok_or(AppError::NotFound)?;
    let version = if_match.required()?;
    let mut tx = TenantTx::begin(&state.pool, auth.tenant).await?;
    let updated = branding::upload(&mut tx, kind, &body, version).await?;
    audit::record(
        &mut tx,
        auth.actor,
        "branding.asset",
        "branding",
        kind.as_str(),
    )
    .await?;
    tx.commit().await?;
    respond(StatusCode::OK, &updated)
}
