//! Resource quotas, their enforcement at creation time, and compliance status.
//!
//! A quota is a non-negative limit or `None` (unlimited). A create is allowed when usage plus the
//! amount it adds stays within the limit. Lowering a limit below usage removes nothing: the client
//! becomes over quota and cannot add that resource until usage is back under the limit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The four quotas of the Control Panel, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// Cloud OS instances the client can register.
    MaxServers,
    /// User accounts of the client.
    MaxUsers,
    /// Applications installed on any one server.
    MaxAppsPerServer,
    /// Total storage across all instances, in GB.
    StorageQuotaGb,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 4] = [
        QuotaKind::MaxServers,
        QuotaKind::MaxUsers,
        QuotaKind::MaxAppsPerServer,
        QuotaKind::StorageQuotaGb,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            QuotaKind::MaxServers => "max_servers",
            QuotaKind::MaxUsers => "max_users",
            QuotaKind::MaxAppsPerServer => "max_apps_per_server",
            QuotaKind::StorageQuotaGb => "storage_quota_gb",
        }
    }
}

impl fmt::Display for QuotaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client's limits. `None` means unlimited; negative limits cannot be expressed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    pub max_servers: Option<u32>,
    pub max_users: Option<u32>,
    pub max_apps_per_server: Option<u32>,
    pub storage_quota_gb: Option<u32>,
}

/// A create refused because it would take usage past a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("quota {quota} exceeded: the limit is {limit} and {usage} already in use")]
pub struct QuotaExceeded {
    pub quota: QuotaKind,
    pub limit: u32,
    pub usage: u64,
}

impl Quotas {
    /// No limits at all.
    pub const UNLIMITED: Quotas = Quotas {
        max_servers: None,
        max_users: None,
        max_apps_per_server: None,
        storage_quota_gb: None,
    };

    #[must_use]
    pub const fn limit(&self, kind: QuotaKind) -> Option<u32> {
        match kind {
            QuotaKind::MaxServers => self.max_servers,
            QuotaKind::MaxUsers => self.max_users,
            QuotaKind::MaxAppsPerServer => self.max_apps_per_server,
            QuotaKind::StorageQuotaGb => self.storage_quota_gb,
        }
    }

    /// May a resource of `kind` that adds `amount` (1 for a server, user or app; its size for
    /// storage) be created when `usage` is already in use? The server runs this inside the
    /// creating transaction, with the usage read under a lock, so the check is atomic.
    pub fn check_create(
        &self,
        kind: QuotaKind,
        usage: u64,
        amount: u64,
    ) -> Result<(), QuotaExceeded> {
        let Some(limit) = self.limit(kind) else {
            return Ok(());
        };
        let fits = usage
            .checked_add(amount)
            .is_some_and(|after| after <= u64::from(limit));
        if fits {
            Ok(())
        } else {
            Err(QuotaExceeded {
                quota: kind,
                limit,
                usage,
            })
        }
    }
}

/// What a client uses now, measured against [`Quotas`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Active (not deleted) servers.
    pub servers: u64,
    pub users: u64,
    /// Storage summed over active servers, in GB.
    pub storage_gb: u64,
    /// Apps on the server that has the most: the figure `max_apps_per_server` limits.
    pub busiest_server_apps: u64,
}

impl Usage {
    #[must_use]
    pub const fn of(&self, kind: QuotaKind) -> u64 {
        match kind {
            QuotaKind::MaxServers => self.servers,
            QuotaKind::MaxUsers => self.users,
            QuotaKind::MaxAppsPerServer => self.busiest_server_apps,
            QuotaKind::StorageQuotaGb => self.storage_gb,
        }
    }
}

/// The badge the client list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    Compliant,
    /// Some usage is at or above 80 % of its limit, none above it.
    Approaching,
    /// Some usage is above its limit (the limit was lowered below usage).
    OverQuota,
}

impl ComplianceStatus {
    /// How bad it is, for ordering: compliant, then approaching, then over quota.
    #[must_use]
    pub const fn severity(self) -> u8 {
        match self {
            ComplianceStatus::Compliant => 0,
            ComplianceStatus::Approaching => 1,
            ComplianceStatus::OverQuota => 2,
        }
    }
}

/// A client's compliance with its quotas, with the quotas behind the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Compliance {
    pub status: ComplianceStatus,
    /// Quotas whose usage is above the limit.
    pub over: Vec<QuotaKind>,
    /// Quotas whose usage is at or above 80 % of the limit but not above it.
    pub approaching: Vec<QuotaKind>,
}

/// Usage at or above this share of a limit counts as approaching it, as `NUM / DEN`.
const APPROACHING_NUM: u64 = 4;
const APPROACHING_DEN: u64 = 5;

impl Compliance {
    /// Measures usage against quotas. A limit of 0 with no usage is compliant (nothing is
    /// allowed and nothing is used), so a client barred from a resource is not flagged forever.
    #[must_use]
    pub fn evaluate(quotas: &Quotas, usage: &Usage) -> Compliance {
        let mut over = Vec::new();
        let mut approaching = Vec::new();
        for kind in QuotaKind::ALL {
            let Some(limit) = quotas.limit(kind) else {
                continue;
            };
            let (used, limit) = (u128::from(usage.of(kind)), u128::from(limit));
            if used > limit {
                over.push(kind);
            } else if used > 0
                && used * u128::from(APPROACHING_DEN) >= limit * u128::from(APPROACHING_NUM)
            {
                approaching.push(kind);
            }
        }
        let status = if !over.is_empty() {
            ComplianceStatus::OverQuota
        } else if !approaching.is_empty() {
            ComplianceStatus::Approaching
        } else {
            ComplianceStatus::Compliant
        };
        Compliance {
            status,
            over,
            approaching,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quotas(servers: Option<u32>) -> Quotas {
        Quotas {
            max_servers: servers,
            ..Quotas::UNLIMITED
        }
    }

    #[test]
    fn check_create_within_and_at_the_limit() {
        let q = quotas(Some(5));
        assert_eq!(q.check_create(QuotaKind::MaxServers, 0, 1), Ok(()));
        assert_eq!(q.check_create(QuotaKind::MaxServers, 4, 1), Ok(()));
        assert_eq!(
            q.check_create(QuotaKind::MaxServers, 5, 1),
            Err(QuotaExceeded {
                quota: QuotaKind::MaxServers,
                limit: 5,
                usage: 5
            })
        );
        // Other quotas are unlimited.
        assert_eq!(q.check_create(QuotaKind::MaxUsers, 1_000_000, 1), Ok(()));
    }

    #[test]
    fn storage_counts_the_amount() {
        let q = Quotas {
            storage_quota_gb: Some(100),
            ..Quotas::UNLIMITED
        };
        assert_eq!(q.check_create(QuotaKind::StorageQuotaGb, 60, 40), Ok(()));
        let err = q
            .check_create(QuotaKind::StorageQuotaGb, 60, 41)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "quota storage_quota_gb exceeded: the limit is 100 and 60 already in use"
        );
    }

    #[test]
    fn lowered_below_usage_blocks_everything_of_that_kind() {
        let q = quotas(Some(2));
        assert!(q.check_create(QuotaKind::MaxServers, 3, 1).is_err());
        assert!(q.check_create(QuotaKind::MaxServers, 3, 0).is_err());
        assert!(q.check_create(QuotaKind::MaxServers, 2, 0).is_ok());
    }

    #[test]
    fn zero_limit_allows_nothing_and_overflow_is_refused() {
        assert!(quotas(Some(0))
            .check_create(QuotaKind::MaxServers, 0, 1)
            .is_err());
        assert!(quotas(Some(u32::MAX))
            .check_create(QuotaKind::MaxServers, u64::MAX, 1)
            .is_err());
    }

    #[test]
    fn quotas_wire_shape() {
        let q: Quotas = serde_json::from_str(
            r#"{"max_servers":5,"max_users":null,"max_apps_per_server":10,"storage_quota_gb":500}"#,
        )
        .unwrap();
        assert_eq!(q.max_servers, Some(5));
        assert_eq!(q.max_users, None);
        assert!(serde_json::from_str::<Quotas>(r#"{"max_servers":-1}"#).is_err());
        assert!(serde_json::from_str::<Quotas>(r#"{"max_servers":1.5}"#).is_err());
        assert!(serde_json::from_str::<Quotas>(r#"{"max_server":1}"#).is_err());
        assert_eq!(
            serde_json::to_value(QuotaKind::MaxAppsPerServer).unwrap(),
            "max_apps_per_server"
        );
    }

    #[test]
    fn compliance_statuses() {
        let q = Quotas {
            max_servers: Some(10),
            max_users: Some(5),
            max_apps_per_server: None,
            storage_quota_gb: Some(0),
        };
        let mut u = Usage::default();
        assert_eq!(
            Compliance::evaluate(&q, &u).status,
            ComplianceStatus::Compliant
        );

        u.servers = 7;
        assert_eq!(
            Compliance::evaluate(&q, &u).status,
            ComplianceStatus::Compliant
        );
        u.servers = 8; // exactly 80 %
        let c = Compliance::evaluate(&q, &u);
        assert_eq!(c.status, ComplianceStatus::Approaching);
        assert_eq!(c.approaching, vec![QuotaKind::MaxServers]);
        u.servers = 10; // at the limit is still approaching, not over
        assert_eq!(
            Compliance::evaluate(&q, &u).status,
            ComplianceStatus::Approaching
        );

        u.users = 6;
        u.busiest_server_apps = 1_000; // unlimited: never counts
        let c = Compliance::evaluate(&q, &u);
        assert_eq!(c.status, ComplianceStatus::OverQuota);
        assert_eq!(c.over, vec![QuotaKind::MaxUsers]);
        assert_eq!(c.approaching, vec![QuotaKind::MaxServers]);

        u.storage_gb = 1;
        let c = Compliance::evaluate(&q, &u);
        assert_eq!(c.over, vec![QuotaKind::MaxUsers, QuotaKind::StorageQuotaGb]);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"status": "over_quota", "over": ["max_users", "storage_quota_gb"], "approaching": ["max_servers"]})
        );
    }

    fn arb_limit() -> impl Strategy<Value = Option<u32>> {
        prop_oneof![Just(None), (0u32..200).prop_map(Some)]
    }

    proptest! {
        #[test]
        fn check_create_matches_the_rule(limit in arb_limit(), usage in 0u64..300, amount in 0u64..50) {
            let q = quotas(limit);
            let allowed = q.check_create(QuotaKind::MaxServers, usage, amount).is_ok();
            let expected = limit.is_none_or(|l| usage + amount <= u64::from(l));
            prop_assert_eq!(allowed, expected);
        }

        #[test]
        fn creating_one_by_one_stops_exactly_at_the_limit(limit in 0u32..100) {
            let q = quotas(Some(limit));
            let mut usage = 0u64;
            while q.check_create(QuotaKind::MaxServers, usage, 1).is_ok() {
                usage += 1;
                prop_assert!(usage <= 1000);
            }
            prop_assert_eq!(usage, u64::from(limit));
            prop_assert_ne!(Compliance::evaluate(&q, &Usage { servers: usage, ..Usage::default() }).status, ComplianceStatus::OverQuota);
        }

        #[test]
        fn compliance_is_consistent(
            limits in proptest::array::uniform4(arb_limit()),
            used in proptest::array::uniform4(0u64..300),
        ) {
            let q = Quotas { max_servers: limits[0], max_users: limits[1], max_apps_per_server: limits[2], storage_quota_gb: limits[3] };
            let u = Usage { servers: used[0], users: used[1], busiest_server_apps: used[2], storage_gb: used[3] };
            let c = Compliance::evaluate(&q, &u);
            for kind in QuotaKind::ALL {
                let over = q.limit(kind).is_some_and(|l| u.of(kind) > u64::from(l));
                prop_assert_eq!(c.over.contains(&kind), over);
                prop_assert!(!(c.over.contains(&kind) && c.approaching.contains(&kind)));
                // Over quota means no further create of that kind can pass.
                if over {
                    prop_assert!(q.check_create(kind, u.of(kind), 0).is_err());
                }
            }
            let expected = if !c.over.is_empty() { ComplianceStatus::OverQuota }
                else if !c.approaching.is_empty() { ComplianceStatus::Approaching }
                else { ComplianceStatus::Compliant };
            prop_assert_eq!(c.status, expected);
        }
    }
}
