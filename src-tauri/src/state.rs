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
    /// Paths the save dialog returned and no export has used yet: the only ones an export
    /// may write to.
    chosen: Mutex<HashSet<PathBuf>>,
    /// Files this app exported in this run: the only ones it opens or shows on request.
    exported: Mutex<HashSet<PathBuf>>,
}

impl DeskState {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            desk: RwLock::new(None),
            sync: Mutex::new(None),
            chosen: Mutex::new(HashSet::new()),
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

    pub fn remember_choice(&self, path: &Path) {
        if let Ok(mut set) = self.chosen.lock() {
            set.insert(path.to_path_buf());
        }
    }

    /// Takes a path the save dialog returned (once): false when it did not.
    pub fn take_choice(&self, path: &Path) -> bool {
        self.chosen.lock().is_ok_and(|mut set| set.remove(path))
    }

    /// Whether a sync is running.
    pub fn syncing(&self) -> bool {
        self.sync.lock().is_ok_and(|slot| slot.is_some())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_path_is_taken_once_and_only_when_chosen() {
        let state = DeskState::new(PathBuf::from("/tmp/desk"));
        let chosen = Path::new("/home/ann/billing-2026-10-all-clients.pdf");
        assert!(!state.take_choice(chosen), "nothing chosen yet");
        state.remember_choice(chosen);
        assert!(!state.take_choice(Path::new("/home/ann/.bashrc")));
        assert!(state.take_choice(chosen));
        assert!(!state.take_choice(chosen), "a choice is used once");
        assert!(!state.exported(chosen));
        state.remember_export(chosen);
        assert!(state.exported(chosen));
    }
}
