//! The MSP Desk desktop app: a thin Tauri shell. Commands hand off to library crates; this crate
//! is the only one that imports `tauri`.

mod commands;
mod error;
mod logging;

#[cfg(test)]
mod bindings;

pub use commands::AppInfo;
pub use error::{IpcError, StartError};

use tauri::Manager;

/// Starts the app and blocks until its last window closes.
pub fn run() -> Result<(), StartError> {
    let context = tauri::generate_context!("tauri.conf.json");
    tauri::Builder::default()
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let guard = logging::init(&data_dir.join("logs"))?;
            // Keep the log writer alive (and flushing) for as long as the app runs.
            app.manage(guard);
            tracing::info!(
                version = %app.package_info().version,
                data_dir = %data_dir.display(),
                "MSP Desk started"
            );
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(context)
        .map_err(StartError::Tauri)
}
