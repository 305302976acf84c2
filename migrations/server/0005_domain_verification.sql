-- Custom domains are verified before they count. A client claims a domain by setting it in its
-- branding; it proves control by publishing a TXT record `_mspdesk-challenge.<domain>` holding
-- its token, and the first client to verify owns the domain.
--
-- Several clients may claim one domain while none has verified it, so the unique index on
-- branding.custom_domain goes. Ownership lives in verified_domains, whose primary key makes it
-- race-free: of two clients verifying at once, exactly one insert succeeds.

DROP INDEX branding_custom_domain;

-- A client's claim on a domain: the token it must publish (kept, so switching back to a domain
-- keeps its token) and the outcome of its last check.
CREATE TABLE domain_claims (
    tenant_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    domain      text NOT NULL,
    token       text NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'failed')),
    checked_at  timestamptz,
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, domain)
);

-- Who owns a domain: one row per verified domain, across all tenants. A client's row goes when
-- it changes or clears its custom domain, when a later check fails, and with the client.
CREATE TABLE verified_domains (
    domain       text PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    verified_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verified_domains_tenant ON verified_domains (tenant_id);

-- Existing custom domains become pending claims, each with a fresh token (two random UUIDs:
-- 244 random bits from the server's strong random source, written as 64 hex digits like the
-- tokens the server makes). The owner role sees branding's rows only while RLS is not forced.
ALTER TABLE branding NO FORCE ROW LEVEL SECURITY;
INSERT INTO domain_claims (tenant_id, domain, token)
SELECT tenant_id, custom_domain, replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
FROM branding
WHERE custom_domain IS NOT NULL;
ALTER TABLE branding FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE, DELETE ON domain_claims TO mspdesk_app;
GRANT SELECT, INSERT, DELETE ON verified_domains TO mspdesk_app;

-- Claims are client-owned rows: the client reads and writes its own; its MSP reads them.
ALTER TABLE domain_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE domain_claims FORCE ROW LEVEL SECURITY;
CREATE POLICY domain_claims_read ON domain_claims FOR SELECT
    USING (tenant_id = app_tenant() OR tenant_id IN (SELECT c.id FROM clients c WHERE c.tenant_id = app_tenant()));
CREATE POLICY domain_claims_insert ON domain_claims FOR INSERT WITH CHECK (tenant_id = app_tenant());
CREATE POLICY domain_claims_update ON domain_claims FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant());
CREATE POLICY domain_claims_delete ON domain_claims FOR DELETE USING (tenant_id = app_tenant());

-- Domain names are one global namespace: every tenant may see which domains are taken (the
-- server never shows another tenant's id), but only take or release a domain for itself. With
-- no tenant set, nothing is visible, as everywhere.
ALTER TABLE verified_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE verified_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY verified_domains_read ON verified_domains FOR SELECT USING (app_tenant() IS NOT NULL);
CREATE POLICY verified_domains_insert ON verified_domains FOR INSERT WITH CHECK (tenant_id = app_tenant());
CREATE POLICY verified_domains_delete ON verified_domains FOR DELETE USING (tenant_id = app_tenant());
