//! The client list and one client: create, edit, delete, quotas drafts, publishing.

use mspdesk_api::types::{
    AuditEntry, Client, CreateClient, Invitation, Plan, QuotasInput, UpdateClient,
};
use mspdesk_desk::{
    ClientDetail, ClientQuery, ClientRow, CreateOutcome, DraftKind, PublishOutcome, QueuedClient,
};
use mspdesk_domain::ClientId;
use tauri::State;

use crate::error::IpcError;
use crate::state::DeskState;

#[tauri::command]
pub async fn list_clients(
    state: State<'_, DeskState>,
    query: ClientQuery,
) -> Result<Vec<ClientRow>, IpcError> {
    Ok(state.desk()?.list_clients(&query).await?)
}

/// A search as the client list matches it (`ClientRow::search_text` contains it): the window
/// filters its rows with this, never with a folding of its own.
#[tauri::command]
pub fn search_key(search: String) -> String {
    mspdesk_desk::search_key(&search)
}

#[tauri::command]
pub async fn client_detail(
    state: State<'_, DeskState>,
    id: ClientId,
) -> Result<ClientDetail, IpcError> {
    Ok(state.desk()?.client_detail(id).await?)
}

#[tauri::command]
pub async fn plans(state: State<'_, DeskState>) -> Result<Vec<Plan>, IpcError> {
    Ok(state.desk()?.plans().await?)
}

#[tauri::command]
pub async fn create_client(
    state: State<'_, DeskState>,
    body: CreateClient,
) -> Result<CreateOutcome, IpcError> {
    Ok(state.desk()?.create_client(body).await?)
}

#[tauri::command]
pub async fn update_client(
    state: State<'_, DeskState>,
    id: ClientId,
    changes: UpdateClient,
) -> Result<Client, IpcError> {
    Ok(state.desk()?.update_client(id, &changes).await?)
}

#[tauri::command]
pub async fn delete_client(state: State<'_, DeskState>, id: ClientId) -> Result<(), IpcError> {
    Ok(state.desk()?.delete_client(id).await?)
}

#[tauri::command]
pub async fn save_quotas_draft(
    state: State<'_, DeskState>,
    id: ClientId,
    quotas: QuotasInput,
) -> Result<(), IpcError> {
    Ok(state.desk()?.save_quotas_draft(id, &quotas).await?)
}

#[tauri::command]
pub async fn publish_draft(
    state: State<'_, DeskState>,
    id: ClientId,
    kind: DraftKind,
) -> Result<PublishOutcome, IpcError> {
    Ok(state.desk()?.publish(kind, id).await?)
}

#[tauri::command]
pub async fn discard_draft(
    state: State<'_, DeskState>,
    id: ClientId,
    kind: DraftKind,
) -> Result<(), IpcError> {
    Ok(state.desk()?.discard_draft(kind, id).await?)
}

/// Creates waiting to be sent (shown as pending rows).
#[tauri::command]
pub async fn queued_clients(state: State<'_, DeskState>) -> Result<Vec<QueuedClient>, IpcError> {
    Ok(state.desk()?.queued_clients().await?)
}

/// A client's latest audit entries (needs the server).
#[tauri::command]
pub async fn client_activity(
    state: State<'_, DeskState>,
    id: ClientId,
) -> Result<Vec<AuditEntry>, IpcError> {
    Ok(state.desk()?.client_activity(id, 200).await?)
}

/// Clears a portal user's sign-in waits from every address (needs the server).
#[tauri::command]
pub async fn clear_sign_in_lock(
    state: State<'_, DeskState>,
    id: ClientId,
    user: uuid::Uuid,
) -> Result<(), IpcError> {
    Ok(state.desk()?.clear_sign_in_lock(id, user).await?)
}

/// A one-time portal link for one of the client's users (needs the server).
#[tauri::command]
pub async fn invite_user(
    state: State<'_, DeskState>,
    id: ClientId,
    user: uuid::Uuid,
) -> Result<Invitation, IpcError> {
    Ok(state.desk()?.invite_user(id, user).await?)
}
