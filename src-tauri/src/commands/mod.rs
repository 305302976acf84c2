//! `#[tauri::command]`s, one module per area. Each command is a few lines over the desk library
//! held in managed state ([`crate::state::DeskState`]); errors become [`crate::IpcError`].

pub mod bench;
pub mod billing;
pub mod branding;
pub mod catalog;
pub mod clients;
pub mod session;
pub mod settings;
pub mod sync;

#[cfg(test)]
mod wiring;
