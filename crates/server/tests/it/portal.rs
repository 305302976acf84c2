//! The client portal through its pages, as a browser would use them (cookies kept by a small
//! cookie jar, redirects not followed): invitations, passwords, sign-in, sessions, CSRF,
//! throttling, isolation, headers, the brand's stylesheet.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::collections::BTreeMap;

use crate::helpers::*;
use mspdesk_api::types::*;
use mspdesk_api::ProblemCode;
use mspdesk_server::store::throttle;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;
use uuid::Uuid;

const GOOD_PASSWORD: &str = "lantern-orchard-velvet-42";

/// The policy every portal response carries when the brand has no images elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The hidden CSRF field of the page's form.
    fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.body))
            + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

/// A browser: a cookie jar (every cookie sent to every path of the server, which only makes
/// the isolation tests stricter) and no redirects followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.url.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("Cookie", self.cookie_header())
        };
        let res = req.send().await.unwrap();
        let page = Page {
            status: res.status(),
            headers: res.headers().clone(),
            body: String::new(),
        };
        let body = res.text().await.unwrap();
        let page = Page { body, ..page };
        for set in page.set_cookies() {
            let (pair, attrs) = set.split_once(';').unwrap_or((&set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_owned()
}

async fn add_user(tenant: &Tenant, email: &str) -> User {
    tenant
        .api
        .create_user(
            &CreateUser {
                email: email.into(),
                name: format!("User {email}"),
            },
            None,
        )
        .await
        .unwrap()
}

/// A user who followed an invitation and set `GOOD_PASSWORD`; the browser is signed in.
async fn active_user(app: &TestApp, tenant: &Tenant, email: &str) -> (User, Browser) {
    let user = add_user(tenant, email).await;
    let link = tenant.api.invite_user(user.id).await.unwrap();
    let mut browser = Browser::new(app);
    let form = browser.get(&path_of(&link.url)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let done = browser
        .post(
            &path_of(&link.url),
            &[
                ("csrf", &form.csrf()),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    (user, browser)
}

async fn sign_in(browser: &mut Browser, tenant: &Tenant, email: &str, password: &str) -> Page {
    let home = format!("/portal/{}", tenant.id);
    let form = browser.get(&home).await;
    assert_eq!(form.status, StatusCode::OK);
    browser
        .post(
            &format!("{home}/sign-in"),
            &[
                ("csrf", &form.csrf()),
                ("email", email),
                ("password", password),
            ],
        )
        .await
}

fn is_overview(page: &Page) -> bool {
    page.status == StatusCode::OK && page.body.contains("portal-overview")
}

fn is_sign_in(page: &Page) -> bool {
    page.body.contains("portal-sign-in")
}

#[tokio::test]
async fn invitation_sets_a_password_once_and_signs_in() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let user = add_user(&acme, "alice@acme.example").await;
    assert_eq!(user.state, UserState::None);
    assert_eq!(user.invitation_expires_at, None);

    let link = acme.api.invite_user(user.id).await.unwrap();
    assert_eq!(link.user_id, user.id);
    let prefix = format!("{}/portal/{}/invitation/", app.url, acme.id);
    assert!(link.url.starts_with(&prefix), "{}", link.url);
    let hours = (link.expires_at - chrono::Utc::now()).num_minutes();
    assert!((71 * 60..=72 * 60).contains(&hours), "{hours} minutes");
    let listed = acme.api.users().await.unwrap().items;
    assert_eq!(listed[0].state, UserState::Invited);
    assert_eq!(listed[0].invitation_expires_at, Some(link.expires_at));
    // The MSP's change feed carries the new state too.
    let feed = msp.api.changes(None, None).await.unwrap();
    let fed = feed
        .items
        .iter()
        .find(|c| c.kind == ChangeKind::User)
        .and_then(|c| c.body.clone())
        .unwrap();
    assert_eq!(fed["state"], "invited");

    let mut browser = Browser::new(&app);
    let path = path_of(&link.url);
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("alice@acme.example"));
    let csrf = form.csrf();
    for (password, confirm, says) in [
        ("short", "short", "at least 12 characters"),
        ("qwerty123456", "qwerty123456", "most common passwords"),
        (GOOD_PASSWORD, "something-else-entirely", "differ"),
        ("alice@acme.example", "alice@acme.example", "e-mail address"),
    ] {
        let refused = browser
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("password", password),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}"
        );
        assert!(refused.body.contains(says), "{password}: {}", refused.body);
    }
    let done = browser
        .post(
            &path,
            &[
                ("csrf", &csrf),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.header("location"), format!("/portal/{}", acme.id));
    let session = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("mspdesk_portal_session="))
        .unwrap();
    assert!(session.contains("; HttpOnly"), "{session}");
    assert!(session.contains("; SameSite=Strict"), "{session}");
    assert!(
        session.contains(&format!("; Path=/portal/{}", acme.id)),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "loopback without TLS: {session}"
    );
    let overview = browser.get(&format!("/portal/{}", acme.id)).await;
    assert!(is_overview(&overview), "{}", overview.body);
    assert!(overview.body.contains("User alice@acme.example"));

    let listed = acme.api.users().await.unwrap().items;
    assert_eq!(listed[0].state, UserState::Active);
    assert_eq!(listed[0].invitation_expires_at, None);

    // The link works once.
    let again = Browser::new(&app).get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    let mut other = Browser::new(&app);
    let _ = other.get(&format!("/portal/{}", acme.id)).await; // a form cookie
    let replay = other
        .post(
            &path,
            &[
                ("csrf", &other.cookies["mspdesk_portal_form"].clone()),
                ("password", "another-long-passphrase-9"),
                ("confirm", "another-long-passphrase-9"),
            ],
        )
        .await;
    assert_eq!(replay.status, StatusCode::GONE);
    // The password set first still signs in; the replayed one does not.
    let mut fresh = Browser::new(&app);
    let refused = sign_in(
        &mut fresh,
        &acme,
        "alice@acme.example",
        "another-long-passphrase-9",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let ok = sign_in(&mut fresh, &acme, "ALICE@acme.example", GOOD_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "e-mail in any case");

    // The audit trail names the user as the actor of the password.
    let audit = msp.api.audit(None, None).await.unwrap();
    assert!(audit
        .items
        .iter()
        .any(|e| e.action.as_str() == "user.password" && e.actor_id == user.id));
    assert!(audit
        .items
        .iter()
        .any(|e| e.action.as_str() == "user.invite"));
}

#[tokio::test]
async fn invitations_expire_and_a_new_one_replaces_the_old() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let user = add_user(&acme, "bob@acme.example").await;

    let first = acme.api.invite_user(user.id).await.unwrap();
    let second = acme.api.invite_user(user.id).await.unwrap();
    assert_ne!(first.url, second.url);
    let replaced = Browser::new(&app).get(&path_of(&first.url)).await;
    assert_eq!(replaced.status, StatusCode::NOT_FOUND);
    assert_eq!(
        Browser::new(&app).get(&path_of(&second.url)).await.status,
        StatusCode::OK
    );

    // 72 hours later (the database's clock decides).
    sqlx::query("UPDATE portal_invitations SET expires_at = now() - interval '1 second'")
        .execute(&app.admin)
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    let expired = browser.get(&path_of(&second.url)).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("no longer works"));
    let users = acme.api.users().await.unwrap().items;
    assert_eq!(users[0].state, UserState::None);
    assert_eq!(users[0].invitation_expires_at, None);

    // A link whose shape is not ours, or of an unknown user, is a 404.
    assert_eq!(
        browser
            .get(&format!("/portal/{}/invitation/nope", acme.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let stranger = acme.api.invite_user(Uuid::now_v7()).await.unwrap_err();
    assert_eq!(stranger.code(), Some(ProblemCode::NotFound));
}

#[tokio::test]
async fn sign_in_sessions_and_sign_out() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let (_, _) = active_user(&app, &acme, "carol@acme.example").await;
    let home = format!("/portal/{}", acme.id);

    let mut browser = Browser::new(&app);
    let form = browser.get(&home).await;
    assert!(is_sign_in(&form));
    let wrong = sign_in(
        &mut browser,
        &acme,
        "carol@acme.example",
        "not-the-password!",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong e-mail or password."));
    assert!(!browser.cookies.contains_key("mspdesk_portal_session"));
    let unknown = sign_in(&mut browser, &acme, "nobody@acme.example", GOOD_PASSWORD).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body.replace("carol@", "X@"),
        unknown.body.replace("nobody@", "X@"),
        "the same answer for an unknown e-mail"
    );

    let ok = sign_in(&mut browser, &acme, "carol@acme.example", GOOD_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(
        !browser.cookies.contains_key("mspdesk_portal_form"),
        "the form cookie goes"
    );
    let overview = browser.get(&home).await;
    assert!(is_overview(&overview));
    let stolen = browser.cookies["mspdesk_portal_session"].clone();

    // Sign-out needs the session's form token.
    let forged = browser
        .post(
            &format!("{home}/sign-out"),
            &[("csrf", "forged-token-000000000000")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = browser.post(&format!("{home}/sign-out"), &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(is_overview(&browser.get(&home).await), "still signed in");

    let out = browser
        .post(&format!("{home}/sign-out"), &[("csrf", &overview.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.header("location"), home);
    assert!(!browser.cookies.contains_key("mspdesk_portal_session"));
    assert!(is_sign_in(&browser.get(&home).await));
    // The old cookie is worth nothing now.
    browser
        .cookies
        .insert("mspdesk_portal_session".into(), stolen);
    let replayed = browser.get(&home).await;
    assert!(is_sign_in(&replayed));
    assert!(
        replayed
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("mspdesk_portal_session=;") && c.contains("Max-Age=0")),
        "the stale cookie is removed"
    );
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_after_seven_days_and_with_the_user() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let home = format!("/portal/{}", acme.id);

    let (_, mut idle) = active_user(&app, &acme, "dave@acme.example").await;
    assert!(is_overview(&idle.get(&home).await));
    sqlx::query("UPDATE portal_sessions SET last_seen_at = now() - interval '12 hours 1 minute'")
        .execute(&app.admin)
        .await
        .unwrap();
    assert!(is_sign_in(&idle.get(&home).await), "idle for 12 hours");

    let mut old = Browser::new(&app);
    assert_eq!(
        sign_in(&mut old, &acme, "dave@acme.example", GOOD_PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    sqlx::query("UPDATE portal_sessions SET expires_at = now() - interval '1 second'")
        .execute(&app.admin)
        .await
        .unwrap();
    assert!(is_sign_in(&old.get(&home).await), "past the absolute limit");

    // Deleting the user ends every session at once.
    let (erin, mut one) = active_user(&app, &acme, "erin@acme.example").await;
    let mut two = Browser::new(&app);
    sign_in(&mut two, &acme, "erin@acme.example", GOOD_PASSWORD).await;
    assert!(is_overview(&one.get(&home).await) && is_overview(&two.get(&home).await));
    acme.api.delete_user(erin.id).await.unwrap();
    assert!(is_sign_in(&one.get(&home).await));
    assert!(is_sign_in(&two.get(&home).await));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM portal_sessions WHERE user_id = $1")
        .bind(erin.id)
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);

    // A new invitation resets the password and ends the user's sessions.
    let (frank, mut signed_in) = active_user(&app, &acme, "frank@acme.example").await;
    let reset = acme.api.invite_user(frank.id).await.unwrap();
    let mut elsewhere = Browser::new(&app);
    let form = elsewhere.get(&path_of(&reset.url)).await;
    let done = elsewhere
        .post(
            &path_of(&reset.url),
            &[
                ("csrf", &form.csrf()),
                ("password", "a-brand-new-passphrase-7"),
                ("confirm", "a-brand-new-passphrase-7"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(is_sign_in(&signed_in.get(&home).await));
    assert!(is_overview(&elsewhere.get(&home).await));
}

#[tokio::test]
async fn forms_without_the_right_token_are_refused() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    active_user(&app, &acme, "gina@acme.example").await;
    let home = format!("/portal/{}", acme.id);
    let credentials = [("email", "gina@acme.example"), ("password", GOOD_PASSWORD)];

    // No form cookie at all (a cross-site post carries none: SameSite=Strict).
    let mut browser = Browser::new(&app);
    let mut body = credentials.to_vec();
    body.push(("csrf", "made-up-token-0000000000000"));
    let refused = browser.post(&format!("{home}/sign-in"), &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("mspdesk_portal_session"));
    // A form cookie, but the wrong token, or none, in the form.
    let _ = browser.get(&home).await;
    let refused = browser.post(&format!("{home}/sign-in"), &body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = browser.post(&format!("{home}/sign-in"), &credentials).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!browser.cookies.contains_key("mspdesk_portal_session"));
    // The refused page carries a fresh form that works.
    let ok = browser
        .post(
            &format!("{home}/sign-in"),
            &[
                ("csrf", &refused.csrf()),
                ("email", "gina@acme.example"),
                ("password", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    // The set-password form too: the invitation stays open.
    let user = add_user(&acme, "hal@acme.example").await;
    let link = acme.api.invite_user(user.id).await.unwrap();
    let mut browser = Browser::new(&app);
    let _ = browser.get(&path_of(&link.url)).await;
    let refused = browser
        .post(
            &path_of(&link.url),
            &[
                ("csrf", "made-up-token-0000000000000"),
                ("password", GOOD_PASSWORD),
                ("confirm", GOOD_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        acme.api.users().await.unwrap().items[1].state,
        UserState::Invited
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_per_address() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    active_user(&app, &acme, "ivy@acme.example").await;
    let mut browser = Browser::new(&app);
    for _ in 0..throttle::PORTAL_ACCOUNT.limit {
        let wrong = sign_in(
            &mut browser,
            &acme,
            "Ivy@acme.example",
            "wrong-password-123",
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused, without being checked.
    let blocked = sign_in(&mut browser, &acme, "ivy@acme.example", GOOD_PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = blocked.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(blocked.body.contains("Too many failed sign-ins"));
    assert!(!browser.cookies.contains_key("mspdesk_portal_session"));
    // The same e-mail at another client is another account.
    let other = client(&msp, "Other", unlimited()).await;
    active_user(&app, &other, "ivy@acme.example").await;
    let ok = sign_in(
        &mut Browser::new(&app),
        &other,
        "ivy@acme.example",
        GOOD_PASSWORD,
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // When the wait (and the address's window) has passed, the account may try again.
    sqlx::query(
        "UPDATE throttle SET blocked_until = now() - interval '1 second',
                             window_ends = now() - interval '1 second'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let ok = sign_in(&mut browser, &acme, "ivy@acme.example", GOOD_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);

    // The address: 20 failures over any accounts (19 counted directly, one through the form).
    let keys = [(throttle::PORTAL_ADDRESS, "127.0.0.1")];
    for _ in 0..throttle::PORTAL_ADDRESS.limit - 1 {
        // An attempt never followed by a success counts as a failure.
        let _failed = throttle::reserve(&app.pool, &keys).await.unwrap();
    }
    let mut browser = Browser::new(&app);
    let wrong = sign_in(
        &mut browser,
        &acme,
        "someone@acme.example",
        "wrong-password-123",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let blocked = sign_in(&mut browser, &other, "ivy@acme.example", GOOD_PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_msp_clears_a_portal_users_sign_in_lock() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let (ivy, _) = active_user(&app, &acme, "ivy@acme.example").await;
    let mut browser = Browser::new(&app);
    for _ in 0..throttle::PORTAL_ACCOUNT.limit {
        let wrong = sign_in(
            &mut browser,
            &acme,
            "ivy@acme.example",
            "wrong-password-123",
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = sign_in(&mut browser, &acme, "ivy@acme.example", GOOD_PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client cannot clear it (another tenant's user is not found).
    let other = client(&msp, "Other", unlimited()).await;
    let refused = other.api.clear_sign_in_lock(ivy.id).await.unwrap_err();
    assert_eq!(refused.code(), Some(ProblemCode::NotFound));
    acme.api.clear_sign_in_lock(ivy.id).await.unwrap();
    let ok = sign_in(&mut browser, &acme, "ivy@acme.example", GOOD_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // The audit log shows the failed attempts and the clearing.
    let audit = msp.api.audit(Some(200), None).await.unwrap();
    let count = |action: &str| {
        audit
            .items
            .iter()
            .filter(|e| e.action.as_str() == action && e.target_id == ivy.id.to_string())
            .count()
    };
    assert_eq!(count("user.sign_in_failed"), 5);
    assert_eq!(count("user.unlock"), 1);
}

#[tokio::test]
async fn operator_logins_are_throttled_with_the_same_limits() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    for _ in 0..throttle::OPERATOR_ACCOUNT.limit {
        let wrong = app
            .api
            .login(&msp.email, &secret("wrong password"))
            .await
            .unwrap_err();
        assert_eq!(wrong.code(), Some(ProblemCode::Unauthorized));
    }
    let res = app
        .api
        .request(reqwest::Method::POST, "/api/v1/auth/login")
        .json(&serde_json::json!({"email": msp.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: mspdesk_api::Problem = res.json().await.unwrap();
    assert_eq!(problem.code, ProblemCode::TooManyRequests);
    // A success clears the account's count.
    sqlx::query("DELETE FROM throttle")
        .execute(&app.pool)
        .await
        .unwrap();
    for _ in 0..throttle::OPERATOR_ACCOUNT.limit - 1 {
        let _ = app.api.login(&msp.email, &secret("wrong password")).await;
    }
    app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
    for _ in 0..throttle::OPERATOR_ACCOUNT.limit - 1 {
        let _ = app.api.login(&msp.email, &secret("wrong password")).await;
    }
    app.api.login(&msp.email, &secret(PASSWORD)).await.unwrap();
}

#[tokio::test]
async fn a_user_sees_only_their_own_client() {
    let app = spawn_app().await;
    let first = msp(&app).await;
    let second = msp(&app).await;
    let acme = client(&first, "Acme", unlimited()).await;
    let globex = client(&first, "Globex", unlimited()).await;
    let initech = client(&second, "Initech", unlimited()).await;
    acme.api
        .create_server(&server_body("acme-web", 40), None)
        .await
        .unwrap();
    globex
        .api
        .create_server(&server_body("globex-secret-db", 80), None)
        .await
        .unwrap();
    let (_, mut alice) = active_user(&app, &acme, "alice@acme.example").await;
    active_user(&app, &globex, "alice@acme.example").await;
    active_user(&app, &initech, "alice@acme.example").await;

    let mine = alice.get(&format!("/portal/{}", acme.id)).await;
    assert!(is_overview(&mine));
    assert!(mine.body.contains("acme-web"));
    assert!(!mine.body.contains("globex-secret-db"));
    // Alice's session cookie means nothing at another client, of this MSP or another.
    for other in [globex.id, initech.id] {
        let page = alice.get(&format!("/portal/{other}")).await;
        assert!(is_sign_in(&page), "{other}");
        assert!(!page.body.contains("globex-secret-db"));
        let out = alice
            .post(
                &format!("/portal/{other}/sign-out"),
                &[("csrf", &mine.csrf())],
            )
            .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
    }
    // (Her cookie jar lost the session to those sign-outs' cookie removal; it still works.)
    let session: String =
        sqlx::query_scalar("SELECT count(*)::text FROM portal_sessions WHERE tenant_id = $1")
            .bind(acme.id.as_uuid())
            .fetch_one(&app.admin)
            .await
            .unwrap();
    assert_eq!(session, "1", "signing out elsewhere ended nothing here");
    // Acme's credentials do not open Globex's portal unless Globex's own user has them.
    let mut browser = Browser::new(&app);
    let page = sign_in(
        &mut browser,
        &globex,
        "alice@acme.example",
        "not-globex-password",
    )
    .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    // Another client's invitation is unknown here.
    let user = add_user(&globex, "gus@globex.example").await;
    let link = globex.api.invite_user(user.id).await.unwrap();
    let crossed = path_of(&link.url).replace(&globex.id.to_string(), &acme.id.to_string());
    assert_eq!(
        Browser::new(&app).get(&crossed).await.status,
        StatusCode::NOT_FOUND
    );
    // An MSP is not a client: no portal. Nor is an id that names nothing.
    for tenant in [
        first.tenant.to_string(),
        Uuid::now_v7().to_string(),
        "x".into(),
    ] {
        let page = Browser::new(&app).get(&format!("/portal/{tenant}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{tenant}");
        assert_eq!(page.header("content-security-policy"), CSP);
        let css = Browser::new(&app)
            .get(&format!("/portal/{tenant}/branding.css"))
            .await;
        assert_eq!(css.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn every_response_carries_the_policy_and_the_brand_sheet_revalidates() {
    let app = spawn_app().await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let home = format!("/portal/{}", acme.id);
    let mut browser = Browser::new(&app);
    let pages = [
        browser.get(&home).await,
        browser.get(&format!("{home}/invitation/nope")).await,
        browser.get(&format!("{home}/branding.css")).await,
        browser.get("/portal/static/portal.css").await,
        browser.post(&format!("{home}/sign-in"), &[]).await,
        browser.get(&format!("/portal/{}", Uuid::now_v7())).await,
    ];
    for page in &pages {
        assert_eq!(page.header("content-security-policy"), CSP);
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");
        assert!(!page.body.contains("<script"));
        assert!(!page.body.contains("style=\""));
        assert!(!page.body.contains("<style"));
    }
    assert_eq!(pages[0].header("cache-control"), "no-store");
    assert!(pages[0]
        .body
        .contains(&format!("href=\"{home}/branding.css\"")));

    // The brand: colours as custom properties, the client's CSS after them, an https logo's
    // origin allowed for images.
    let current = acme.api.branding().await.unwrap();
    acme.api
        .set_branding(
            &UpdateBranding {
                company_name: Some("Acme Portal".into()),
                primary_color: Some("#7A1F5C".into()),
                logo_url: Some("https://cdn.acme.example:8443/logo.png".into()),
                favicon_url: Some("https://icons.acme.example/favicon.ico".into()),
                custom_css: Some(".mspdesk-portal .portal-title { letter-spacing: 1px; }".into()),
                ..UpdateBranding::default()
            },
            current.version,
        )
        .await
        .unwrap();
    let page = browser.get(&home).await;
    assert_eq!(
        page.header("content-security-policy"),
        "default-src 'none'; style-src 'self'; font-src 'self'; \
         img-src 'self' https://cdn.acme.example:8443 https://icons.acme.example; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert!(page.body.contains("Acme Portal"));
    assert!(page
        .body
        .contains("src=\"https://cdn.acme.example:8443/logo.png\""));
    let sheet = browser.get(&format!("{home}/branding.css")).await;
    assert_eq!(sheet.status, StatusCode::OK);
    assert_eq!(sheet.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(sheet.header("cache-control"), "no-cache");
    assert!(sheet
        .body
        .starts_with(".mspdesk-portal{--brand-primary:#7A1F5C;"));
    assert!(sheet.body.contains("letter-spacing"));
    let etag = sheet.header("etag").to_owned();
    assert!(etag.starts_with('"'));
    let cached = browser
        .send(
            browser
                .http
                .get(format!("{}{home}/branding.css", app.url))
                .header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert_eq!(cached.header("etag"), etag);
    assert!(cached.body.is_empty());
    // A change of branding changes the tag: the next page shows it.
    let current = acme.api.branding().await.unwrap();
    acme.api
        .set_branding(
            &UpdateBranding {
                primary_color: Some("#123456".into()),
                ..UpdateBranding::default()
            },
            current.version,
        )
        .await
        .unwrap();
    let changed = browser
        .send(
            browser
                .http
                .get(format!("{}{home}/branding.css", app.url))
                .header("If-None-Match", &etag),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.body.contains("#123456"));
    assert_ne!(changed.header("etag"), etag);
}

#[tokio::test]
async fn custom_domains_serve_their_portal_and_unknown_hosts_get_a_plain_404() {
    let app = spawn_app_with(AppOptions {
        domains: mspdesk_server::DomainSettings {
            public_host: Some(mspdesk_domain::DomainName::parse("cp.msp.example").unwrap()),
            ..mspdesk_server::DomainSettings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let globex = client(&msp, "Globex", unlimited()).await;
    let user = add_user(&acme, "ann@acme.example").await;
    // Not verified yet: the domain names nothing.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |host: &'static str, path: String| {
        http.get(format!("{}{path}", app.url))
            .header("Host", host)
            .send()
    };
    let res = get("portal.acme.example", "/".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");

    // Verified (as POST /branding/domain/verify records it).
    sqlx::query("INSERT INTO verified_domains (domain, tenant_id, msp_id) VALUES ($1, $2, $3)")
        .bind("portal.acme.example")
        .bind(acme.id.as_uuid())
        .bind(msp.tenant.as_uuid())
        .execute(&app.admin)
        .await
        .unwrap();
    let res = get("portal.acme.example", "/".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-security-policy"], CSP);
    let cookies: Vec<String> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| c.contains("; Path=/;")),
        "{cookies:?}"
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("Sign in to Acme"), "{body}");
    assert!(body.contains(&format!("action=\"/portal/{}/sign-in\"", acme.id)));
    // Its own portal paths and images, nothing else: not the API, not another client.
    for (path, want) in [
        (format!("/portal/{}/branding.css", acme.id), StatusCode::OK),
        ("/portal/static/portal.css".to_owned(), StatusCode::OK),
        (format!("/portal/{}", globex.id), StatusCode::NOT_FOUND),
        ("/api/v1/plans".to_owned(), StatusCode::NOT_FOUND),
        ("/api/v1/openapi.json".to_owned(), StatusCode::NOT_FOUND),
    ] {
        let res = get("portal.acme.example", path.clone()).await.unwrap();
        assert_eq!(res.status(), want, "{path}");
    }
    // The invitation link uses the verified domain.
    let link = acme.api.invite_user(user.id).await.unwrap();
    assert!(
        link.url.starts_with(&format!(
            "https://portal.acme.example/portal/{}/invitation/",
            acme.id
        )),
        "{}",
        link.url
    );

    // A host nobody configured: a plain 404 for every path.
    for path in ["/", "/api/v1/health", "/portal/static/portal.css"] {
        let res = get("evil.example", path.into()).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    }
    // Over HTTP/2 the host comes as `:authority`, not `Host`: it counts the same.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .resolve("portal.acme.example", app.addr)
        .resolve("evil.example", app.addr)
        .build()
        .unwrap();
    let port = app.addr.port();
    let res = h2
        .get(format!("http://portal.acme.example:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_2);
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Sign in to Acme"));
    for path in ["/", "/api/v1/health"] {
        let res = h2
            .get(format!("http://evil.example:{port}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    }
    // An absolute request target names the host too; one that disagrees with `Host`, or
    // carries user information, is refused.
    for (target, host, want) in [
        ("http://portal.acme.example/", "portal.acme.example", "200"),
        ("http://evil.example/", "portal.acme.example", "400"),
        ("http://portal.acme.example/", "evil.example", "400"),
        (
            "http://u@portal.acme.example/",
            "portal.acme.example",
            "400",
        ),
    ] {
        let mut conn = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        tokio::io::AsyncWriteExt::write_all(&mut conn, request.as_bytes())
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut answer)
            .await
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {want}")),
            "{target} with Host {host}: {answer}"
        );
    }
    // The Control Panel's own host, and its address, answer as before: `/` is no route.
    for host in ["cp.msp.example", "127.0.0.1"] {
        let res = get(host, "/".into()).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let res = get(host, "/api/v1/plans".into()).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the API is there");
    }
}

#[tokio::test]
async fn cookies_are_secure_behind_a_public_host() {
    let app = spawn_app_with(AppOptions {
        domains: mspdesk_server::DomainSettings {
            public_host: Some(mspdesk_domain::DomainName::parse("cp.msp.example").unwrap()),
            ..mspdesk_server::DomainSettings::default()
        },
        ..AppOptions::default()
    })
    .await;
    let msp = msp(&app).await;
    let acme = client(&msp, "Acme", unlimited()).await;
    let page = Browser::new(&app)
        .get(&format!("/portal/{}", acme.id))
        .await;
    let form = page.set_cookies().join("\n");
    assert!(
        form.contains("mspdesk_portal_form=") && form.contains("; Secure"),
        "{form}"
    );
    let user = add_user(&acme, "sam@acme.example").await;
    let link = acme.api.invite_user(user.id).await.unwrap();
    assert!(link.url.starts_with("https://127.0.0.1:"), "{}", link.url);
}
