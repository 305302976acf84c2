-- Hardening: revocable tokens and signing keys, provider and client tenants told apart by the
-- policies, and foreign keys that carry the tenant.

-- ---------------------------------------------------------------------------------------------
-- Tokens and keys. Not tenant data: read and written as the owner role (the app role has no
-- grant), like signing_keys and throttle.

-- A key revoked by `control-panel revoke-key`: every instance drops it at its next reload.
ALTER TABLE signing_keys ADD COLUMN revoked_at timestamptz;

-- Single tokens ended by POST /auth/logout, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti         uuid PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- Every token issued for a subject (a client's tenant, a user) that is gone: a token whose
-- `tid` or `sub` is listed here is refused. Written by the triggers below, in the deleting
-- transaction, whoever deletes.
CREATE TABLE revoked_subjects (
    subject     uuid PRIMARY KEY,
    revoked_at  timestamptz NOT NULL DEFAULT now()
);

-- The triggers run as the owner (SECURITY DEFINER), so the app role needs no grant on the
-- table; the search path is fixed so that nothing can be slipped in front of it.
CREATE FUNCTION revoke_subject() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO revoked_subjects (subject) VALUES (OLD.id) ON CONFLICT DO NOTHING;
    RETURN OLD;
END
$$;
REVOKE ALL ON FUNCTION revoke_subject() FROM PUBLIC;

CREATE TRIGGER clients_revoke_tokens AFTER DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION revoke_subject();
CREATE TRIGGER users_revoke_tokens AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION revoke_subject();
CREATE TRIGGER operators_revoke_tokens AFTER DELETE ON operators
    FOR EACH ROW EXECUTE FUNCTION revoke_subject();

-- ---------------------------------------------------------------------------------------------
-- Provider and client tenants. app_tenant() names either an MSP (a provider) or one of its
-- clients; a client tenant can see its own clients row, an MSP has none. Policies that let a
-- tenant write "its own" rows now also say which kind of tenant may: a client can no longer
-- insert a provider, an operator, a plan, a price, a rate or a client under itself, and an MSP
-- writes no client-owned rows in its own name.

CREATE FUNCTION app_is_client() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT EXISTS (SELECT 1 FROM clients c WHERE c.id = app_tenant()) $$;

-- Provider-owned tables: written only in a provider tenant.
DROP POLICY providers_insert ON providers;
CREATE POLICY providers_insert ON providers FOR INSERT
    WITH CHECK (id = app_tenant() AND NOT app_is_client());
DROP POLICY providers_update ON providers;
CREATE POLICY providers_update ON providers FOR UPDATE
    USING (id = app_tenant() AND NOT app_is_client())
    WITH CHECK (id = app_tenant() AND NOT app_is_client());
DROP POLICY operators_insert ON operators;
CREATE POLICY operators_insert ON operators FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY plans_insert ON plans;
CREATE POLICY plans_insert ON plans FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY prices_insert ON prices;
CREATE POLICY prices_insert ON prices FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY prices_update ON prices;
CREATE POLICY prices_update ON prices FOR UPDATE
    USING (tenant_id = app_tenant() AND NOT app_is_client())
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY clients_insert ON clients;
CREATE POLICY clients_insert ON clients FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY clients_update ON clients;
CREATE POLICY clients_update ON clients FOR UPDATE
    USING (tenant_id = app_tenant() AND NOT app_is_client())
    WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client());
DROP POLICY clients_delete ON clients;
CREATE POLICY clients_delete ON clients FOR DELETE
    USING (tenant_id = app_tenant() AND NOT app_is_client());

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['fx_rates']
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', t || '_insert', t);
        EXECUTE format('DROP POLICY %I ON %I', t || '_update', t);
        EXECUTE format('DROP POLICY %I ON %I', t || '_delete', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (tenant_id = app_tenant() AND NOT app_is_client()) WITH CHECK (tenant_id = app_tenant() AND NOT app_is_client())', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (tenant_id = app_tenant() AND NOT app_is_client())', t || '_delete', t);
    END LOOP;
END
$$;

-- Client-owned tables: written only in a client tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['servers', 'users', 'catalogs', 'apps', 'branding', 'branding_assets',
                             'domain_claims', 'portal_credentials', 'portal_invitations', 'portal_sessions']
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', t || '_insert', t);
        EXECUTE format('DROP POLICY %I ON %I', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (tenant_id = app_tenant() AND app_is_client())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (tenant_id = app_tenant() AND app_is_client()) WITH CHECK (tenant_id = app_tenant() AND app_is_client())', t || '_update', t);
    END LOOP;
END
$$;
DROP POLICY verified_domains_insert ON verified_domains;
CREATE POLICY verified_domains_insert ON verified_domains FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND app_is_client());

-- ---------------------------------------------------------------------------------------------
-- Foreign keys that carry the tenant: a row can reference only a row of its own tenant, even
-- if a query forgot its filter. (Referential checks bypass row-level security, so these hold
-- whoever writes.)

-- A client's plan is one of its MSP's plans.
ALTER TABLE plans ADD CONSTRAINT plans_tenant_id_id UNIQUE (tenant_id, id);
ALTER TABLE clients DROP CONSTRAINT clients_plan_id_fkey;
ALTER TABLE clients ADD CONSTRAINT clients_plan_fkey
    FOREIGN KEY (tenant_id, plan_id) REFERENCES plans (tenant_id, id);

-- An app runs on a server of its own client.
ALTER TABLE servers ADD CONSTRAINT servers_tenant_id_id UNIQUE (tenant_id, id);
ALTER TABLE apps DROP CONSTRAINT apps_server_id_fkey;
ALTER TABLE apps ADD CONSTRAINT apps_server_fkey
    FOREIGN KEY (tenant_id, server_id) REFERENCES servers (tenant_id, id);
