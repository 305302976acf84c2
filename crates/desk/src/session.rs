//! Signing in and out, and the tokens: the MSP's session token and per-client tokens, all in
//! the OS keyring (the store only remembers which tenants have one).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use mspdesk_api::client::{ApiClient, ApiError};
use mspdesk_api::types::{Client, CHANGES_DEFAULT_LIMIT, CHANGES_MAX_LIMIT};
use mspdesk_domain::{ClientId, TenantId};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use crate::error::{invalid, DeskError};
use crate::kinds::MirrorKind;
use crate::store::{Account, Store};
use crate::unsent::{self, SignOut, UnsentWork};
use crate::vault::{SecretStore, Vault};

/// The store's file name inside the data folder.
pub const STORE_FILE: &str = "desk.db";

/// The desk of the account signed in on this machine: every user action is a method of it
/// (see the modules `clients`, `drafts`, `conflicts`, `sync` and `reports`).
pub struct Desk {
    pub(crate) store: Store,
    pub(crate) vault: Vault,
    pub(crate) api: ApiClient,
    pub(crate) account: Account,
    /// Changes per page of the feed.
    pub(crate) page_limit: u32,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("server", &self.account.server)
            .finish_non_exhaustive()
    }
}

/// Retries transient network failures a few times with growing pauses; answers from the
/// server (even errors) are returned at once.
pub(crate) async fn retry<T, F, Fut>(mut call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut pause = Duration::from_millis(200);
    for _ in 0..3 {
        match call().await {
            Err(ApiError::Transport(_)) => {
                tokio::time::sleep(pause).await;
                pause *= 3;
            }
            other => return other,
        }
    }
    call().await
}

/// Runs `work` unless `cancel` fires first; a cancelled request is dropped mid-flight.
pub(crate) async fn cancellable<T>(
    cancel: &CancellationToken,
    work: impl std::future::Future<Output = Result<T, DeskError>>,
) -> Result<T, DeskError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(DeskError::Cancelled),
        r = work => r,
    }
}

/// One claim of a JWT, read from its payload without verifying it (the server verifies
/// tokens; the desk only reads when to renew one and whom a minted one is for).
fn token_claim<T: serde::de::DeserializeOwned>(token: &str, claim: &str) -> Option<T> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let mut claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes).ok()?;
    serde_json::from_value(claims.remove(claim)?).ok()
}

/// Seconds since the epoch at which a JWT expires.
fn token_expiry(token: &str) -> Option<i64> {
    token_claim(token, "exp")
}

/// The tenant (`tid`) a JWT is for: a minted client token must be for the client asked for.
fn token_tenant(token: &str) -> Option<TenantId> {
    token_claim(token, "tid")
}

fn fresh(token: &SecretString) -> bool {
    token_expiry(token.expose_secret()).is_some_and(|exp| exp > Utc::now().timestamp() + 60)
}

/// Whether sign-in accepts a Control Panel over plain HTTP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PlainHttp {
    /// Only on this machine (`127.0.0.0/8`, `::1`, `localhost`); anywhere else `https://` is
    /// required. The default, and all the app allows.
    #[default]
    LoopbackOnly,
    /// Anywhere (`mspdesk login --insecure-http`): the password and the tokens travel in
    /// clear, readable by anyone on the way.
    Allowed,
}

/// Whether `url`'s host is this machine.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn origin(server: &str, plain_http: PlainHttp) -> Result<String, DeskError> {
    let url = url::Url::parse(server).map_err(|e| invalid("server", e))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(
            "server",
            "must be an http(s) URL such as https://cp.example.com",
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) && plain_http == PlainHttp::LoopbackOnly {
        return Err(invalid(
            "server",
            "must use https:// (plain http:// only for a Control Panel on this machine; the CLI's --insecure-http overrides this)",
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// Deletes every keyring entry of the account signed in to `store`: those the store recorded,
/// the clients it mirrors (tokens written before it kept a record), and the MSP's own.
async fn forget_tokens(store: &Store, vault: &Vault, msp: TenantId) -> Result<(), DeskError> {
    let mut tenants = store.keyring_entries().await?;
    for client in store.mirror_all::<Client>(MirrorKind::Client, msp).await? {
        tenants.push(client.id.into());
    }
    tenants.push(msp);
    tenants.sort();
    tenants.dedup();
    for tenant in tenants {
        vault.delete(tenant)?;
    }
    Ok(())
}

fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join(STORE_FILE)
}

impl Desk {
    /// Signs in: checks the keyring works, logs in, and keeps the session token in the vault.
    /// The server must be `https://` unless it is on this machine or `plain_http` allows it.
    #[tracing::instrument(skip(data_dir, password, secrets), err)]
    pub async fn login(
        data_dir: &Path,
        server: &str,
        email: &str,
        password: &SecretString,
        secrets: Arc<dyn SecretStore>,
        plain_http: PlainHttp,
    ) -> Result<Self, DeskError> {
        let origin = origin(server, plain_http)?;
        let vault = Vault::new(Arc::clone(&secrets), &origin);
        vault.self_test()?;
        let api = ApiClient::new(&origin)?;
        let login = retry(|| api.login(email, password)).await?;
        let store = Store::open(&store_path(data_dir)).await?;
        if let Some(old) = store.account().await? {
            if old.server != origin || old.msp_tenant != login.tenant_id {
                // Another account: its unsent work is not silently dropped, and its tokens do
                // not outlive it in the keyring.
                if let Some(unsent) = unsent::list(&store).await?.filter(|u| !u.is_empty()) {
                    return Err(DeskError::PendingChanges(Box::new(unsent)));
                }
                forget_tokens(
                    &store,
                    &Vault::new(Arc::clone(&secrets), &old.server),
                    old.msp_tenant,
                )
                .await?;
            }
        }
        store.set_account(&origin, email, login.tenant_id).await?;
        store.remember_keyring_entry(login.tenant_id).await?;
        vault.put(login.tenant_id, &login.token)?;
        tracing::info!(server = %origin, "signed in");
        Self::open(data_dir, secrets).await
    }

    /// Opens the desk of the account signed in on this machine.
    pub async fn open(data_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self, DeskError> {
        let store = Store::open(&store_path(data_dir)).await?;
        if !store.signed_in().await? {
            return Err(DeskError::NotSignedIn);
        }
        let account = store.account().await?.ok_or(DeskError::NotSignedIn)?;
        let vault = Vault::new(secrets, &account.server);
        let api = ApiClient::new(&account.server)?;
        Ok(Self {
            store,
            vault,
            api,
            account,
            page_limit: CHANGES_DEFAULT_LIMIT,
        })
    }

    /// Asks the feed for pages of `limit` changes (1 to the server's maximum).
    pub fn set_page_limit(&mut self, limit: u32) {
        self.page_limit = limit.clamp(1, CHANGES_MAX_LIMIT);
    }

    /// The local store (for tests and tools; front ends use the desk's actions).
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Which server and operator are signed in (as of opening the desk).
    #[must_use]
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The signed-in account as the store has it now (with the last sync time).
    pub async fn whoami(&self) -> Result<Account, DeskError> {
        self.store.account().await?.ok_or(DeskError::NotSignedIn)
    }

    pub(crate) fn msp(&self) -> TenantId {
        self.account.msp_tenant
    }

    /// What the server has not accepted yet: drafts, conflicts, queued creates and kept
    /// notices, named for a confirmation before signing out.
    pub async fn unsent_work(&self) -> Result<UnsentWork, DeskError> {
        Ok(unsent::list(&self.store).await?.unwrap_or(UnsentWork {
            server: self.account.server.clone(),
            email: self.account.email.clone(),
            items: Vec::new(),
        }))
    }

    /// Writes the unsent work with its bodies to `path` (JSON, atomically); returns how many
    /// items it holds.
    pub async fn export_unsent(&self, path: &Path) -> Result<usize, DeskError> {
        unsent::export(&self.store, path).await
    }

    /// Signs out: deletes every token of this account from the keyring (the MSP's and every
    /// client's, including clients deleted since) and, as `choice` says, forgets the local
    /// data or keeps it with its unsent work for the next sign-in to this account. With
    /// [`SignOut::IfNothingUnsent`] and unsent work, nothing happens and the error names it.
    #[tracing::instrument(skip(self), err)]
    pub async fn logout(&self, choice: SignOut) -> Result<(), DeskError> {
        let unsent = self.unsent_work().await?;
        if choice == SignOut::IfNothingUnsent && !unsent.is_empty() {
            return Err(DeskError::Unsent(Box::new(unsent)));
        }
        // The server forgets the session too (on every instance); offline, the token simply
        // expires there.
        if let Ok(api) = self.msp_api() {
            if let Err(e) = api.logout().await {
                tracing::info!(error = %e, "the Control Panel was not told of the sign-out");
            }
        }
        forget_tokens(&self.store, &self.vault, self.msp()).await?;
        if choice == SignOut::KeepUnsent && !unsent.is_empty() {
            self.store.keep_signed_out().await?;
            tracing::info!(items = unsent.items.len(), "signed out, unsent work kept");
        } else {
            self.store.clear().await?;
            tracing::info!("signed out");
        }
        Ok(())
    }

    /// The unsent work an earlier sign-out kept in the store at `data_dir` (None when there
    /// is none), so the sign-in screen can say whose it is.
    pub async fn kept_work(data_dir: &Path) -> Result<Option<UnsentWork>, DeskError> {
        let store = Store::open(&store_path(data_dir)).await?;
        if store.signed_in().await? {
            return Ok(None);
        }
        Ok(unsent::list(&store).await?.filter(|u| !u.is_empty()))
    }

    /// Exports the unsent work in the store at `data_dir`, signed in or not (see
    /// [`Desk::export_unsent`]).
    pub async fn export_unsent_in(data_dir: &Path, path: &Path) -> Result<usize, DeskError> {
        let store = Store::open(&store_path(data_dir)).await?;
        unsent::export(&store, path).await
    }

    /// Forgets the work an earlier sign-out kept (the user confirmed losing it). Refused while
    /// an account is signed in: its sign-out decides.
    pub async fn discard_kept_work(data_dir: &Path) -> Result<(), DeskError> {
        let store = Store::open(&store_path(data_dir)).await?;
        if store.signed_in().await? {
            return Err(invalid(
                "unsent",
                "an account is signed in: sign out and choose there what happens to its work",
            ));
        }
        store.clear().await?;
        Ok(())
    }

    pub(crate) fn msp_api(&self) -> Result<ApiClient, DeskError> {
        let token = self.vault.get(self.msp())?.ok_or(DeskError::NotSignedIn)?;
        if !fresh(&token) {
            return Err(DeskError::SessionExpired);
        }
        Ok(self.api.with_token(token))
    }

    /// A client-scope API, re-minting the client's token with the MSP token when it is
    /// missing or about to expire.
    pub(crate) async fn client_api(&self, client: ClientId) -> Result<ApiClient, DeskError> {
        if let Some(token) = self.vault.get(client.into())? {
            if fresh(&token) {
                return Ok(self.api.with_token(token));
            }
        }
        let msp = self.msp_api()?;
        let minted = retry(|| msp.client_token(client)).await?;
        // A token for another tenant would write there: refuse it, whatever the server says.
        let tenant: TenantId = client.into();
        if minted.tenant_id != tenant || token_tenant(minted.token.expose_secret()) != Some(tenant)
        {
            return Err(DeskError::Foreign(format!(
                "a client token minted for {client} is for another tenant"
            )));
        }
        self.store.remember_keyring_entry(client.into()).await?;
        self.vault.put(client.into(), &minted.token)?;
        Ok(self.api.with_token(minted.token))
    }

    /// Deletes a client's token (its client is gone).
    pub(crate) async fn drop_client_token(&self, client: ClientId) -> Result<(), DeskError> {
        self.vault.delete(client.into())?;
        self.store.forget_keyring_entry(client.into()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_this_machine() {
        for ok in [
            "https://cp.example.com",
            "http://127.0.0.1:8080",
            "http://127.8.9.1",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert!(origin(ok, PlainHttp::LoopbackOnly).is_ok(), "{ok}");
        }
        for refused in [
            "http://cp.example.com",
            "http://10.0.0.5:8080",
            "http://[2001:db8::1]",
        ] {
            assert!(
                origin(refused, PlainHttp::LoopbackOnly).is_err(),
                "{refused}"
            );
            assert!(origin(refused, PlainHttp::Allowed).is_ok(), "{refused}");
        }
        assert!(origin("ftp://cp.example.com", PlainHttp::Allowed).is_err());
    }

    #[test]
    fn a_tokens_tenant_is_read_from_its_payload() {
        let tenant = TenantId::new();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::json!({"tid": tenant, "exp": 1}).to_string());
        assert_eq!(token_tenant(&format!("h.{payload}.s")), Some(tenant));
        assert_eq!(token_tenant("garbage"), None);
    }
}
