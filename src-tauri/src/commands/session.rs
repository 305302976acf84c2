//! Signing in and out, and who is signed in.

use std::sync::Arc;

use mspdesk_desk::{Account, Desk, PlainHttp, SecretString, SignOut, UnsentWork};
use tauri::State;

use crate::commands::billing::{chosen_path, ExportFormat};
use crate::error::IpcError;
use crate::state::DeskState;

/// The signed-in account, or null: opens the desk of the account signed in on this machine
/// the first time it is asked.
#[tauri::command]
pub async fn session(state: State<'_, DeskState>) -> Result<Option<Account>, IpcError> {
    if let Ok(desk) = state.desk() {
        return Ok(Some(desk.whoami().await?));
    }
    match Desk::open(&state.data_dir, DeskState::secrets()).await {
        Ok(desk) => {
            let account = desk.whoami().await?;
            state.set_desk(Some(Arc::new(desk)))?;
            Ok(Some(account))
        }
        Err(mspdesk_desk::DeskError::NotSignedIn) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Signs in; the token goes to the OS keyring. The UI starts the first sync next.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, DeskState>,
    server: String,
    email: String,
    password: String,
) -> Result<Account, IpcError> {
    let password = SecretString::from(password);
    let desk = Desk::login(
        &state.data_dir,
        &server,
        &email,
        &password,
        DeskState::secrets(),
        // The window allows plain http:// only on this machine, and says so in the form.
        PlainHttp::LoopbackOnly,
    )
    .await?;
    let account = desk.whoami().await?;
    state.set_desk(Some(Arc::new(desk)))?;
    Ok(account)
}

/// Signs out: every token of the account leaves the keyring; the local data goes, or, as
/// `choice` says, stays with its unsent work for the next sign-in to this account. With
/// `if_nothing_unsent` and unsent work, nothing happens and the error names it.
#[tauri::command]
pub async fn sign_out(state: State<'_, DeskState>, choice: SignOut) -> Result<(), IpcError> {
    // A running sync stops first, so it writes nothing after the local data is gone.
    state.cancel_sync();
    for _ in 0..100 {
        if !state.syncing() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let desk = state.desk()?;
    // The desk leaves the app only once its tokens and data are gone: a failure (a locked
    // keyring, unsent work not chosen for) keeps the user signed in, with the error to act on.
    desk.logout(choice).await?;
    state.set_desk(None)?;
    Ok(())
}

/// What the server has not accepted yet: the signed-in account's, or what an earlier sign-out
/// kept (null when there is none).
#[tauri::command]
pub async fn unsent_work(state: State<'_, DeskState>) -> Result<Option<UnsentWork>, IpcError> {
    match state.desk() {
        Ok(desk) => Ok(Some(desk.unsent_work().await?)),
        Err(_) => Ok(Desk::kept_work(&state.data_dir).await?),
    }
}

/// Writes the unsent work with its bodies to a JSON file the user chose in the save dialog.
#[tauri::command]
pub async fn export_unsent(state: State<'_, DeskState>, path: String) -> Result<u64, IpcError> {
    let output = chosen_path(&state, &path, ExportFormat::Json)?;
    let count = Desk::export_unsent_in(&state.data_dir, &output).await?;
    state.remember_export(&output);
    Ok(u64::try_from(count).unwrap_or(u64::MAX))
}

/// Forgets the work an earlier sign-out kept (the user confirmed it by name).
#[tauri::command]
pub async fn discard_kept_work(state: State<'_, DeskState>) -> Result<(), IpcError> {
    Ok(Desk::discard_kept_work(&state.data_dir).await?)
}

/// The server the sign-in form starts with: `MSPDESK_SERVER_URL` (set by `cargo xtask run` to
/// the local demo Control Panel), else none.
#[tauri::command]
pub fn default_server() -> Option<String> {
    std::env::var("MSPDESK_SERVER_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}
