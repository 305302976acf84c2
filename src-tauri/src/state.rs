//! What the commands share: the data folder and the signed-in desk, held in Tauri's managed
//! state. Commands clone the `Arc<Desk>` out and release the lock before awaiting anything, so
//! no lock is ever held across an await.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use mspdesk_desk::{CancellationToken, Desk, OsKeyring, SecretStore};

use crate::error::IpcError;

#[derive(Debug)]
pub struct DeskState {
    pub data_dir: PathBuf,
    desk: RwLock<Option<Arc<Desk>>>,
    /// The running sync's cancel handle.
    sync: Mutex<Option<CancellationToken>>,
    /// Files this app exported in this run: the only ones it opens or shows on request.
    exported: Mutex<HashSet<PathBuf>>,
}

impl DeskState {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            desk: RwLock::new(None),
            sync: Mutex::new(None),
            exported: Mutex::new(HashSet::new()),
        }
    }

    pub fn secrets() -> Arc<dyn SecretStore> {
        Arc::new(OsKeyring)
    }

    /// The signed-in desk, or `unauthorized`.
    pub fn desk(&self) -> Result<Arc<Desk>, IpcError> {
        self.desk
            .read()
            .map_err(|_| IpcError::poisoned())?
            .clone()
            .ok_or_else(IpcError::not_signed_in)
    }

    pub fn set_desk(&self, desk: Option<Arc<Desk>>) -> Result<Option<Arc<Desk>>, IpcError> {
        let mut slot = self.desk.write().map_err(|_| IpcError::poisoned())?;
        Ok(std::mem::replace(&mut *slot, desk))
    }

    /// A cancel handle for a new sync; None when one is running already.
    pub fn start_sync(&self) -> Result<Option<CancellationToken>, IpcError> {
        let mut slot = self.sync.lock().map_err(|_| IpcError::poisoned())?;
        if slot.is_some() {
            return Ok(None);
        }
        let token = CancellationToken::new();
        *slot = Some(token.clone());
        Ok(Some(token))
    }

    pub fn end_sync(&self) {
        if let Ok(mut slot) = self.sync.lock() {
            *slot = None;
        }
    }

    /// Cancels the running sync, if any; true when there was one.
    pub fn cancel_sync(&self) -> bool {
        self.sync
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .map(|t| t.cancel())
            .is_some()
    }

    pub fn remember_export(&self, path: &Path) {
        if let Ok(mut set) = self.exported.lock() {
            set.insert(path.to_path_buf());
        }
    }

    /// Whether this app exported `path` in this run.
    pub fn exported(&self, path: &Path) -> bool {
        self.exported.lock().is_ok_and(|set| set.contains(path))
    }
}
