//! TypeScript bindings for the types the UI receives, generated from Rust with ts-rs into
//! `ui/src/bindings/`. This test fails when a committed binding is stale or missing; run it with
//! `UPDATE_BINDINGS=1` (or `cargo xtask bindings`) to rewrite them. The types each root refers
//! to are followed, so listing the roots is enough.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ts_rs::{Config, TypeVisitor, TS};

struct Checker {
    cfg: Config,
    dir: PathBuf,
    update: bool,
    seen: BTreeSet<PathBuf>,
    stale: Vec<String>,
}

impl TypeVisitor for Checker {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return;
        };
        if !self.seen.insert(path.clone()) {
            return;
        }
        let path = self.dir.join(path);
        let want = T::export_to_string(&self.cfg).unwrap();
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            if self.update {
                std::fs::create_dir_all(path.parent().unwrap_or(&self.dir)).unwrap();
                std::fs::write(&path, want).unwrap();
            } else {
                self.stale.push(path.display().to_string());
            }
        }
        T::visit_dependencies(self);
    }
}

#[test]
fn ui_bindings_are_current() {
    let mut checker = Checker {
        // JSON numbers arrive in JavaScript as `number`; our u64 counters stay far below 2^53.
        cfg: Config::new().with_large_int("number"),
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings"),
        update: std::env::var_os("UPDATE_BINDINGS").is_some(),
        seen: BTreeSet::new(),
        stale: Vec::new(),
    };
    // Commands' results and arguments, and events.
    checker.visit::<crate::AppInfo>();
    checker.visit::<crate::IpcError>();
    checker.visit::<crate::SyncStatus>();
    checker.visit::<mspdesk_desk::Account>();
    checker.visit::<mspdesk_desk::UnsentWork>();
    checker.visit::<mspdesk_desk::SignOut>();
    checker.visit::<mspdesk_api::types::AuditAction>();
    checker.visit::<mspdesk_desk::ClientQuery>();
    checker.visit::<mspdesk_desk::ClientRow>();
    checker.visit::<mspdesk_desk::ClientDetail>();
    checker.visit::<mspdesk_desk::CreateOutcome>();
    checker.visit::<mspdesk_desk::PublishOutcome>();
    checker.visit::<mspdesk_desk::Progress>();
    checker.visit::<mspdesk_desk::SyncSummary>();
    checker.visit::<mspdesk_desk::QueuedClient>();
    checker.visit::<mspdesk_desk::Conflict>();
    checker.visit::<mspdesk_desk::Resolution>();
    checker.visit::<mspdesk_desk::CatalogChange>();
    checker.visit::<mspdesk_desk::ExportSummary>();
    checker.visit::<mspdesk_desk::BrandingView>();
    checker.visit::<mspdesk_desk::BrandingCheck>();
    checker.visit::<mspdesk_desk::PreviewTheme>();
    checker.visit::<mspdesk_api::types::DomainVerification>();
    checker.visit::<mspdesk_domain::AssetKind>();
    checker.visit::<mspdesk_api::types::TemplateInfo>();
    checker.visit::<mspdesk_api::types::AuditEntry>();
    checker.visit::<mspdesk_api::types::Invitation>();
    checker.visit::<mspdesk_domain::BillingReport>();
    checker.visit::<crate::commands::billing::ExportInput>();
    checker.visit::<crate::commands::billing::ExportProgress>();
    checker.visit::<mspdesk_api::types::Plan>();
    checker.visit::<mspdesk_api::types::CreateClient>();
    checker.visit::<mspdesk_api::types::UpdateClient>();
    checker.visit::<mspdesk_domain::Quotas>();
    checker.visit::<mspdesk_domain::Usage>();
    checker.visit::<mspdesk_domain::Compliance>();

    assert!(
        checker.seen.len() >= 25,
        "expected the roots and their dependencies, got {:?}",
        checker.seen
    );
    assert!(
        checker.stale.is_empty(),
        "stale TypeScript bindings (run `cargo xtask bindings`): {:?}",
        checker.stale
    );
}
