//! A client's app catalog: the template library, and drafts that enable or disable apps.

use mspdesk_api::types::{TemplateInfo, UpdateCatalog};
use mspdesk_desk::CatalogChange;
use mspdesk_domain::ClientId;
use tauri::State;

use crate::error::IpcError;
use crate::state::DeskState;

#[tauri::command]
pub async fn templates(state: State<'_, DeskState>) -> Result<Vec<TemplateInfo>, IpcError> {
    Ok(state.desk()?.templates().await?)
}

/// Enables or disables apps, or sets the mode, as a draft; returns the drafted catalog.
#[tauri::command]
pub async fn draft_catalog(
    state: State<'_, DeskState>,
    id: ClientId,
    change: CatalogChange,
) -> Result<UpdateCatalog, IpcError> {
    Ok(state.desk()?.draft_catalog(id, change).await?)
}
