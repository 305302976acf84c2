//! The HTTP surface: every route, registered with its OpenAPI description in one place, so
//! the router and `/api/v1/openapi.json` cannot drift apart. Handlers are thin: parse, open
//! the tenant transaction, call the store, audit, answer.

mod auth;
mod msp;
mod public;
mod tenant;

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query as AxumQuery};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{AppError, AppResult};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "MSP Desk Control Panel API", description = "Multi-tenant Control Panel: MSP scope (provider token) and tenant scope (client token). Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
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
        .routes(routes!(auth::client_token))
        .routes(routes!(msp::plans))
        .routes(routes!(msp::prices))
        .routes(routes!(msp::create_client, msp::list_clients))
        .routes(routes!(
            msp::get_client,
            msp::update_client,
            msp::delete_client
        ))
        .routes(routes!(msp::set_quotas))
        .routes(routes!(msp::audit))
        .routes(routes!(msp::set_price))
        .routes(routes!(msp::get_fx, msp::put_fx))
        .routes(routes!(msp::billing_report))
        .routes(routes!(tenant::own_tenant))
        .routes(routes!(tenant::create_server, tenant::list_servers))
        .routes(routes!(tenant::get_server, tenant::delete_server))
        .routes(routes!(tenant::create_user, tenant::list_users))
        .routes(routes!(tenant::delete_user))
        .routes(routes!(tenant::templates))
        .routes(routes!(tenant::get_catalog, tenant::put_catalog))
        .routes(routes!(tenant::install_app, tenant::list_apps))
        .routes(routes!(tenant::uninstall_app))
        .routes(routes!(tenant::get_branding, tenant::put_branding))
        .routes(routes!(tenant::usage))
        .routes(routes!(public::asset))
        .routes(routes!(public::openapi_json))
        .merge(
            // Images are larger than JSON bodies: this route has its own limit.
            OpenApiRouter::new()
                .routes(routes!(tenant::upload_asset))
                .layer(axum::extract::DefaultBodyLimit::max(
                    mspdesk_domain::ASSET_MAX_BYTES + 1024,
                )),
        );
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(public::health))
        .nest(mspdesk_api::API_PREFIX, v1)
        .split_for_parts();
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
