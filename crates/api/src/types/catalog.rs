//! The app template library and a client's catalog.

use mspdesk_domain::CatalogMode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Fields;
use crate::FieldError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateInfo {
    pub id: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub size_mb: u32,
}

impl From<&mspdesk_domain::Template> for TemplateInfo {
    fn from(t: &mspdesk_domain::Template) -> Self {
        Self {
            id: t.id.to_owned(),
            name: t.name.to_owned(),
            category: t.category.to_owned(),
            description: t.description.to_owned(),
            size_mb: t.size_mb,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Catalog {
    pub mode: CatalogMode,
    /// Template ids allowed in `custom` mode (kept, but not consulted, in `all` mode).
    pub enabled: Vec<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct UpdateCatalog {
    /// `all` or `custom`.
    pub mode: String,
    #[serde(default)]
    pub enabled: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalog {
    pub mode: CatalogMode,
    /// Sorted, without duplicates; every id is in the template library.
    pub enabled: Vec<String>,
}

impl UpdateCatalog {
    pub fn validate(&self) -> Result<NewCatalog, Vec<FieldError>> {
        let mut f = Fields::default();
        let mode = CatalogMode::parse(self.mode.trim());
        if mode.is_none() {
            f.fail("mode", "must be all or custom");
        }
        let mut enabled: Vec<String> = self.enabled.iter().map(|s| s.trim().to_owned()).collect();
        enabled.sort();
        enabled.dedup();
        let unknown: Vec<&str> = enabled
            .iter()
            .filter(|id| mspdesk_domain::template(id).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            f.fail(
                "enabled",
                &format!("names templates that do not exist: {}", unknown.join(", ")),
            );
        }
        f.finish(|| {
            Some(NewCatalog {
                mode: mode?,
                enabled,
            })
        })
    }
}
