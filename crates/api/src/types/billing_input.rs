//! From API bodies to the domain's billing inputs, written once: the server (billing report,
//! month-to-date totals) and the desk (reports from its mirror) both go through here.

use mspdesk_domain::{ClientBillingInput, ClientId, FxTable, Money, PricedInstance};
use uuid::Uuid;

use super::{Client, ClientSummary, FxTableBody, Plan, Server};

/// Why API bodies could not be turned into billing inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingInputError {
    /// The client's plan is not among the plans given.
    #[error(
        "client {client} ({company_name}) is on plan {plan_id}, which is not among the plans given"
    )]
    UnknownPlan {
        client: ClientId,
        company_name: String,
        plan_id: Uuid,
    },
}

impl From<&Server> for PricedInstance {
    fn from(s: &Server) -> Self {
        PricedInstance {
            id: s.id,
            name: s.name.clone(),
            provider: s.provider,
            server_type: s.server_type.clone(),
            hourly: s.price.hourly,
            monthly: s.price.monthly,
            currency: s.price.currency,
            created_at: s.created_at,
            deleted_at: s.deleted_at,
        }
    }
}

impl From<&FxTableBody> for FxTable {
    fn from(body: &FxTableBody) -> Self {
        body.rates
            .iter()
            .fold(FxTable::new(body.currency), |table, r| {
                table.with_rate(r.currency, r.rate)
            })
    }
}

/// What billing needs of a client body; [`Client`] and [`ClientSummary`] both have it.
pub trait BilledClient {
    fn client_id(&self) -> ClientId;
    fn company_name(&self) -> &str;
    fn plan_id(&self) -> Uuid;
}

impl BilledClient for Client {
    fn client_id(&self) -> ClientId {
        self.id
    }
    fn company_name(&self) -> &str {
        &self.company_name
    }
    fn plan_id(&self) -> Uuid {
        self.plan_id
    }
}

impl BilledClient for ClientSummary {
    fn client_id(&self) -> ClientId {
        self.id
    }
    fn company_name(&self) -> &str {
        &self.company_name
    }
    fn plan_id(&self) -> Uuid {
        self.plan_id
    }
}

/// A client's billing input: its plan (looked up in `plans`) gives the license fee, its
/// `servers` (with their price snapshots) the instances.
pub fn client_billing_input(
    client: &impl BilledClient,
    plans: &[Plan],
    servers: &[Server],
) -> Result<ClientBillingInput, BillingInputError> {
    let plan = plans
        .iter()
        .find(|p| p.id == client.plan_id())
        .ok_or_else(|| BillingInputError::UnknownPlan {
            client: client.client_id(),
            company_name: client.company_name().to_owned(),
            plan_id: client.plan_id(),
        })?;
    Ok(ClientBillingInput {
        client_id: client.client_id().as_uuid(),
        company_name: client.company_name().to_owned(),
        plan_name: plan.name.clone(),
        license_fee: Money::new(plan.license_fee_per_instance, plan.currency),
        instances: servers.iter().map(PricedInstance::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use mspdesk_domain::{Currency, Provider, Quotas};
    use rust_decimal::Decimal;

    use crate::types::{FxRateBody, PriceSnapshot};

    #[test]
    fn bodies_become_billing_inputs() {
        let plan = Plan {
            id: Uuid::now_v7(),
            name: "Pro".into(),
            license_fee_per_instance: Decimal::new(1900, 2),
            currency: Currency::EUR,
            default_quotas: Quotas::default(),
        };
        let server = Server {
            id: Uuid::now_v7(),
            name: "web".into(),
            provider: Provider::Digitalocean,
            server_type: "s-1vcpu-1gb".into(),
            storage_gb: 25,
            region: None,
            price: PriceSnapshot {
                hourly: Decimal::new(9, 3),
                monthly: Decimal::new(6, 0),
                currency: Currency::USD,
            },
            created_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            deleted_at: None,
        };
        let client = ClientSummary {
            monthly_total: None,
            id: ClientId::new(),
            company_name: "Acme".into(),
            contact_email: "a@acme.example".into(),
            plan_id: plan.id,
            plan_name: "Pro".into(),
            server_count: 1,
            user_count: 0,
            compliance: mspdesk_domain::Compliance::evaluate(
                &Quotas::default(),
                &mspdesk_domain::Usage::default(),
            ),
            version: 1,
        };
        let input = client_billing_input(
            &client,
            std::slice::from_ref(&plan),
            std::slice::from_ref(&server),
        )
        .unwrap();
        assert_eq!(input.client_id, client.id.as_uuid());
        assert_eq!(
            input.license_fee,
            Money::new(Decimal::new(1900, 2), Currency::EUR)
        );
        assert_eq!(input.instances, [PricedInstance::from(&server)]);
        assert_eq!(input.instances[0].currency, Currency::USD);

        let missing = client_billing_input(&client, &[], &[]).unwrap_err();
        assert!(missing.to_string().contains("Acme"));

        let fx = FxTable::from(&FxTableBody {
            currency: Currency::EUR,
            rates: vec![FxRateBody {
                currency: Currency::USD,
                rate: Decimal::new(96, 2),
            }],
        });
        assert_eq!(fx.base(), Currency::EUR);
        assert_eq!(
            fx.convert(Decimal::from(10), Currency::USD).unwrap(),
            Decimal::new(960, 2)
        );
    }
}
