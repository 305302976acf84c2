-- Uploaded branding images (logo, favicon), one of each per client. Served publicly (the
-- branded sign-in page needs them before sign-in) by a route that reads them in the tenant
-- named by the URL.
CREATE TABLE branding_assets (
    tenant_id     uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('logo', 'favicon')),
    content_type  text NOT NULL,
    bytes         bytea NOT NULL,
    sha256        text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON branding_assets TO mspdesk_app;

ALTER TABLE branding_assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE branding_assets FORCE ROW LEVEL SECURITY;
CREATE POLICY branding_assets_read ON branding_assets FOR SELECT
    USING (tenant_id = app_tenant() OR tenant_id IN (SELECT c.id FROM clients c WHERE c.tenant_id = app_tenant()));
CREATE POLICY branding_assets_insert ON branding_assets FOR INSERT WITH CHECK (tenant_id = app_tenant());
CREATE POLICY branding_assets_update ON branding_assets FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant());
CREATE POLICY branding_assets_delete ON branding_assets FOR DELETE USING (tenant_id = app_tenant());
