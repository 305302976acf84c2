//! Sync with progress through a channel (throttled to about ten messages a second), and its
//! cancellation. The outcome is also broadcast as the `sync-status` event.

use std::time::{Duration, Instant};

use mspdesk_desk::{Conflict, DraftKind, Progress, PublishOutcome, Resolution, SyncSummary};
use mspdesk_domain::ClientId;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, State};

use crate::error::{IpcError, IpcErrorCode};
use crate::state::DeskState;

/// Progress messages at most this often (the last one always goes).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// The `sync-status` event: what the status bar shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncStatus {
    Syncing,
    Synced { summary: SyncSummary },
    Offline,
    Failed { error: IpcError },
}

/// Sends drafts and queued creates, then pulls what changed. Refused when a sync is running.
#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    state: State<'_, DeskState>,
    on_progress: Channel<Progress>,
) -> Result<SyncSummary, IpcError> {
    let desk = state.desk()?;
    let Some(cancel) = state.start_sync()? else {
        return Err(IpcError::conflict("A sync is already running."));
    };
    let _ = app.emit("sync-status", SyncStatus::Syncing);
    let mut last_sent: Option<Instant> = None;
    let result = desk
        .sync(
            |p| {
                let due = last_sent.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
                if due || p.step == "done" {
                    last_sent = Some(Instant::now());
                    let _ = on_progress.send(p);
                }
            },
            &cancel,
        )
        .await
        .map_err(IpcError::from);
    state.end_sync();
    let status = match &result {
        Ok(summary) => Some(SyncStatus::Synced {
            summary: summary.clone(),
        }),
        Err(e) if e.code == IpcErrorCode::Offline => Some(SyncStatus::Offline),
        // The user stopped it: nothing went wrong.
        Err(e) if e.code == IpcErrorCode::Cancelled => None,
        Err(e) => Some(SyncStatus::Failed { error: e.clone() }),
    };
    if let Some(status) = status {
        let _ = app.emit("sync-status", status);
    }
    if let Ok(summary) = &result {
        if summary.conflicts > 0 {
            // New conflicts wait for a decision: the window says so wherever the user is.
            let _ = app.emit("conflict-detected", summary.conflicts);
        }
    }
    if result
        .as_ref()
        .is_err_and(|e| e.code == IpcErrorCode::Unauthorized)
    {
        let _ = app.emit("session-expired", ());
    }
    result
}

/// Cancels the running sync; false when none was running.
#[tauri::command]
pub fn cancel_sync(state: State<'_, DeskState>) -> bool {
    state.cancel_sync()
}

/// Drafts the server refused because it changed meanwhile, with both sides.
#[tauri::command]
pub async fn conflicts(state: State<'_, DeskState>) -> Result<Vec<Conflict>, IpcError> {
    Ok(state.desk()?.conflicts().await?)
}

/// Settles a conflict: keep mine, take theirs, or per field.
#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, DeskState>,
    id: ClientId,
    kind: DraftKind,
    resolution: Resolution,
) -> Result<PublishOutcome, IpcError> {
    Ok(state.desk()?.resolve(kind, id, &resolution).await?)
}
