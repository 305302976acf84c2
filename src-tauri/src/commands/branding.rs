//! The Branding tab: the draft checked as the server would, the live preview from the portal's
//! own template, images from files (native dialog, read and checked in Rust), custom-domain
//! verification. Publishing and discarding go through the drafts' commands.

use std::path::PathBuf;

use mspdesk_api::types::{DomainVerification, UpdateBranding};
use mspdesk_api::FieldError;
use mspdesk_desk::{BrandingCheck, BrandingView, DeskError, PreviewTheme};
use mspdesk_domain::{AssetKind, ClientId, ASSET_MAX_BYTES};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::IpcError;
use crate::state::DeskState;

#[tauri::command]
pub async fn branding_view(
    state: State<'_, DeskState>,
    id: ClientId,
) -> Result<BrandingView, IpcError> {
    Ok(state.desk()?.branding_view(id).await?)
}

/// Checks a branding body without saving it (offline, the server's rules).
#[tauri::command]
pub async fn check_branding(
    state: State<'_, DeskState>,
    id: ClientId,
    body: UpdateBranding,
) -> Result<BrandingCheck, IpcError> {
    Ok(state.desk()?.check_branding(id, &body).await?)
}

/// The portal's sign-in page as `body` would make it: HTML for a sandboxed frame.
#[tauri::command]
pub async fn branding_preview(
    state: State<'_, DeskState>,
    id: ClientId,
    body: UpdateBranding,
    theme: PreviewTheme,
) -> Result<String, IpcError> {
    Ok(state.desk()?.branding_preview(id, &body, theme).await?)
}

/// Saves the whole branding as a draft (refused, as the server would refuse it, when a field
/// breaks a rule).
#[tauri::command]
pub async fn save_branding_draft(
    state: State<'_, DeskState>,
    id: ClientId,
    body: UpdateBranding,
) -> Result<BrandingView, IpcError> {
    let desk = state.desk()?;
    desk.save_branding_draft(id, &body).await?;
    Ok(desk.branding_view(id).await?)
}

/// Asks for an image file, checks it and keeps it with the draft; `None` when cancelled.
#[tauri::command]
pub async fn choose_branding_image(
    app: AppHandle,
    state: State<'_, DeskState>,
    id: ClientId,
    kind: AssetKind,
) -> Result<Option<BrandingView>, IpcError> {
    let Some(path) = pick_image(&app, kind).await? else {
        return Ok(None);
    };
    let bytes = read_image(&path, kind).await?;
    Ok(Some(
        state.desk()?.set_branding_image(id, kind, &bytes).await?,
    ))
}

/// Removes the logo or favicon from the draft.
#[tauri::command]
pub async fn clear_branding_image(
    state: State<'_, DeskState>,
    id: ClientId,
    kind: AssetKind,
) -> Result<BrandingView, IpcError> {
    Ok(state.desk()?.clear_branding_image(id, kind).await?)
}

/// Has the server look the published custom domain's TXT record up now.
#[tauri::command]
pub async fn verify_custom_domain(
    state: State<'_, DeskState>,
    id: ClientId,
) -> Result<DomainVerification, IpcError> {
    Ok(state.desk()?.verify_custom_domain(id).await?)
}

async fn pick_image(app: &AppHandle, kind: AssetKind) -> Result<Option<PathBuf>, IpcError> {
    if cfg!(debug_assertions) {
        // End-to-end tests cannot drive a native dialog: debug builds may be told the answer.
        if let Some(path) =
            std::env::var_os(format!("MSPDESK_E2E_{}_FILE", kind.as_str().to_uppercase()))
        {
            return Ok(Some(PathBuf::from(path)));
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(format!("Choose the {kind}"))
        .add_filter("Images", &["png", "jpg", "jpeg", "webp", "ico", "svg"])
        .pick_file(move |path| {
            let _ = tx.send(path);
        });
    let chosen = rx
        .await
        .map_err(|e| IpcError::internal("The file dialog closed unexpectedly", &e))?;
    chosen
        .map(|p| {
            p.into_path()
                .map_err(|e| IpcError::internal("The chosen file is not a path", &e))
        })
        .transpose()
}

/// Reads the chosen file, refusing one too large before reading it whole.
async fn read_image(path: &PathBuf, kind: AssetKind) -> Result<Vec<u8>, IpcError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let invalid = |message: String| -> IpcError {
        DeskError::Invalid(vec![FieldError::new(format!("{kind}_url"), message)]).into()
    };
    let unreadable = |e: std::io::Error| invalid(format!("{name} cannot be read: {e}"));
    let meta = tokio::fs::metadata(path).await.map_err(unreadable)?;
    if meta.len() > ASSET_MAX_BYTES as u64 {
        return Err(invalid(format!(
            "{name} is {} KiB; the limit is {} KiB",
            meta.len() / 1024,
            ASSET_MAX_BYTES / 1024
        )));
    }
    tokio::fs::read(path).await.map_err(unreadable)
}
