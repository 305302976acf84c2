//! Billing reports from the synced data (offline too), and their export as CSV or PDF to a
//! path the user chose in the native save dialog.

use std::path::PathBuf;

use chrono::Utc;
use mspdesk_desk::{ExportRequest, ExportSummary, ReportFormat, ReportScope};
use mspdesk_domain::{BillingReport, ClientId, Period};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::error::IpcError;
use crate::state::DeskState;

fn invalid(field: &str, message: &str) -> IpcError {
    IpcError::from(mspdesk_desk::DeskError::Invalid(vec![
        mspdesk_api::FieldError::new(field, message),
    ]))
}

fn period(text: &str) -> Result<Period, IpcError> {
    Period::parse(text).map_err(|e| invalid("period", &e.to_string()))
}

/// The report for a month (`YYYY-MM`): one client's lines, or every client.
#[tauri::command]
pub async fn billing_report(
    state: State<'_, DeskState>,
    period_text: String,
    client: Option<ClientId>,
) -> Result<BillingReport, IpcError> {
    let period = period(&period_text)?;
    Ok(state.desk()?.report(period, client, Utc::now()).await?)
}

/// The file name to offer in the save dialog: the issuing MSP, the period, and the client or
/// "all clients".
#[tauri::command]
pub async fn report_file_name(
    state: State<'_, DeskState>,
    period_text: String,
    client: Option<ClientId>,
    format: ExportFormat,
) -> Result<String, IpcError> {
    let format = format.report()?;
    let scope = client.map_or(ReportScope::All, ReportScope::Client);
    Ok(state
        .desk()?
        .report_file_name(period(&period_text)?, scope, format)
        .await?)
}

/// What to export.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
pub struct ExportInput {
    /// `YYYY-MM`.
    pub period: String,
    /// One client's lines, or (null) every client.
    pub client: Option<ClientId>,
    pub format: ExportFormat,
    /// Where to write (from the save dialog).
    pub path: String,
}

#[derive(Debug, Clone, Copy, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Pdf,
    /// Unsent work (drafts, queued clients, conflicts) with its bodies.
    Json,
}

impl ExportFormat {
    /// The report format this is, if it is one.
    fn report(self) -> Result<ReportFormat, IpcError> {
        match self {
            ExportFormat::Csv => Ok(ReportFormat::Csv),
            ExportFormat::Pdf => Ok(ReportFormat::Pdf),
            ExportFormat::Json => Err(invalid("format", "a report is CSV or PDF")),
        }
    }

    const fn filter(self) -> (&'static str, &'static str) {
        match self {
            ExportFormat::Csv => ("CSV", "csv"),
            ExportFormat::Pdf => ("PDF", "pdf"),
            ExportFormat::Json => ("JSON", "json"),
        }
    }
}

/// `path` as a place to write a file of `format`: only where the user chose, in the save
/// dialog, to write this kind of file (taken once).
pub(crate) fn chosen_path(
    state: &DeskState,
    path: &str,
    format: ExportFormat,
) -> Result<PathBuf, IpcError> {
    let output = PathBuf::from(path);
    let (_, extension) = format.filter();
    if !output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
    {
        return Err(invalid("path", &format!("must end in .{extension}")));
    }
    if !state.take_choice(&output) {
        return Err(invalid("path", "was not chosen in the save dialog"));
    }
    Ok(output)
}

/// Export progress: the step being done.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ExportProgress {
    pub step: String,
}

/// Computes the report and writes it (atomically: a crash leaves no half file).
#[tauri::command]
pub async fn export_report(
    state: State<'_, DeskState>,
    input: ExportInput,
    on_progress: Channel<ExportProgress>,
) -> Result<ExportSummary, IpcError> {
    let desk = state.desk()?;
    let format = input.format.report()?;
    let output = chosen_path(&state, &input.path, input.format)?;
    let request = ExportRequest {
        period: period(&input.period)?,
        scope: input.client.map_or(ReportScope::All, ReportScope::Client),
        format,
        output,
        msp_name: None,
        logo: None,
    };
    let _ = on_progress.send(ExportProgress {
        step: "writing".into(),
    });
    let summary = desk.export_report(&request, Utc::now()).await?;
    state.remember_export(&summary.path);
    let _ = on_progress.send(ExportProgress {
        step: "done".into(),
    });
    Ok(summary)
}

fn exported_path(state: &DeskState, path: &str) -> Result<PathBuf, IpcError> {
    let path = PathBuf::from(path);
    if state.exported(&path) {
        Ok(path)
    } else {
        Err(invalid("path", "is not a file this app exported"))
    }
}

/// Opens an exported report with the system's default program.
#[tauri::command]
pub fn open_exported(
    app: AppHandle,
    state: State<'_, DeskState>,
    path: String,
) -> Result<(), IpcError> {
    let path = exported_path(&state, &path)?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| IpcError::internal("The file could not be opened", &e))
}

/// Shows an exported report in its folder.
#[tauri::command]
pub fn show_exported(
    app: AppHandle,
    state: State<'_, DeskState>,
    path: String,
) -> Result<(), IpcError> {
    let path = exported_path(&state, &path)?;
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::internal("The folder could not be shown", &e))
}

/// Asks where to save an export (the native save dialog, with `default_name` filled in); null
/// when the user cancels. Debug builds only: `MSPDESK_E2E_SAVE_DIR` answers with a path in
/// that folder instead, because end-to-end tests cannot click an OS dialog.
#[tauri::command]
pub async fn choose_export_path(
    app: AppHandle,
    state: State<'_, DeskState>,
    default_name: String,
    format: ExportFormat,
) -> Result<Option<String>, IpcError> {
    if cfg!(debug_assertions) {
        if let Some(dir) = std::env::var_os("MSPDESK_E2E_SAVE_DIR") {
            let path = PathBuf::from(dir).join(&default_name);
            state.remember_choice(&path);
            return Ok(Some(path.display().to_string()));
        }
    }
    let (name, extension) = format.filter();
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_file_name(default_name)
        .add_filter(name, &[extension])
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let chosen = rx
        .await
        .map_err(|e| IpcError::internal("The save dialog closed unexpectedly", &e))?;
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let path = chosen
        .into_path()
        .map_err(|e| IpcError::internal("The chosen file is not a path", &e))?;
    state.remember_choice(&path);
    Ok(Some(path.display().to_string()))
}
