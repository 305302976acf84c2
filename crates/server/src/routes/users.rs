//! User accounts of a client (tenant scope).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mspdesk_api::types::{CreateUser, Invitation, Page, User};
use mspdesk_api::Problem;
use uuid::Uuid;

use super::{create, mutate, parse_id, read, Actor, PageQuery, Query};
use crate::auth::ClientAdmin;
use crate::error::{AppError, AppResult};
use crate::extract::{respond, Body, IdempotencyKey};
use crate::store::audit::Action;
use crate::store::{portal, users};
use crate::AppState;

/// Adds a user account. Checks `max_users`. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/users", tag = "tenant", security(("bearer" = [])), request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = User), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn create_user(
    State(state): State<AppState>,
    auth: ClientAdmin,
    key: IdempotencyKey,
    Body(body): Body<CreateUser>,
) -> AppResult<Response> {
    let new = body.validate().map_err(AppError::Validation)?;
    create(
        &state,
        auth,
        &key,
        "POST /users",
        &body,
        Action::UserCreate,
        async |tx| {
            let user = users::create(tx, &new).await?;
            let id = user.id.to_string();
            Ok((user, id))
        },
    )
    .await
}

/// The client's users by e-mail, a page at a time.
#[utoipa::path(get, path = "/users", tag = "tenant", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<User>)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant))]
pub async fn list_users(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let limit = query.limit()?;
    read(&state, auth, async |tx| {
        users::page(tx, limit, query.cursor()).await
    })
    .await
}

#[utoipa::path(delete, path = "/users/{id}", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn delete_user(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: Uuid = parse_id(&id)?;
    mutate(&state, auth, Action::UserDelete, async |tx| {
        users::delete(tx, id).await?;
        Ok(((), id.to_string()))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clears the user's portal sign-in waits, from every address (after failed guesses by someone
/// else, or the user's own): the next sign-in is checked at once. Audited as `user.unlock`.
#[utoipa::path(delete, path = "/users/{id}/sign-in-lock", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn clear_sign_in_lock(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let id: Uuid = parse_id(&id)?;
    let key = mutate(&state, auth, Action::UserUnlock, async |tx| {
        Ok((users::email_key(tx, id).await?, id.to_string()))
    })
    .await?;
    crate::portal::clear_sign_in_lock(&state, auth.tenant, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time link to the client portal, where the user sets a password (valid for 72 hours;
/// the user's earlier links stop working). For an active user, the link resets the password
/// and ends the user's sessions once used.
#[utoipa::path(post, path = "/users/{id}/invitation", tag = "tenant", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 201, body = Invitation), (status = 404, body = Problem)))]
#[tracing::instrument(skip_all, fields(tenant = %auth.tenant, id = %id))]
pub async fn invite_user(
    State(state): State<AppState>,
    auth: ClientAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let id: Uuid = parse_id(&id)?;
    let (token, expires_at) = mutate(&state, auth, Action::UserInvite, async |tx| {
        let invited = portal::invite(tx, id).await?;
        Ok((invited, id.to_string()))
    })
    .await?;
    let origin = crate::portal::public_origin(&state, Actor::from(auth).scope, &headers).await?;
    respond(
        StatusCode::CREATED,
        &Invitation {
            user_id: id,
            url: format!(
                "{origin}{}",
                crate::portal::invitation_path(auth.tenant, &token)
            ),
            expires_at,
        },
    )
}
