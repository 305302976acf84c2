//! A client's white-label branding and its uploaded images (tenant scope).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mspdesk_api::types::{Branding, NewBranding, UpdateBranding};
use mspdesk_api::Problem;
use mspdesk_domain::{AssetKind, DomainName, TenantId};

use super::{fetch, mutate, read};
use crate::auth::ClientAdmin;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IfMatch, RawBody};
use crate::store::audit::Action;
use crate::store::{branding, domains};
use crate::{dns, AppState};

/// The client's white-label branding.
#[utoipa::path(get, path = "/branding", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Branding, headers(("ETag" = String)))))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn get_branding(State(state): State<AppState>, auth: ClientAdmin) -> AppResult<Response> {
    read(&state, auth, async |tx| branding::get(tx).await).await
}

/// Replaces the client's branding. Needs `If-Match`.
#[utoipa::path(put, path = "/branding", tag = "tenant", security(("bearer" = [])), request_body = UpdateBranding,
    params(("If-Match" = String, Header)),
    responses((status = 200, body = Branding), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn put_branding(
    State(state): State<AppState>,
    auth: ClientAdmin,
    if_match: IfMatch,
    Body(body): Body<UpdateBranding>,
) -> AppResult<Response> {
    let new = validate(&state, auth.tenant, &body)?;
    let version = if_match.required()?;
    let updated = mutate(&state, auth, Action::BrandingUpdate, async |tx| {
        Ok((
            branding::put(tx, &new, version).await?,
            auth.tenant.to_string(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}

/// The body's values, with every bad field listed at once; a custom domain that is the
/// Control Panel's own host name (`CONTROL_PANEL_PUBLIC_HOST`) or under it is one of them.
fn validate(state: &AppState, tenant: TenantId, body: &UpdateBranding) -> AppResult<NewBranding> {
    let reserved = state.domains.public_host.as_ref().and_then(|host| {
        let domain = DomainName::parse(body.custom_domain.as_deref()?).ok()?;
        domain
            .is_at_or_under(host)
            .then(|| domains::reserved_error(host))
    });
    match (body.validate(tenant), reserved) {
        (Ok(new), None) => Ok(new),
        (Ok(_), Some(refused)) => Err(refused),
        (Err(mut errors), refused) => {
            if let Some(AppError::Validation(more)) = refused {
                errors.extend(more);
            }
            Err(AppError::Validation(errors))
        }
    }
}

/// Looks the custom domain's TXT record (`custom_domain_verification.record_name`) up now and
/// answers with the branding in its new state: `verified` when the record holds the token
/// (unless another account verified the domain first), `failed` with the reason otherwise; a
/// lookup that gets no answer at all leaves a verified domain `verified`, with the failure as
/// its `reason`. 422 when no custom domain is set.
#[utoipa::path(post, path = "/branding/domain/verify", tag = "tenant", security(("bearer" = [])),
    responses((status = 200, body = Branding), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn verify_domain(
    State(state): State<AppState>,
    auth: ClientAdmin,
) -> AppResult<Response> {
    let public_host = state.domains.public_host.as_ref();
    let target = fetch(&state, auth, async |tx| {
        domains::target(tx, public_host).await
    })
    .await?;
    // Outside any transaction: the lookup may take seconds.
    let answer = dns::lookup_txt(state.domains.nameserver, &target.record_name).await;
    let updated = mutate(&state, auth, Action::BrandingDomainVerify, async |tx| {
        Ok((
            domains::record_check(tx, &target, &answer).await?,
            target.domain.clone(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}

/// Uploads the logo or favicon (PNG, JPEG, WebP or ICO, at most 512 KiB, checked by content)
/// and points the branding at it. Needs `If-Match` with the branding's version.
#[utoipa::path(put, path = "/branding/assets/{kind}", tag = "tenant", security(("bearer" = [])),
    params(("kind" = AssetKind, Path), ("If-Match" = String, Header)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Branding), (status = 412, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn upload_asset(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(kind): Path<String>,
    if_match: IfMatch,
    RawBody(body): RawBody,
) -> AppResult<Response> {
    let kind = AssetKind::parse(&kind).ok_or(AppError::NotFound)?;
    let version = if_match.required()?;
    // Checked (and an SVG rendered) on a blocking thread, before any database connection is
    // taken: rendering is bounded, but can take most of a second.
    let checked = tokio::task::spawn_blocking(move || mspdesk_domain::check_upload(kind, &body))
        .await
        .map_err(|e| AppError::Internal(format!("checking an upload: {e}")))?
        .map_err(|e| AppError::validation("body", e))?;
    let updated = mutate(&state, auth, Action::BrandingAsset, async |tx| {
        Ok((
            branding::upload(tx, kind, &checked, version).await?,
            kind.as_str().to_owned(),
        ))
    })
    .await?;
    respond(StatusCode::OK, &updated)
}
