//! A typed client for the Control Panel API: one method per route. The desktop app syncs with
//! it, and the server's integration tests drive the server through it, so it is exercised
//! against the real server from the start.

use reqwest::{header, Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use crate::types::*;
use crate::{Problem, ProblemCode, API_PREFIX};
use mspdesk_domain::ClientId;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error (problem+json).
    #[error("{0}")]
    Problem(Box<Problem>),
    /// No answer: connection refused, reset, timed out.
    #[error("could not reach the Control Panel: {0}")]
    Transport(#[source] reqwest::Error),
    /// An answer that is not what the contract says.
    #[error("unexpected answer from the Control Panel (HTTP {status}): {message}")]
    Unexpected { status: u16, message: String },
    #[error("invalid server URL: {0}")]
    BadUrl(String),
    /// The answer is larger than [`MAX_RESPONSE_BYTES`]: not read any further.
    #[error("the Control Panel's answer is larger than {} MiB: refused", MAX_RESPONSE_BYTES / (1024 * 1024))]
    TooLarge,
    /// A list kept handing out pages past [`MAX_PAGES`], or a cursor that does not move.
    #[error("the Control Panel's list did not end after {0} pages: stopped")]
    EndlessList(usize),
}

/// The largest answer the client reads (a change-feed page of 5,000 changes is far below it).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The most pages a list method follows before it gives up ([`ApiError::EndlessList`]).
pub const MAX_PAGES: usize = 1000;

impl ApiError {
    /// The problem code, when the server answered with one.
    #[must_use]
    pub fn code(&self) -> Option<ProblemCode> {
        match self {
            ApiError::Problem(p) => Some(p.code),
            _ => None,
        }
    }

    #[must_use]
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            ApiError::Problem(p) => Some(p),
            _ => None,
        }
    }
}

/// The formatted `If-Match` value for a resource version.
#[must_use]
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ApiClient {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:8080`), without a token.
    pub fn new(base: &str) -> Result<Self, ApiError> {
        let base = Url::parse(base).map_err(|e| ApiError::BadUrl(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(ApiError::BadUrl(format!(
                "{} is not http(s)",
                base.scheme()
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            // A redirect is followed only within the same origin: a password or a token is
            // never sent to another host because the server said so.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if same_origin && attempt.previous().len() < 5 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .build()
            .map_err(ApiError::Transport)?;
        Ok(Self {
            http,
            base,
            token: None,
        })
    }

    /// The same client, sending `token` as its bearer token.
    #[must_use]
    pub fn with_token(&self, token: SecretString) -> Self {
        Self {
            token: Some(token),
            ..self.clone()
        }
    }

    #[must_use]
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// A request to `path` (under `/api/v1` unless it starts with `/` outside it), with the
    /// bearer token. For routes and headers the typed methods do not cover (tests use it).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut url = self.base.clone();
        url.set_path(path);
        let req = self.http.request(method, url);
        match &self.token {
            Some(t) => req.bearer_auth(t.expose_secret()),
            None => req,
        }
    }

    fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, &format!("{API_PREFIX}{path}"))
    }

    async fn send<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ApiError> {
        let resp = req.send().await.map_err(ApiError::Transport)?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(ApiError::Unexpected {
                status: status.as_u16(),
                message: "a redirect to another origin was not followed".to_owned(),
            });
        }
        let bytes = read_limited(resp).await?;
        if status.is_success() {
            let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(body).map_err(|e| ApiError::Unexpected {
                status: status.as_u16(),
                message: e.to_string(),
            });
        }
        Err(problem_from(status, &bytes))
    }

    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send(req.json(body)).await
    }

    // --- public --------------------------------------------------------------------------

    pub async fn health(&self) -> Result<Health, ApiError> {
        self.send(self.request(Method::GET, "/health")).await
    }

    pub async fn openapi(&self) -> Result<serde_json::Value, ApiError> {
        self.send(self.api(Method::GET, "/openapi.json")).await
    }

    /// Readiness: the server and its database answer.
    pub async fn ready(&self) -> Result<Health, ApiError> {
        self.send(self.request(Method::GET, "/ready")).await
    }

    // --- auth ------------------------------------------------------------------------------

    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
    ) -> Result<LoginResponse, ApiError> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.clone(),
        };
        self.send_json(self.api(Method::POST, "/auth/login"), &body)
            .await
    }

    /// Signs out: this client's token stops working at once, on every server instance.
    pub async fn logout(&self) -> Result<(), ApiError> {
        self.send(self.api(Method::POST, "/auth/logout")).await
    }

    pub async fn client_token(&self, client: ClientId) -> Result<ClientToken, ApiError> {
        self.send(self.api(Method::POST, &format!("/clients/{client}/token")))
            .await
    }

    // --- MSP scope -------------------------------------------------------------------------

    /// The signed-in operator's MSP.
    pub async fn msp(&self) -> Result<MspProfile, ApiError> {
        self.send(self.api(Method::GET, "/msp")).await
    }

    pub async fn plans(&self) -> Result<List<Plan>, ApiError> {
        self.send(self.api(Method::GET, "/plans")).await
    }

    pub async fn prices(&self) -> Result<List<Price>, ApiError> {
        self.send(self.api(Method::GET, "/prices")).await
    }

    pub async fn set_price(
        &self,
        provider: mspdesk_domain::Provider,
        server_type: &str,
        body: &UpdatePrice,
    ) -> Result<Price, ApiError> {
        let req = self.api(Method::PUT, &format!("/prices/{provider}/{server_type}"));
        self.send_json(req, body).await
    }

    pub async fn fx(&self) -> Result<FxTableBody, ApiError> {
        self.send(self.api(Method::GET, "/fx")).await
    }

    pub async fn set_fx(&self, body: &UpdateFx) -> Result<FxTableBody, ApiError> {
        self.send_json(self.api(Method::PUT, "/fx"), body).await
    }

    /// The billing report for `period` (`YYYY-MM`): one client, or all when `client` is None.
    pub async fn billing_report(
        &self,
        period: &str,
        client: Option<ClientId>,
    ) -> Result<mspdesk_domain::BillingReport, ApiError> {
        let mut query = vec![("period", period.to_owned())];
        if let Some(c) = client {
            query.push(("client_id", c.to_string()));
        }
        self.send(self.api(Method::GET, "/billing/report").query(&query))
            .await
    }

    pub async fn create_client(
        &self,
        body: &CreateClient,
        idempotency_key: Option<&str>,
    ) -> Result<Client, ApiError> {
        let req = with_idempotency(self.api(Method::POST, "/clients"), idempotency_key);
        self.send_json(req, body).await
    }

    pub async fn list_clients(
        &self,
        q: Option<&str>,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<ClientSummary>, ApiError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(q) = q {
            query.push(("q", q.to_owned()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        self.send(self.api(Method::GET, "/clients").query(&query))
            .await
    }

    /// A page of the change feed after `since` (None: a full snapshot from the start).
    pub async fn changes(
        &self,
        since: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ChangesPage, ApiError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(since) = since {
            query.push(("since", since.to_owned()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        self.send(self.api(Method::GET, "/changes").query(&query))
            .await
    }

    pub async fn get_client(&self, id: ClientId) -> Result<Client, ApiError> {
        self.send(self.api(Method::GET, &format!("/clients/{id}")))
            .await
    }

    pub async fn update_client(
        &self,
        id: ClientId,
        body: &UpdateClient,
        version: i64,
    ) -> Result<Client, ApiError> {
        let req = self
            .api(Method::PATCH, &format!("/clients/{id}"))
            .header(header::IF_MATCH, etag(version));
        self.send_json(req, body).await
    }

    pub async fn set_quotas(
        &self,
        id: ClientId,
        body: &QuotasInput,
        version: i64,
    ) -> Result<Client, ApiError> {
        let req = self
            .api(Method::PUT, &format!("/clients/{id}/quotas"))
            .header(header::IF_MATCH, etag(version));
        self.send_json(req, body).await
    }

    pub async fn delete_client(&self, id: ClientId) -> Result<(), ApiError> {
        self.send(self.api(Method::DELETE, &format!("/clients/{id}")))
            .await
    }

    pub async fn audit(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEntry>, ApiError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        self.send(self.api(Method::GET, "/audit").query(&query))
            .await
    }

    // --- tenant scope ----------------------------------------------------------------------

    pub async fn tenant(&self) -> Result<Client, ApiError> {
        self.send(self.api(Method::GET, "/tenant")).await
    }

    pub async fn create_server(
        &self,
        body: &CreateServer,
        idempotency_key: Option<&str>,
    ) -> Result<Server, ApiError> {
        let req = with_idempotency(self.api(Method::POST, "/servers"), idempotency_key);
        self.send_json(req, body).await
    }

    /// Every server of the client, following the pages.
    pub async fn servers(&self) -> Result<List<Server>, ApiError> {
        self.all_pages(|cursor| self.servers_page(None, cursor))
            .await
    }

    /// One page of the client's servers.
    pub async fn servers_page(
        &self,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Server>, ApiError> {
        self.send(paged(self.api(Method::GET, "/servers"), limit, cursor))
            .await
    }

    pub async fn server(&self, id: Uuid) -> Result<Server, ApiError> {
        self.send(self.api(Method::GET, &format!("/servers/{id}")))
            .await
    }

    pub async fn delete_server(&self, id: Uuid) -> Result<Server, ApiError> {
        self.send(self.api(Method::DELETE, &format!("/servers/{id}")))
            .await
    }

    pub async fn create_user(
        &self,
        body: &CreateUser,
        idempotency_key: Option<&str>,
    ) -> Result<User, ApiError> {
        let req = with_idempotency(self.api(Method::POST, "/users"), idempotency_key);
        self.send_json(req, body).await
    }

    /// Every user of the client, following the pages.
    pub async fn users(&self) -> Result<List<User>, ApiError> {
        self.all_pages(|cursor| self.users_page(None, cursor)).await
    }

    /// One page of the client's users.
    pub async fn users_page(
        &self,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<User>, ApiError> {
        self.send(paged(self.api(Method::GET, "/users"), limit, cursor))
            .await
    }

    /// A one-time link for the user to set a password on the client portal (client token).
    /// Replaces the user's earlier links.
    pub async fn invite_user(&self, id: Uuid) -> Result<Invitation, ApiError> {
        self.send(self.api(Method::POST, &format!("/users/{id}/invitation")))
            .await
    }

    /// Clears the user's portal sign-in waits from every address (client token).
    pub async fn clear_sign_in_lock(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(self.api(Method::DELETE, &format!("/users/{id}/sign-in-lock")))
            .await
    }

    pub async fn delete_user(&self, id: Uuid) -> Result<(), ApiError> {
        self.send(self.api(Method::DELETE, &format!("/users/{id}")))
            .await
    }

    pub async fn templates(&self) -> Result<List<TemplateInfo>, ApiError> {
        self.send(self.api(Method::GET, "/catalog/templates")).await
    }

    pub async fn catalog(&self) -> Result<Catalog, ApiError> {
        self.send(self.api(Method::GET, "/catalog")).await
    }

    pub async fn set_catalog(
        &self,
        body: &UpdateCatalog,
        version: i64,
    ) -> Result<Catalog, ApiError> {
        let req = self
            .api(Method::PUT, "/catalog")
            .header(header::IF_MATCH, etag(version));
        self.send_json(req, body).await
    }

    pub async fn install_app(
        &self,
        server: Uuid,
        body: &InstallApp,
        idempotency_key: Option<&str>,
    ) -> Result<App, ApiError> {
        let req = with_idempotency(
            self.api(Method::POST, &format!("/servers/{server}/apps")),
            idempotency_key,
        );
        self.send_json(req, body).await
    }

    /// Every app on one of the client's servers, following the pages.
    pub async fn apps(&self, server: Uuid) -> Result<List<App>, ApiError> {
        self.all_pages(|cursor| self.apps_page(server, None, cursor))
            .await
    }

    /// One page of the apps on one of the client's servers.
    pub async fn apps_page(
        &self,
        server: Uuid,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<App>, ApiError> {
        let req = self.api(Method::GET, &format!("/servers/{server}/apps"));
        self.send(paged(req, limit, cursor)).await
    }

    /// Follows a list's cursors to its end: at most [`MAX_PAGES`] pages, and a cursor must
    /// move on every page.
    async fn all_pages<T, F, Fut>(&self, mut page: F) -> Result<List<T>, ApiError>
    where
        F: FnMut(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<Page<T>, ApiError>>,
    {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let next = page(cursor.clone()).await?;
            items.extend(next.items);
            match next.next_cursor {
                None => return Ok(List { items }),
                Some(c) if Some(&c) == cursor.as_ref() => break,
                Some(c) => cursor = Some(c),
            }
        }
        Err(ApiError::EndlessList(MAX_PAGES))
    }

    pub async fn uninstall_app(&self, server: Uuid, app: Uuid) -> Result<(), ApiError> {
        self.send(self.api(Method::DELETE, &format!("/servers/{server}/apps/{app}")))
            .await
    }

    pub async fn branding(&self) -> Result<Branding, ApiError> {
        self.send(self.api(Method::GET, "/branding")).await
    }

    pub async fn set_branding(
        &self,
        body: &UpdateBranding,
        version: i64,
    ) -> Result<Branding, ApiError> {
        let req = self
            .api(Method::PUT, "/branding")
            .header(header::IF_MATCH, etag(version));
        self.send_json(req, body).await
    }

    /// Looks the custom domain's TXT record up now (`POST /branding/domain/verify`) and
    /// returns the branding with the new `custom_domain_verification`. A failed lookup is not
    /// an error: it is the state `failed` with its reason. No custom domain set: 422.
    pub async fn verify_custom_domain(&self) -> Result<Branding, ApiError> {
        self.send(self.api(Method::POST, "/branding/domain/verify"))
            .await
    }

    /// Uploads a logo or favicon (PNG, JPEG, WebP or ICO) and points the branding at it.
    pub async fn upload_asset(
        &self,
        kind: mspdesk_domain::AssetKind,
        bytes: Vec<u8>,
        version: i64,
    ) -> Result<Branding, ApiError> {
        let req = self
            .api(Method::PUT, &format!("/branding/assets/{kind}"))
            .header(header::IF_MATCH, etag(version))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        self.send(req).await
    }

    pub async fn usage(&self, period: &str) -> Result<UsageReport, ApiError> {
        self.send(self.api(Method::GET, "/usage").query(&[("period", period)]))
            .await
    }
}

/// Reads an answer's body, refusing one larger than [`MAX_RESPONSE_BYTES`] (by its declared
/// length, or as it arrives).
async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(ApiError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ApiError::Transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ApiError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn paged(req: RequestBuilder, limit: Option<u32>, cursor: Option<String>) -> RequestBuilder {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor));
    }
    req.query(&query)
}

fn with_idempotency(req: RequestBuilder, key: Option<&str>) -> RequestBuilder {
    match key {
        Some(k) => req.header("Idempotency-Key", k),
        None => req,
    }
}

fn problem_from(status: StatusCode, body: &[u8]) -> ApiError {
    match serde_json::from_slice::<Problem>(body) {
        Ok(p) => ApiError::Problem(Box::new(p)),
        Err(_) => ApiError::Unexpected {
            status: status.as_u16(),
            message: String::from_utf8_lossy(body).chars().take(300).collect(),
        },
    }
}
