-- Billing: the MSP's billing currency, its exchange rates, and an editable price table.

ALTER TABLE providers ADD COLUMN billing_currency text NOT NULL DEFAULT 'EUR';
GRANT UPDATE (billing_currency) ON providers TO mspdesk_app;
CREATE POLICY providers_update ON providers FOR UPDATE USING (id = app_tenant()) WITH CHECK (id = app_tenant());

-- 1 unit of `currency` = `rate` units of the MSP's billing currency.
CREATE TABLE fx_rates (
    tenant_id   uuid NOT NULL REFERENCES providers (id),
    currency    text NOT NULL,
    rate        numeric(20, 10) NOT NULL CHECK (rate > 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, currency)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON fx_rates TO mspdesk_app;
ALTER TABLE fx_rates ENABLE ROW LEVEL SECURITY;
ALTER TABLE fx_rates FORCE ROW LEVEL SECURITY;
CREATE POLICY fx_rates_read ON fx_rates FOR SELECT USING (tenant_id = app_tenant());
CREATE POLICY fx_rates_insert ON fx_rates FOR INSERT WITH CHECK (tenant_id = app_tenant());
CREATE POLICY fx_rates_update ON fx_rates FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant());
CREATE POLICY fx_rates_delete ON fx_rates FOR DELETE USING (tenant_id = app_tenant());

-- The MSP edits its price table; new prices apply to instances registered afterwards (each
-- instance keeps the snapshot taken at registration).
GRANT UPDATE ON prices TO mspdesk_app;
CREATE POLICY prices_update ON prices FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant());
