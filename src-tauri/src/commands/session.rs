//! Signing in and out, and who is signed in.

use std::sync::Arc;

use mspdesk_desk::{Account, Desk, PlainHttp, SecretString};
use tauri::State;

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

/// Signs out: every token of the account leaves the keyring, and the local data goes.
#[tauri::command]
pub async fn sign_out(state: State<'_, DeskState>) -> Result<(), IpcError> {
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
    // keyring) keeps the user signed in, with the error to act on.
    desk.logout().await?;
    state.set_desk(None)?;
    Ok(())
}

/// The server the sign-in form starts with: `MSPDESK_SERVER_URL` (set by `cargo xtask run` to
/// the local demo Control Panel), else none.
#[tauri::command]
pub fn default_server() -> Option<String> {
    std::env::var("MSPDESK_SERVER_URL")
        .ok()
        .filter(|s| !s.trim().is_empty())
}
