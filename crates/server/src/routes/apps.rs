//! Apps installed on a client's servers (tenant scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{App, InstallApp, Page};
use mspdesk_api::Problem;
use uuid::Uuid;

use super::{create, mutate, parse_id, read, PageQuery, Query};
use crate::auth::ClientAdmin;
use crate::error::AppResult;
use crate::extract::{Body, IdempotencyKey};
use crate::store::apps;
use crate::store::audit::Action;
use crate::AppState;

/// Installs an app from the client's catalog on a server. Checks `max_apps_per_server`.
/// Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/servers/{id}/apps", tag = "tenant", security(("bearer" = [])), request_body = InstallApp,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = App), (status = 409, body = Problem), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, server = %id))]
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
    create(
        &state,
        auth,
        &key,
        &route,
        &body,
        Action::AppCreate,
        async |tx| {
            let app = apps::install(tx, server, &template).await?;
            let id = app.id.to_string();
            Ok((app, id))
        },
    )
    .await
}

/// The apps on one of the client's servers, in install order, a page at a time.
#[utoipa::path(get, path = "/servers/{id}/apps", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<App>), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, server = %id))]
pub async fn list_apps(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let server: Uuid = parse_id(&id)?;
    let limit = query.limit()?;
    read(&state, auth, async |tx| {
        apps::page(tx, server, limit, query.cursor()).await
    })
    .await
}

#[utoipa::path(delete, path = "/servers/{id}/apps/{app_id}", tag = "tenant", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("app_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, server = %id, app = %app_id))]
pub async fn uninstall_app(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path((id, app_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    let server: Uuid = parse_id(&id)?;
    let app: Uuid = parse_id(&app_id)?;
    mutate(&state, auth, Action::AppDelete, async |tx| {
        apps::uninstall(tx, server, app).await?;
        Ok(((), app.to_string()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
