//! Signing in and out of the portal (form tokens, the throttle, the password).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use mspdesk_domain::{email_key, TenantId};
use mspdesk_portal::{sign_in_page, SignInForm};
use secrecy::SecretString;
use serde::Deserialize;

use super::brand::{load, Branded};
use super::cookies::{self, Life};
use super::respond::{add_cookie, failure, message, page, see_other, signed_in, site};
use super::Site;
use crate::auth::{attempt_sign_in, SignInAttempt};
use crate::db::TenantTx;
use crate::error::{AppError, AppResult};
use crate::extract::PeerIp;
use crate::store::audit::{self, Action};
use crate::store::portal::{self as accounts, new_token, tokens_match};
use crate::store::throttle::{self, PORTAL_ACCOUNT, PORTAL_ADDRESS};
use crate::AppState;

/// The sign-in form, with a form cookie (kept if the browser has one) and any stale session
/// cookie removed.
pub(super) fn sign_in_form(
    state: &AppState,
    site: &Site,
    brand: &Branded,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
) -> AppResult<Response> {
    let token = cookies::get(headers, cookies::FORM).unwrap_or_else(new_token);
    let action = site.path("sign-in");
    let mut response = page(site, brand, status, |head, brand| {
        sign_in_page(
            head,
            brand,
            &SignInForm {
                action: &action,
                email,
                csrf_token: Some(&token),
                error,
            },
        )
    })?;
    let secure = state.secure_cookies;
    add_cookie(
        &mut response,
        cookies::set(site, secure, cookies::FORM, &token, Life::Browser),
    );
    if cookies::get(headers, cookies::SESSION).is_some() {
        add_cookie(
            &mut response,
            cookies::set(site, secure, cookies::SESSION, "", Life::Gone),
        );
    }
    Ok(response)
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInBody {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /portal/{tenant}/sign-in`: checks the form token, the throttle, then the password.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn sign_in(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
    form: Result<Form<SignInBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
        let (_, brand) = load(&mut tx).await?;
        tx.commit().await?;
        let refuse = |status, email: &str, error: &str| {
            sign_in_form(&state, &site, &brand, &headers, status, email, Some(error))
        };
        let Ok(Form(body)) = form else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "",
                "The form could not be read; try again.",
            );
        };
        let email = body.email.trim();
        if !cookies::get(&headers, cookies::FORM).is_some_and(|c| tokens_match(&c, &body.csrf)) {
            return refuse(
                StatusCode::FORBIDDEN,
                email,
                "This form had expired. Please sign in again.",
            );
        }
        // One identity per address: looked up and throttled by its key alone.
        let key = email_key(email);
        let account = throttle_account(site.tenant, &key);
        let address = throttle::address_key(peer);
        let attempt = SignInAttempt {
            rules: (PORTAL_ACCOUNT, PORTAL_ADDRESS),
            account: &account,
            address: &address,
            password: SecretString::from(body.password),
        };
        let outcome = attempt_sign_in(
            &state,
            attempt,
            async || {
                // A NUL is in no account's address (and PostgreSQL refuses it in text).
                if key.contains('\0') {
                    return Ok(None);
                }
                let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
                let found = accounts::credentials(&mut tx, &key).await?;
                tx.commit().await?;
                Ok(found)
            },
            // Audited in the client's tenant, with the user as the actor.
            async |&user_id| {
                let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
                audit::record(
                    &mut tx,
                    user_id,
                    Action::UserSignInFailed,
                    &user_id.to_string(),
                )
                .await?;
                tx.commit().await
            },
        )
        .await;
        let user_id = match outcome {
            Ok(Some(user_id)) => user_id,
            Ok(None) => {
                return refuse(StatusCode::UNAUTHORIZED, email, "Wrong e-mail or password.")
            }
            Err(AppError::TooManyRequests(wait)) => {
                let text = format!(
                    "Too many failed sign-ins. Try again in {}.",
                    throttle::describe_wait(wait)
                );
                let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, email, &text)?;
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, wait.into());
                return Ok(response);
            }
            Err(e) => return Err(e),
        };
        let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
        let (token, _) = accounts::start_session(&mut tx, user_id).await?;
        tx.commit().await?;
        tracing::info!(user = %user_id, "portal user signed in");
        Ok(signed_in(&state, &site, &token))
    }
    .await
    .unwrap_or_else(failure)
}

/// A signed-in form's only field.
#[derive(Deserialize)]
pub struct CsrfBody {
    #[serde(default)]
    csrf: String,
}

/// `POST /portal/{tenant}/sign-out`: ends the session (its form token must match).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn sign_out(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    form: Result<Form<CsrfBody>, FormRejection>,
) -> Response {
    async {
        let site = site(&state, &tenant, &headers).await?;
        let mut tx = TenantTx::begin(&state.pool, site.scope()).await?;
        let (_, brand) = load(&mut tx).await?;
        if let Some(token) = cookies::get(&headers, cookies::SESSION) {
            if let Some(session) = accounts::session(&mut tx, &token).await? {
                let csrf = form.map(|Form(b)| b.csrf).unwrap_or_default();
                if !tokens_match(&session.csrf_token, &csrf) {
                    tx.commit().await?;
                    let home = site.home();
                    return message(
                        &site,
                        &brand,
                        StatusCode::FORBIDDEN,
                        "Not signed out",
                        "The request did not come from this portal's own page.",
                        Some((&home, "Back to the overview")),
                    );
                }
                accounts::end_session(&mut tx, &token).await?;
                tracing::info!(user = %session.user_id, "portal user signed out");
            }
        }
        tx.commit().await?;
        let mut response = see_other(&site.home());
        add_cookie(
            &mut response,
            cookies::set(
                &site,
                state.secure_cookies,
                cookies::SESSION,
                "",
                Life::Gone,
            ),
        );
        Ok(response)
    }
    .await
    .unwrap_or_else(failure)
}

/// A portal account as the throttle counts it: the client and the e-mail's identity key.
fn throttle_account(tenant: TenantId, email_key: &str) -> String {
    format!("{tenant}:{email_key}")
}

/// Clears a portal user's sign-in waits from every address (`DELETE /users/{id}/sign-in-lock`).
pub async fn clear_sign_in_lock(
    state: &AppState,
    tenant: TenantId,
    email_key: &str,
) -> AppResult<()> {
    let cleared = throttle::clear_account(
        &state.pool,
        PORTAL_ACCOUNT,
        &throttle_account(tenant, email_key),
    )
    .await?;
    tracing::info!(%tenant, addresses = cleared, "a portal user's sign-in waits were cleared");
    Ok(())
}
