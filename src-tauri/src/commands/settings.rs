//! Settings and About: what the app is and where it keeps its data.

use serde::Serialize;
use tauri::Manager;

use crate::error::IpcError;

/// What the About panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AppInfo {
    /// Product name, e.g. "MSP Desk".
    pub name: String,
    /// The app's version (from Cargo.toml, via tauri.conf.json).
    pub version: String,
    /// Where the app keeps its local store and logs.
    pub data_dir: String,
    /// Where the rotating log files are.
    pub log_dir: String,
    /// The system's regional format (BCP 47, e.g. `de-DE`) dates and numbers are written in;
    /// null: the webview's own.
    pub format_locale: Option<String>,
}

#[tauri::command]
pub fn app_info(app: tauri::AppHandle) -> Result<AppInfo, IpcError> {
    let data_dir = app
        .path()
        .app_data_dir()
        .map_err(|e| IpcError::internal("Could not find the data folder", &e))?;
    let info = app.package_info();
    Ok(AppInfo {
        name: info.name.clone(),
        version: info.version.to_string(),
        log_dir: data_dir.join("logs").display().to_string(),
        data_dir: data_dir.display().to_string(),
        format_locale: mspdesk_desk::format_locale(),
    })
}

/// Opens the app's data folder in the system's file manager.
#[tauri::command]
pub fn open_data_dir(app: tauri::AppHandle) -> Result<(), IpcError> {
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| IpcError::internal("Could not find the data folder", &e))?;
    open_folder(&app, &dir)
}

/// Opens the folder of the rotating log files.
#[tauri::command]
pub fn open_log_dir(app: tauri::AppHandle) -> Result<(), IpcError> {
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| IpcError::internal("Could not find the data folder", &e))?
        .join("logs");
    open_folder(&app, &dir)
}

fn open_folder(app: &tauri::AppHandle, dir: &std::path::Path) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    app.opener()
        .open_path(dir.to_string_lossy(), None::<&str>)
        .map_err(|e| IpcError::internal("The folder could not be opened", &e))
}
