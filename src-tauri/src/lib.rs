//! The MSP Desk desktop app: a thin Tauri shell. Commands hand off to library crates; this crate
//! is the only one that imports `tauri`.

mod commands;
mod error;
mod logging;
mod state;

#[cfg(test)]
mod bindings;

pub use commands::settings::AppInfo;
pub use commands::sync::SyncStatus;
pub use error::{IpcError, IpcErrorCode, StartError};

use tauri::Manager;

/// Starts the app and blocks until its last window closes.
pub fn run() -> Result<(), StartError> {
    let context = tauri::generate_context!("tauri.conf.json");
    let mut builder = tauri::Builder::default();
    if commands::bench::enabled() {
        builder = builder.plugin(commands::bench::plugin());
    }
    builder
        // A second launch brings the running window forward instead of opening another desk
        // on the same store.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // The save dialog for exports; opening an exported file or its folder.
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let guard = logging::init(&data_dir.join("logs"))?;
            // Keep the log writer alive (and flushing) for as long as the app runs.
            app.manage(guard);
            app.manage(state::DeskState::new(data_dir.clone()));
            tracing::info!(
                version = %app.package_info().version,
                data_dir = %data_dir.display(),
                "MSP Desk started"
            );
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::settings::app_info,
            commands::bench::bench_mark,
            commands::settings::open_data_dir,
            commands::settings::open_log_dir,
            commands::clients::client_activity,
            commands::clients::invite_user,
            commands::clients::clear_sign_in_lock,
            commands::session::session,
            commands::session::sign_in,
            commands::session::sign_out,
            commands::session::unsent_work,
            commands::session::export_unsent,
            commands::session::discard_kept_work,
            commands::session::default_server,
            commands::clients::list_clients,
            commands::clients::search_key,
            commands::clients::client_detail,
            commands::clients::plans,
            commands::clients::create_client,
            commands::clients::update_client,
            commands::clients::delete_client,
            commands::clients::save_quotas_draft,
            commands::clients::publish_draft,
            commands::clients::discard_draft,
            commands::clients::queued_clients,
            commands::sync::sync_now,
            commands::sync::cancel_sync,
            commands::sync::conflicts,
            commands::sync::resolve_conflict,
            commands::catalog::templates,
            commands::catalog::draft_catalog,
            commands::branding::branding_view,
            commands::branding::check_branding,
            commands::branding::branding_preview,
            commands::branding::save_branding_draft,
            commands::branding::choose_branding_image,
            commands::branding::clear_branding_image,
            commands::branding::verify_custom_domain,
            commands::billing::billing_report,
            commands::billing::export_report,
            commands::billing::report_file_name,
            commands::billing::open_exported,
            commands::billing::show_exported,
            commands::billing::choose_export_path,
        ])
        .run(context)
        .map_err(StartError::Tauri)
}
