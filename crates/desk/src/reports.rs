//! Billing reports computed from the synced data (so they work offline) with the domain's
//! billing code, and written as CSV or PDF.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mspdesk_api::types::{client_billing_input, Client, FxTableBody, MspProfile, Server};
use mspdesk_domain::{
    billing_report, BillingReport, ClientBillingInput, ClientId, FxTable, Money, Period, TenantId,
};
use mspdesk_reports::{Layout, ReportBranding};
use serde::Serialize;

use crate::error::DeskError;
use crate::kinds::MirrorKind;
use crate::session::Desk;

/// Which clients a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope {
    /// All clients: one row per client and a grand total.
    All,
    /// One client: its lines.
    Client(ClientId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    Pdf,
}

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub period: Period,
    pub scope: ReportScope,
    pub format: ReportFormat,
    pub output: PathBuf,
    /// The issuer the report names (default: the MSP's name as synced, else the Control
    /// Panel's host name).
    pub msp_name: Option<String>,
    /// A PNG logo for the PDF header.
    pub logo: Option<PathBuf>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportSummary {
    pub path: PathBuf,
    pub bytes: usize,
    pub clients: usize,
    pub lines: usize,
    pub total: Money,
}

fn read_file(path: &Path) -> Result<Vec<u8>, DeskError> {
    std::fs::read(path).map_err(|source| DeskError::File {
        path: path.display().to_string(),
        source,
    })
}

/// Writes next to the target and renames, so a crash never leaves half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DeskError> {
    let tmp = path.with_extension("partial");
    let fail = |source| DeskError::File {
        path: path.display().to_string(),
        source,
    };
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

impl Desk {
    /// A billing report computed from the synced data (works offline).
    #[tracing::instrument(skip(self), err)]
    pub async fn report(
        &self,
        period: Period,
        client: Option<ClientId>,
        now: DateTime<Utc>,
    ) -> Result<BillingReport, DeskError> {
        let inputs = self.billing_inputs(client).await?;
        if let Some(id) = client {
            if inputs.1.is_empty() {
                return Err(DeskError::UnknownClient(id.to_string()));
            }
        }
        Ok(billing_report(&inputs.1, period, now, &inputs.0)?)
    }

    /// The FX table and every client's billing input, from the mirror, through the same
    /// conversions the server uses (crates/api `billing_input`).
    pub(crate) async fn billing_inputs(
        &self,
        only: Option<ClientId>,
    ) -> Result<(FxTable, Vec<ClientBillingInput>), DeskError> {
        let msp = self.msp();
        let fx_body: FxTableBody = self
            .store
            .mirror(MirrorKind::Fx, msp, "fx")
            .await?
            .ok_or_else(|| DeskError::NotSynced("exchange rates".into()))?;
        let plans = self.plans().await?;
        // In any order: the report orders its clients by the domain's rule.
        let clients: Vec<Client> = self.store.mirror_all(MirrorKind::Client, msp).await?;
        // Every client's servers in one query (not one per client: 1,000 clients took 1,000).
        let mut servers_of: HashMap<TenantId, Vec<Server>> = HashMap::new();
        match only {
            None => {
                for (tenant, server) in self
                    .store
                    .mirror_all_tenants::<Server>(MirrorKind::Server)
                    .await?
                {
                    servers_of.entry(tenant).or_default().push(server);
                }
            }
            Some(id) => {
                let tenant = TenantId::from(id);
                servers_of.insert(
                    tenant,
                    self.store.mirror_all(MirrorKind::Server, tenant).await?,
                );
            }
        }
        let mut inputs = Vec::new();
        for c in clients
            .into_iter()
            .filter(|c| only.is_none_or(|id| id == c.id))
        {
            let servers = servers_of.remove(&TenantId::from(c.id)).unwrap_or_default();
            inputs.push(
                client_billing_input(&c, &plans, &servers)
                    .map_err(|e| DeskError::NotSynced(e.to_string()))?,
            );
        }
        Ok((FxTable::from(&fx_body), inputs))
    }

    /// Who issues this desk's reports: the MSP's name as last synced, else (never synced) the
    /// Control Panel's host name.
    pub async fn msp_name(&self) -> Result<String, DeskError> {
        if let Some(profile) = self
            .store
            .mirror::<MspProfile>(MirrorKind::Msp, self.msp(), "msp")
            .await?
        {
            return Ok(profile.name);
        }
        Ok(url::Url::parse(&self.account.server)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "MSP".into()))
    }

    /// The file name to offer for a report: the issuer, the period, and the one client it
    /// covers or "all clients".
    pub async fn report_file_name(
        &self,
        period: Period,
        scope: ReportScope,
        format: ReportFormat,
    ) -> Result<String, DeskError> {
        let client = match scope {
            ReportScope::All => None,
            ReportScope::Client(id) => Some(self.synced_client(id).await?.company_name),
        };
        let extension = match format {
            ReportFormat::Csv => "csv",
            ReportFormat::Pdf => "pdf",
        };
        Ok(mspdesk_reports::file_name(
            &self.msp_name().await?,
            client.as_deref(),
            period,
            extension,
        ))
    }

    /// Computes a report and writes it as CSV or PDF (atomically: a crash leaves no half
    /// file).
    #[tracing::instrument(skip(self), err)]
    pub async fn export_report(
        &self,
        request: &ExportRequest,
        now: DateTime<Utc>,
    ) -> Result<ExportSummary, DeskError> {
        let (client, layout) = match request.scope {
            ReportScope::All => (None, Layout::Summary),
            ReportScope::Client(id) => (Some(id), Layout::Lines),
        };
        let report = self.report(request.period, client, now).await?;
        let issuer = match &request.msp_name {
            Some(name) => name.clone(),
            None => self.msp_name().await?,
        };
        let bytes = match request.format {
            ReportFormat::Csv => mspdesk_reports::to_csv(&report, layout, &issuer),
            ReportFormat::Pdf => {
                let branding = ReportBranding {
                    msp_name: issuer,
                    logo_png: request.logo.as_deref().map(read_file).transpose()?,
                };
                mspdesk_reports::to_pdf(&report, layout, &branding)
                    .map_err(|e| DeskError::Render(e.to_string()))?
            }
        };
        write_atomically(&request.output, &bytes)?;
        Ok(ExportSummary {
            path: request.output.clone(),
            bytes: bytes.len(),
            clients: report.clients.len(),
            lines: report.line_count(),
            total: Money::new(report.total, report.currency),
        })
    }
}
