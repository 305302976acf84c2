//! Invitation links: the set-password form and setting the password (the domain's rule).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mspdesk_domain::{check_new_password, PASSWORD_MIN_CHARS};
use mspdesk_portal::{set_password_page, SetPasswordForm};
use secrecy::SecretString;
use serde::Deserialize;

use super::brand::{load, Branded};
use super::cookies::{self, Life};
use super::respond::{add_cookie, failure, message, page, signed_in, site};
use super::Site;
use crate::auth::{hash_password, password_work};
use crate::db::TenantTx;
use crate::error::AppResult;
use crate::store::audit::{self, Action};
use crate::store::portal::{self as accounts, new_token, tokens_match, Invitation};
use crate::AppState;

/// A token from a link: the shape of ours, or nothing (no lookup for anything else).
pub(super) fn link_token(raw: &str) -> Option<&str> {
    (raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(raw)
}

/// The invitation a link names, as a page when it is not open.
pub(super) async fn open_invitation(
    state: &AppState,
    site: &Site,
    raw: &str,
) -> AppResult<(Branded, Result<accounts::Invitee, Response>)> {
    let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
    let (_, brand) = load(&mut tx).await?;
    let found = match link_token(raw) {
        Some(token) => accounts::invitation(&mut tx, token).await?,
        None => Invitation::Unknown,
    };
    tx.commit().await?;
    let home = site.home();
    let closed = match found {
        Invitation::Open(invitee) => return Ok((brand, Ok(invitee))),
        Invitation::Spent => message(
            site,
            &brand,
            StatusCode::GONE,
            "This link no longer works",
            "Invitation links work once, for 72 hours. Ask your administrator for a new one.",
            Some((&home, "Go to sign-in")),
        )?,
        Invitation::Unknown => message(
            site,
            &brand,
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link, or ask your administrator for a new one.",
            Some((&home, "Go to sign-in")),
        )?,
    };
    Ok((brand, Err(closed)))
}

/// The set-password form, with a form cookie.
#[allow(clippy::too_many_arguments)]
pub(super) fn set_password_form(
    state: &AppState,
    site: &Site,
    brand: &Branded,
    headers: &HeaderMap,
    token: &str,
    email: &str,
    status: StatusCode,
    error: Option<&str>,
) -> AppResult<Response> {
    let form_token = cookies::get(headers, cookies::FORM).unwrap_or_else(new_token);
    let action = site.path(&format!("invitation/{token}"));
    let mut response = page(site, brand, status, |head, brand| {
        set_password_page(
            head,
            brand,
            &SetPasswordForm {
                action: &action,
                email,
                csrf_token: &form_token,
                error,
                min_length: PASSWORD_MIN_CHARS,
            },
        )
    })?;
    add_cookie(
        &mut response,
        cookies::set(
            site,
            state.secure_cookies,
            cookies::FORM,
            &form_token,
            Life::Browser,
        ),
    );
    Ok(response)
}

/// `GET /portal/{tenant}/invitation/{token}`: the set-password form of an open invitation.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn invitation(
    State(state): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let (brand, invitee) = open_invitation(&state, &site, &token).await?;
        match invitee {
            Ok(invitee) => set_password_form(
                &state,
                &site,
                &brand,
                &headers,
                &token,
                &invitee.email,
                StatusCode::OK,
                None,
            ),
            Err(page) => Ok(page),
        }
    }
    .await
    .unwrap_or_else(failure)
}

/// The set-password form's fields.
#[derive(Deserialize)]
pub struct SetPasswordBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /portal/{tenant}/invitation/{token}`: sets the password (the domain's rule), uses
/// the link up, ends the user's other sessions and signs the user in.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn set_password(
    State(state): State<AppState>,
    Path((tenant, token)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<SetPasswordBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let (brand, invitee) = open_invitation(&state, &site, &token).await?;
        let invitee = match invitee {
            Ok(invitee) => invitee,
            Err(page) => return Ok(page),
        };
        let refuse = |status, error: &str| {
            set_password_form(
                &state,
                &site,
                &brand,
                &headers,
                &token,
                &invitee.email,
                status,
                Some(error),
            )
        };
        let Ok(Form(body)) = form else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "The form could not be read; try again.",
            );
        };
        if !cookies::get(&headers, cookies::FORM).is_some_and(|c| tokens_match(&c, &body.csrf)) {
            return refuse(
                StatusCode::FORBIDDEN,
                "This form had expired. Please enter your new password again.",
            );
        }
        if body.password != body.confirm {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The two passwords differ. Enter the same password twice.",
            );
        }
        if let Err(e) = check_new_password(&body.password, &invitee.email) {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string());
        }
        let password = SecretString::from(body.password);
        let hash = password_work(&state, move || hash_password(&password)).await??;
        let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
        let Some(user_id) = accounts::accept(&mut tx, &token, &hash).await? else {
            // Used by a request that raced this one.
            drop(tx);
            let home = site.home();
            return message(
                &site,
                &brand,
                StatusCode::GONE,
                "This link no longer works",
                "It has just been used. Sign in with the password you chose.",
                Some((&home, "Go to sign-in")),
            );
        };
        audit::record(&mut tx, user_id, Action::UserPassword, &user_id.to_string()).await?;
        let (session, _) = accounts::start_session(&mut tx, user_id).await?;
        tx.commit().await?;
        tracing::info!(user = %user_id, "portal user set a password");
        Ok(signed_in(&state, &site, &session))
    }
    .await
    .unwrap_or_else(failure)
}
