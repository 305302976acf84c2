//! The app template library and per-client catalogs.

use serde::{Deserialize, Serialize};

/// A client's catalog: `all` (the whole library, including templates added later) or `custom`
/// (only an explicit allow-list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CatalogMode {
    #[default]
    All,
    Custom,
}

impl CatalogMode {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CatalogMode::All => "all",
            CatalogMode::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(CatalogMode::All),
            "custom" => Some(CatalogMode::Custom),
            _ => None,
        }
    }

    /// May a template be installed under this mode, given the allow-list?
    #[must_use]
    pub fn allows(self, template_id: &str, enabled: &[String]) -> bool {
        match self {
            CatalogMode::All => true,
            CatalogMode::Custom => enabled.iter().any(|t| t == template_id),
        }
    }
}

/// One app of the template library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Template {
    /// A slug, e.g. `nextcloud`.
    pub id: &'static str,
    pub name: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    /// Typical disk footprint of the installed app, in MB.
    pub size_mb: u32,
}

const fn t(
    id: &'static str,
    name: &'static str,
    category: &'static str,
    description: &'static str,
    size_mb: u32,
) -> Template {
    Template {
        id,
        name,
        category,
        description,
        size_mb,
    }
}

/// The Cloud OS template library: well-known self-hosted apps.
pub const TEMPLATES: &[Template] = &[
    t(
        "nextcloud",
        "Nextcloud",
        "Files & Collaboration",
        "File sync and share, calendars and contacts",
        1200,
    ),
    t(
        "onlyoffice",
        "ONLYOFFICE Docs",
        "Files & Collaboration",
        "Online editors for documents, spreadsheets and presentations",
        2500,
    ),
    t(
        "collabora",
        "Collabora Online",
        "Files & Collaboration",
        "LibreOffice-based online office suite",
        1800,
    ),
    t(
        "seafile",
        "Seafile",
        "Files & Collaboration",
        "High-performance file sync and share",
        700,
    ),
    t(
        "mattermost",
        "Mattermost",
        "Communication",
        "Team chat with channels, threads and integrations",
        900,
    ),
    t(
        "rocketchat",
        "Rocket.Chat",
        "Communication",
        "Team chat and omnichannel customer messaging",
        1100,
    ),
    t(
        "jitsi",
        "Jitsi Meet",
        "Communication",
        "Video conferencing in the browser",
        800,
    ),
    t(
        "matrix-synapse",
        "Matrix Synapse",
        "Communication",
        "Federated, end-to-end encrypted messaging server",
        600,
    ),
    t(
        "mailcow",
        "mailcow",
        "Communication",
        "Mail server suite with webmail, antispam and antivirus",
        3000,
    ),
    t(
        "wordpress",
        "WordPress",
        "Websites & CMS",
        "Websites and blogs",
        400,
    ),
    t(
        "ghost",
        "Ghost",
        "Websites & CMS",
        "Publishing platform for blogs and newsletters",
        500,
    ),
    t(
        "drupal",
        "Drupal",
        "Websites & CMS",
        "Content management framework",
        450,
    ),
    t(
        "gitea",
        "Gitea",
        "Development",
        "Lightweight Git hosting with issues and pull requests",
        300,
    ),
    t(
        "gitlab",
        "GitLab CE",
        "Development",
        "Git hosting with CI/CD pipelines",
        4500,
    ),
    t(
        "jenkins",
        "Jenkins",
        "Development",
        "Automation server for builds and deployments",
        900,
    ),
    t(
        "sonarqube",
        "SonarQube",
        "Development",
        "Continuous code quality inspection",
        1500,
    ),
    t(
        "grafana",
        "Grafana",
        "Monitoring",
        "Dashboards for metrics, logs and traces",
        400,
    ),
    t(
        "prometheus",
        "Prometheus",
        "Monitoring",
        "Metrics collection and alerting",
        350,
    ),
    t(
        "uptime-kuma",
        "Uptime Kuma",
        "Monitoring",
        "Uptime monitoring with status pages",
        250,
    ),
    t(
        "zabbix",
        "Zabbix",
        "Monitoring",
        "Enterprise network and server monitoring",
        1000,
    ),
    t(
        "bitwarden",
        "Vaultwarden",
        "Security",
        "Password manager compatible with Bitwarden clients",
        150,
    ),
    t(
        "keycloak",
        "Keycloak",
        "Security",
        "Single sign-on and identity management",
        800,
    ),
    t(
        "wireguard",
        "WireGuard (wg-easy)",
        "Security",
        "VPN server with a web UI",
        100,
    ),
    t("odoo", "Odoo", "Business", "ERP and CRM suite", 2000),
    t(
        "invoiceninja",
        "Invoice Ninja",
        "Business",
        "Invoicing, quotes and payments",
        600,
    ),
    t(
        "erpnext",
        "ERPNext",
        "Business",
        "Open-source ERP for accounting, inventory and HR",
        2500,
    ),
    t(
        "nocodb",
        "NocoDB",
        "Business",
        "Spreadsheet interface over SQL databases",
        400,
    ),
    t(
        "postgresql",
        "PostgreSQL",
        "Databases",
        "Relational database server",
        300,
    ),
    t(
        "mariadb",
        "MariaDB",
        "Databases",
        "MySQL-compatible relational database server",
        350,
    ),
    t(
        "redis",
        "Redis",
        "Databases",
        "In-memory data store and cache",
        100,
    ),
    t(
        "minio",
        "MinIO",
        "Storage",
        "S3-compatible object storage",
        200,
    ),
    t("immich", "Immich", "Media", "Photo and video backup", 1500),
    t(
        "jellyfin",
        "Jellyfin",
        "Media",
        "Media server for video and music",
        700,
    ),
];

/// Looks a template up by its slug.
#[must_use]
pub fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_is_well_formed() {
        assert!(TEMPLATES.len() >= 30);
        let mut ids: Vec<&str> = TEMPLATES.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TEMPLATES.len(), "template ids must be unique");
        for t in TEMPLATES {
            assert!(
                t.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not a slug",
                t.id
            );
            assert!(!t.name.is_empty() && !t.category.is_empty() && t.size_mb > 0);
        }
        assert_eq!(template("nextcloud").map(|t| t.name), Some("Nextcloud"));
        assert!(template("no-such-app").is_none());
    }

    #[test]
    fn modes() {
        let enabled = vec!["gitea".to_owned()];
        assert!(CatalogMode::All.allows("nextcloud", &enabled));
        assert!(CatalogMode::Custom.allows("gitea", &enabled));
        assert!(!CatalogMode::Custom.allows("nextcloud", &enabled));
        assert!(!CatalogMode::Custom.allows("gitea", &[]));
        assert_eq!(CatalogMode::parse("custom"), Some(CatalogMode::Custom));
        assert_eq!(CatalogMode::parse("Custom"), None);
        assert_eq!(CatalogMode::default(), CatalogMode::All);
    }
}
