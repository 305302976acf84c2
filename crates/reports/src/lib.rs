//! Billing reports as files: CSV for spreadsheets and accounting imports, PDF for clients and
//! records. Both render a [`BillingReport`](mspdesk_domain::BillingReport) computed by
//! crates/domain, so they show the same rounded figures as the screen and the API.

mod csv_out;
mod file_name;
mod pdf;

pub use csv_out::{neutralise, to_csv, Layout, LINES_HEADER, SUMMARY_HEADER};
pub use file_name::file_name;
pub use pdf::{to_pdf, PdfError, ReportBranding};
