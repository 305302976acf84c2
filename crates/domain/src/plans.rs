//! Licensing plans.

use crate::Quotas;

/// A plan a new MSP starts with: a monthly license fee per instance and default quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPlan {
    pub name: &'static str,
    /// Monthly license fee per Cloud OS instance, as a decimal string.
    pub license_fee_per_instance: &'static str,
    pub currency: &'static str,
    pub quotas: Quotas,
}

pub const DEFAULT_PLANS: &[DefaultPlan] = &[
    DefaultPlan {
        name: "Starter",
        license_fee_per_instance: "9.00",
        currency: "EUR",
        quotas: Quotas {
            max_servers: Some(3),
            max_users: Some(10),
            max_apps_per_server: Some(5),
            storage_quota_gb: Some(250),
        },
    },
    DefaultPlan {
        name: "Business",
        license_fee_per_instance: "19.00",
        currency: "EUR",
        quotas: Quotas {
            max_servers: Some(10),
            max_users: Some(50),
            max_apps_per_server: Some(15),
            storage_quota_gb: Some(2000),
        },
    },
    DefaultPlan {
        name: "Enterprise",
        license_fee_per_instance: "39.00",
        currency: "EUR",
        quotas: Quotas::UNLIMITED,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_plans_with_valid_fees() {
        assert_eq!(DEFAULT_PLANS.len(), 3);
        for plan in DEFAULT_PLANS {
            assert!(crate::Money::parse(plan.license_fee_per_instance, plan.currency).is_ok());
        }
    }
}
