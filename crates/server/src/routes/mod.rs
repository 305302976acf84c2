//! The HTTP surface: every route, registered with its OpenAPI description in one place, so
//! the router and `/api/v1/openapi.json` cannot drift apart. Handlers are thin: parse, open
//! the tenant transaction, call the store, audit, answer.
//!
//! One module per resource, like `store/`; every handler goes through `read`, `mutate`
//! or `create`, which open the tenant transaction, run the store function, write the audit
//! row and commit (`read_snapshot` and `housekeep` are the change feed's variants of `read`;
//! `fetch` is `read` returning the value, for a handler that works outside the database between
//! a read and a mutation, like the custom domain's DNS check).

mod apps;
mod audit;
mod auth;
mod billing;
mod branding;
mod catalog;
mod changes;
mod clients;
mod contract;
mod msp;
mod plans;
mod public;
mod servers;
mod users;

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query as AxumQuery};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{ClientAdmin, MspAdmin, Operator};
use crate::db::{Scope, TenantTx};
use crate::error::{AppError, AppResult};
use crate::extract::{json_response, respond, to_value, IdempotencyKey};
use crate::store::audit::{self as audit_log, Action};
use crate::store::idempotency::{self, Begun};
use crate::AppState;
use mspdesk_api::openapi::{PAGE_DEFAULT_LIMIT, PAGE_MAX_LIMIT};

#[derive(OpenApi)]
#[openapi(
    info(title = "MSP Desk Control Panel API", description = "Multi-tenant Control Panel: MSP scope (provider token) and tenant scope (client token). Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    components(schemas(mspdesk_domain::AssetKind, mspdesk_api::Problem)),
    tags(
        (name = "public", description = "No token needed"),
        (name = "auth", description = "Sign-in and client tokens"),
        (name = "msp", description = "MSP scope: needs an MSP operator's token"),
        (name = "tenant", description = "Tenant scope: needs a client token"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// All routes with their OpenAPI document.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::client_token))
        .routes(routes!(msp::profile))
        .routes(routes!(plans::plans))
        .routes(routes!(plans::prices))
        .routes(routes!(clients::create_client, clients::list_clients))
        .routes(routes!(
            clients::get_client,
            clients::update_client,
            clients::delete_client
        ))
        .routes(routes!(clients::set_quotas))
        .routes(routes!(audit::audit))
        .routes(routes!(plans::set_price))
        .routes(routes!(plans::get_fx, plans::put_fx))
        .routes(routes!(billing::billing_report))
        .routes(routes!(changes::changes))
        .routes(routes!(clients::own_tenant))
        .routes(routes!(servers::create_server, servers::list_servers))
        .routes(routes!(servers::get_server, servers::delete_server))
        .routes(routes!(users::create_user, users::list_users))
        .routes(routes!(users::delete_user))
        .routes(routes!(users::invite_user))
        .routes(routes!(users::clear_sign_in_lock))
        .routes(routes!(catalog::templates))
        .routes(routes!(catalog::get_catalog, catalog::put_catalog))
        .routes(routes!(apps::install_app, apps::list_apps))
        .routes(routes!(apps::uninstall_app))
        .routes(routes!(branding::get_branding, branding::put_branding))
        .routes(routes!(branding::verify_domain))
        .routes(routes!(servers::usage))
        .routes(routes!(public::asset))
        .routes(routes!(public::openapi_json))
        .merge(
            // Images are larger than JSON bodies: this route has its own limit.
            OpenApiRouter::new()
                .routes(routes!(branding::upload_asset))
                .layer(axum::extract::DefaultBodyLimit::max(
                    mspdesk_domain::ASSET_MAX_BYTES + 1024,
                )),
        );
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(public::health))
        .routes(routes!(public::ready))
        .nest(mspdesk_api::API_PREFIX, v1)
        .split_for_parts();
    contract::ProblemResponses.modify(&mut doc);
    (router.fallback(public::no_route), doc)
}

/// An id from the path. One that does not parse cannot name anything: 404, like an id of
/// another tenant.
pub(crate) fn parse_id<T: FromStr>(raw: &str) -> AppResult<T> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Query parameters; bad ones are a 400 problem.
#[derive(Debug)]
pub(crate) struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        AxumQuery::<T>::from_request_parts(parts, state)
            .await
            .map(|AxumQuery(v)| Query(v))
            .map_err(|e| AppError::BadRequest(e.body_text()))
    }
}

/// `limit` and `cursor` of a list (`GET /servers`, `/users`, `/servers/{id}/apps`, `/audit`,
/// `/clients`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Page size, 1 to 500 (default 50).
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

impl PageQuery {
    /// The page size: 1 to 500, 50 when absent; anything else is 422 naming `limit`.
    pub(crate) fn limit(&self) -> AppResult<u32> {
        page_size(self.limit)
    }

    pub(crate) fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

/// A page size from the query: 1 to 500, 50 when absent; anything else is 422 naming `limit`
/// (never clamped).
pub(crate) fn page_size(limit: Option<i64>) -> AppResult<u32> {
    page_size_within(limit, PAGE_DEFAULT_LIMIT, PAGE_MAX_LIMIT)
}

/// A page size from the query: 1 to `max`, `default` when absent; anything else is 422
/// naming `limit` (never clamped).
pub(crate) fn page_size_within(limit: Option<i64>, default: u32, max: u32) -> AppResult<u32> {
    match limit.map(u32::try_from) {
        None => Ok(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(AppError::validation(
            "limit",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// Who acts: the scope of the verified token (its tenant and that tenant's MSP) and the
/// audited operator. Every auth extractor gives one, so the helpers below serve MSP and client
/// handlers alike.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor {
    pub scope: Scope,
    pub actor: Uuid,
}

impl From<MspAdmin> for Actor {
    fn from(a: MspAdmin) -> Self {
        Self {
            scope: Scope::msp(a.tenant),
            actor: a.actor,
        }
    }
}

impl From<Operator> for Actor {
    fn from(a: Operator) -> Self {
        Self {
            scope: a.scope,
            actor: a.actor,
        }
    }
}

impl From<ClientAdmin> for Actor {
    fn from(a: ClientAdmin) -> Self {
        Self {
            scope: Scope::client(a.tenant, a.msp),
            actor: a.actor,
        }
    }
}

/// Runs `read` in the tenant's transaction and answers 200 with its result.
pub(crate) async fn read<T: Serialize>(
    state: &AppState,
    who: impl Into<Actor>,
    read: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<T>,
) -> AppResult<Response> {
    respond(StatusCode::OK, &fetch(state, who, read).await?)
}

/// Runs `read` in the tenant's transaction and returns its result, for a handler that reads
/// before it does something outside the database (and then mutates).
pub(crate) async fn fetch<T>(
    state: &AppState,
    who: impl Into<Actor>,
    read: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<T>,
) -> AppResult<T> {
    let mut tx = TenantTx::begin(&state.pool, who.into().scope).await?;
    let value = read(&mut tx).await?;
    tx.commit().await?;
    Ok(value)
}

/// Like [`read`], in one snapshot from the first query to the last (`REPEATABLE READ`), for
/// reads whose queries must agree with each other.
pub(crate) async fn read_snapshot<T: Serialize>(
    state: &AppState,
    who: impl Into<Actor>,
    read: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<T>,
) -> AppResult<Response> {
    let mut tx = TenantTx::begin_snapshot(&state.pool, who.into().scope).await?;
    let value = read(&mut tx).await?;
    tx.commit().await?;
    respond(StatusCode::OK, &value)
}

/// Housekeeping that changes no resource, so writes no audit row (the change feed's purge of
/// old tombstones): runs `work` in the tenant's transaction and commits.
pub(crate) async fn housekeep(
    state: &AppState,
    who: impl Into<Actor>,
    work: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<()>,
) -> AppResult<()> {
    let mut tx = TenantTx::begin(&state.pool, who.into().scope).await?;
    work(&mut tx).await?;
    tx.commit().await
}

/// Runs `change` (which returns its result and the audited target's id), writes the audit row.
async fn audited<T>(
    tx: &mut TenantTx,
    who: Actor,
    action: Action,
    change: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<(T, String)>,
) -> AppResult<T> {
    let (value, target) = change(tx).await?;
    audit_log::record(tx, who.actor, action, &target).await?;
    Ok(value)
}

/// A mutation: opens the tenant's transaction, runs `change` (which returns its result and
/// the id of what it changed), writes the audit row and commits. Returns the result.
pub(crate) async fn mutate<T>(
    state: &AppState,
    who: impl Into<Actor>,
    action: Action,
    change: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<(T, String)>,
) -> AppResult<T> {
    let who = who.into();
    let mut tx = TenantTx::begin(&state.pool, who.scope).await?;
    let value = audited(&mut tx, who, action, change).await?;
    tx.commit().await?;
    Ok(value)
}

/// An idempotent create: replays the stored response for a known `Idempotency-Key`, or runs
/// `create` like [`mutate`], stores its response under the key, and answers 201, all in one
/// transaction.
pub(crate) async fn create<B: Serialize, T: Serialize>(
    state: &AppState,
    who: impl Into<Actor>,
    key: &IdempotencyKey,
    route: &str,
    body: &B,
    action: Action,
    create: impl for<'a> AsyncFnOnce(&'a mut TenantTx) -> AppResult<(T, String)>,
) -> AppResult<Response> {
    let who = who.into();
    let mut tx = TenantTx::begin(&state.pool, who.scope).await?;
    let claimed = match idempotency::begin(&mut tx, key.as_deref(), route, body).await? {
        Begun::Replay(status, stored) => return Ok(json_response(status, &stored)),
        Begun::Fresh(claimed) => claimed,
    };
    let created = audited(&mut tx, who, action, create).await?;
    let value = to_value(&created)?;
    idempotency::finish(&mut tx, claimed, StatusCode::CREATED, &value).await?;
    tx.commit().await?;
    Ok(json_response(StatusCode::CREATED, &value))
}
