//! The token vault: the MSP session token and one token per client tenant, in the OS keyring
//! under service `mspdesk`, account `<server origin>/<tenant id>`. There is no fallback: if no
//! secure store works, signing in fails with a clear message.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

/// The keyring service name.
pub const SERVICE: &str = "mspdesk";

/// Windows Credential Manager stores at most 2,560 bytes per secret; we hold every platform to
/// it so a token that works on one works on all.
pub const MAX_SECRET_BYTES: usize = 2560;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no secure credential store is available ({0}); MSP Desk keeps tokens only in the OS keyring, so it cannot sign in here")]
    Unavailable(String),
    #[error("the credential store refused the request ({0})")]
    Store(String),
    #[error("a token is larger than the credential store allows ({0} bytes)")]
    TooLarge(usize),
}

/// Somewhere secrets can be kept. The real one is [`OsKeyring`].
pub trait SecretStore: Send + Sync + 'static {
    fn set(&self, account: &str, secret: &str) -> Result<(), VaultError>;
    fn get(&self, account: &str) -> Result<Option<String>, VaultError>;
    fn delete(&self, account: &str) -> Result<(), VaultError>;
}

/// The operating system's credential store, through the keyring crate.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

fn entry(account: &str) -> Result<keyring::Entry, VaultError> {
    keyring::Entry::new(SERVICE, account).map_err(|e| VaultError::Unavailable(e.to_string()))
}

fn store_error(e: keyring::Error) -> VaultError {
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
            VaultError::Unavailable(e.to_string())
        }
        other => VaultError::Store(other.to_string()),
    }
}

impl SecretStore for OsKeyring {
    fn set(&self, account: &str, secret: &str) -> Result<(), VaultError> {
        entry(account)?.set_password(secret).map_err(store_error)
    }

    fn get(&self, account: &str) -> Result<Option<String>, VaultError> {
        match entry(account)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    fn delete(&self, account: &str) -> Result<(), VaultError> {
        match entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }
}

/// Writes, reads back and deletes a probe entry: proves the store works before any token is
/// trusted to it.
pub fn self_test(store: &dyn SecretStore) -> Result<(), VaultError> {
    let account = format!("self-test/{}", uuid::Uuid::now_v7());
    let probe = uuid::Uuid::now_v7().to_string();
    store.set(&account, &probe)?;
    let back = store.get(&account);
    store.delete(&account)?;
    match back? {
        Some(v) if v == probe => Ok(()),
        _ => Err(VaultError::Unavailable(
            "a written test entry could not be read back".into(),
        )),
    }
}

/// Tokens for one Control Panel.
#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn SecretStore>,
    origin: String,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Vault {
    /// `origin` is the server's scheme, host and port, e.g. `https://cp.example.com`.
    pub fn new(store: Arc<dyn SecretStore>, origin: &str) -> Self {
        Self {
            store,
            origin: origin.trim_end_matches('/').to_owned(),
        }
    }

    #[must_use]
    pub fn account(&self, tenant: mspdesk_domain::TenantId) -> String {
        format!("{}/{tenant}", self.origin)
    }

    pub fn put(
        &self,
        tenant: mspdesk_domain::TenantId,
        token: &SecretString,
    ) -> Result<(), VaultError> {
        let token = token.expose_secret();
        if token.len() > MAX_SECRET_BYTES {
            return Err(VaultError::TooLarge(token.len()));
        }
        self.store.set(&self.account(tenant), token)
    }

    pub fn get(
        &self,
        tenant: mspdesk_domain::TenantId,
    ) -> Result<Option<SecretString>, VaultError> {
        Ok(self
            .store
            .get(&self.account(tenant))?
            .map(SecretString::from))
    }

    pub fn delete(&self, tenant: mspdesk_domain::TenantId) -> Result<(), VaultError> {
        self.store.delete(&self.account(tenant))
    }

    pub fn self_test(&self) -> Result<(), VaultError> {
        self_test(self.store.as_ref())
    }

    /// The underlying secret store.
    #[must_use]
    pub fn store_handle(&self) -> Arc<dyn SecretStore> {
        Arc::clone(&self.store)
    }
}
