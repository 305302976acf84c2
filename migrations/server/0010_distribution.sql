-- Ready to be distributed by MSP (Citus), and the same on one PostgreSQL.
--
-- The distribution key is the MSP's id. Every table of tenant data carries it: the MSP-owned
-- tables already did (`tenant_id` is the MSP in providers' `id`, operators, plans, prices,
-- fx_rates, clients, feed_heads; `msp_id` in changes); the client-owned tables get `msp_id`
-- here. Every primary key, unique constraint and foreign key between them leads with it, so
-- that all of one MSP's rows live together on one shard and every check stays on it. Global
-- data (the template library, signing keys, revocations, throttles, which client owns a
-- verified domain, which MSP an operator's e-mail signs in to, which MSP a client belongs to)
-- are reference tables: copied to every node, keyed without the MSP.
--
-- Policies no longer read tables. The MSP of a request is a setting of its transaction,
-- `app.msp_id`, set by the server from the verified token next to `app.tenant_id` (see
-- crates/server/src/db.rs); `app_msp()` reads that setting and nothing else. A tenant is an
-- MSP when app_tenant() = app_msp(), a client when they differ. The triggers that revoked the
-- tokens of deleted subjects are gone: the deleting transaction writes revoked_subjects itself
-- (store/revocations.rs).
--
-- Existing rows are kept: the new columns are filled from the clients, RLS is unforced while
-- the owner backfills and while the foreign keys are validated (under FORCE the owner sees no
-- rows, so a foreign key would be validated against nothing), and forced again at the end.

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relforcerowsecurity
    LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Policies are redefined below, all of them, without subqueries.
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT policyname, tablename FROM pg_policies WHERE schemaname = 'public'
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', p.policyname, p.tablename);
    END LOOP;
END
$$;

DROP FUNCTION app_is_client();
CREATE OR REPLACE FUNCTION app_msp() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.msp_id', true), '')::uuid $$;

DROP TRIGGER clients_revoke_tokens ON clients;
DROP TRIGGER users_revoke_tokens ON users;
DROP TRIGGER operators_revoke_tokens ON operators;
DROP FUNCTION revoke_subject();

-- ---------------------------------------------------------------------------------------------
-- The MSP id on client-owned rows, from the client. Rows of clients deleted long ago (an audit
-- trail, idempotency keys) find it through the audit row of the client's creation; rows whose
-- MSP cannot be found at all belonged to nobody who can read them any more and go.

CREATE TEMPORARY TABLE tenant_msp ON COMMIT DROP AS
    SELECT id AS tenant_id, id AS msp_id FROM providers
    UNION
    SELECT id, tenant_id FROM clients;
INSERT INTO tenant_msp (tenant_id, msp_id)
    SELECT DISTINCT ON (a.target_id) a.target_id::uuid, a.tenant_id
    FROM audit_log a
    WHERE a.action = 'client.create'
      AND a.target_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      AND a.tenant_id IN (SELECT id FROM providers)
      AND a.target_id::uuid NOT IN (SELECT tenant_id FROM tenant_msp)
    ORDER BY a.target_id, a.at;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['servers', 'users', 'catalogs', 'apps', 'branding', 'branding_assets',
                             'domain_claims', 'portal_credentials', 'portal_invitations',
                             'portal_sessions', 'idempotency_keys', 'audit_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN msp_id uuid', t);
        EXECUTE format('UPDATE %I x SET msp_id = m.msp_id FROM tenant_msp m WHERE m.tenant_id = x.tenant_id', t);
        EXECUTE format('DELETE FROM %I WHERE msp_id IS NULL', t);
        EXECUTE format('ALTER TABLE %I ALTER COLUMN msp_id SET NOT NULL', t);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Keys lead with the MSP id. Foreign keys first go, then the keys they hang on change, then
-- they come back carrying the MSP id.

ALTER TABLE clients DROP CONSTRAINT clients_plan_fkey;
ALTER TABLE servers DROP CONSTRAINT servers_tenant_id_fkey;
ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey;
ALTER TABLE catalogs DROP CONSTRAINT catalogs_tenant_id_fkey;
ALTER TABLE apps DROP CONSTRAINT apps_server_fkey;
ALTER TABLE apps DROP CONSTRAINT apps_tenant_id_fkey;
ALTER TABLE branding DROP CONSTRAINT branding_tenant_id_fkey;
ALTER TABLE branding_assets DROP CONSTRAINT branding_assets_tenant_id_fkey;
ALTER TABLE domain_claims DROP CONSTRAINT domain_claims_tenant_id_fkey;
ALTER TABLE verified_domains DROP CONSTRAINT verified_domains_tenant_id_fkey;
ALTER TABLE portal_credentials DROP CONSTRAINT portal_credentials_tenant_id_user_id_fkey;
ALTER TABLE portal_invitations DROP CONSTRAINT portal_invitations_tenant_id_user_id_fkey;
ALTER TABLE portal_sessions DROP CONSTRAINT portal_sessions_tenant_id_user_id_fkey;

ALTER TABLE operators DROP CONSTRAINT operators_pkey, ADD PRIMARY KEY (tenant_id, id);
DROP INDEX operators_tenant;
ALTER TABLE plans DROP CONSTRAINT plans_pkey, DROP CONSTRAINT plans_tenant_id_id, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE clients DROP CONSTRAINT clients_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE servers DROP CONSTRAINT servers_pkey, DROP CONSTRAINT servers_tenant_id_id,
    ADD PRIMARY KEY (msp_id, id), ADD CONSTRAINT servers_msp_tenant_id UNIQUE (msp_id, tenant_id, id);
DROP INDEX servers_tenant;
CREATE INDEX servers_tenant ON servers (msp_id, tenant_id, created_at, id);
ALTER TABLE users DROP CONSTRAINT users_pkey, DROP CONSTRAINT users_tenant_user,
    ADD PRIMARY KEY (msp_id, id), ADD CONSTRAINT users_msp_tenant_id UNIQUE (msp_id, tenant_id, id);
DROP INDEX users_tenant_email;
CREATE UNIQUE INDEX users_tenant_email ON users (msp_id, tenant_id, email_key);
ALTER TABLE catalogs DROP CONSTRAINT catalogs_pkey, ADD PRIMARY KEY (msp_id, tenant_id);
ALTER TABLE apps DROP CONSTRAINT apps_pkey, ADD PRIMARY KEY (msp_id, id);
DROP INDEX apps_tenant_server;
CREATE INDEX apps_tenant_server ON apps (msp_id, tenant_id, server_id);
ALTER TABLE branding DROP CONSTRAINT branding_pkey, ADD PRIMARY KEY (msp_id, tenant_id);
ALTER TABLE branding_assets DROP CONSTRAINT branding_assets_pkey, ADD PRIMARY KEY (msp_id, tenant_id, kind);
ALTER TABLE domain_claims DROP CONSTRAINT domain_claims_pkey, ADD PRIMARY KEY (msp_id, tenant_id, domain);
ALTER TABLE portal_credentials DROP CONSTRAINT portal_credentials_pkey, ADD PRIMARY KEY (msp_id, user_id);
ALTER TABLE portal_invitations DROP CONSTRAINT portal_invitations_pkey, ADD PRIMARY KEY (msp_id, token_hash);
DROP INDEX portal_invitations_user;
CREATE INDEX portal_invitations_user ON portal_invitations (msp_id, tenant_id, user_id);
ALTER TABLE portal_sessions DROP CONSTRAINT portal_sessions_pkey, ADD PRIMARY KEY (msp_id, token_hash);
DROP INDEX portal_sessions_user;
CREATE INDEX portal_sessions_user ON portal_sessions (msp_id, tenant_id, user_id);
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey, ADD PRIMARY KEY (msp_id, tenant_id, key);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (msp_id, id);
DROP INDEX audit_tenant;
CREATE INDEX audit_tenant ON audit_log (msp_id, tenant_id, id DESC);

-- Validated here, with every row visible (see the top).
ALTER TABLE clients ADD CONSTRAINT clients_plan_fkey
    FOREIGN KEY (tenant_id, plan_id) REFERENCES plans (tenant_id, id);
ALTER TABLE servers ADD CONSTRAINT servers_client_fkey
    FOREIGN KEY (msp_id, tenant_id) REFERENCES clients (tenant_id, id);
ALTER TABLE apps ADD CONSTRAINT apps_client_fkey
    FOREIGN KEY (msp_id, tenant_id) REFERENCES clients (tenant_id, id);
ALTER TABLE apps ADD CONSTRAINT apps_server_fkey
    FOREIGN KEY (msp_id, tenant_id, server_id) REFERENCES servers (msp_id, tenant_id, id);
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'catalogs', 'branding', 'branding_assets', 'domain_claims']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (msp_id, tenant_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE', t, t || '_client_fkey');
    END LOOP;
    FOREACH t IN ARRAY ARRAY['portal_credentials', 'portal_invitations', 'portal_sessions']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (msp_id, tenant_id, user_id) REFERENCES users (msp_id, tenant_id, id) ON DELETE CASCADE', t, t || '_user_fkey');
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Global lookups (reference tables when distributed).

-- Which MSP a client belongs to, for requests that name a client but carry no MSP: the portal
-- (the client is in its URL or its Host) and client tokens minted before tokens named their
-- MSP. Written with the client, in the same transaction.
CREATE TABLE client_directory (
    client_id  uuid PRIMARY KEY,
    msp_id     uuid NOT NULL
);
INSERT INTO client_directory (client_id, msp_id) SELECT id, tenant_id FROM clients;
CREATE INDEX client_directory_msp ON client_directory (msp_id);

-- A verified domain names its client's MSP too, so the portal routes by it; the row is
-- released explicitly when its client is deleted (a reference table cannot cascade from a
-- distributed one).
ALTER TABLE verified_domains ADD COLUMN msp_id uuid;
UPDATE verified_domains v SET msp_id = c.tenant_id FROM clients c WHERE c.id = v.tenant_id;
DELETE FROM verified_domains WHERE msp_id IS NULL;
ALTER TABLE verified_domains ALTER COLUMN msp_id SET NOT NULL;

-- Quota checks take a row lock here, on the MSP's shard, instead of an advisory lock, which
-- holds on one node only (see TenantTx::lock).
CREATE TABLE quota_locks (
    msp_id     uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    what       text NOT NULL,
    taken      bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (msp_id, tenant_id, what),
    FOREIGN KEY (msp_id, tenant_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, DELETE ON client_directory TO mspdesk_app;
GRANT SELECT, INSERT, UPDATE ON quota_locks TO mspdesk_app;
-- Revocations are written by the deleting request's transaction (they were a trigger's).
GRANT INSERT ON revoked_subjects TO mspdesk_app;

-- ---------------------------------------------------------------------------------------------
-- Policies. app_tenant(): the request's tenant; app_msp(): its MSP (the tenant itself for an
-- MSP). Both are settings of the transaction; with either unset, nothing matches.

ALTER TABLE client_directory ENABLE ROW LEVEL SECURITY;
ALTER TABLE quota_locks ENABLE ROW LEVEL SECURITY;
-- Not forced: the owner reads revocations when it checks a token.
ALTER TABLE revoked_subjects ENABLE ROW LEVEL SECURITY;

-- The MSP itself.
CREATE POLICY providers_read ON providers FOR SELECT USING (id = app_msp());
CREATE POLICY providers_insert ON providers FOR INSERT
    WITH CHECK (id = app_tenant() AND id = app_msp());
CREATE POLICY providers_update ON providers FOR UPDATE
    USING (id = app_tenant() AND id = app_msp()) WITH CHECK (id = app_tenant() AND id = app_msp());

-- Operators: the MSP's own, or the one whose e-mail a sign-in is checking.
CREATE POLICY operators_read ON operators FOR SELECT
    USING ((tenant_id = app_tenant() AND tenant_id = app_msp())
           OR email_key = NULLIF(current_setting('app.login_email', true), ''));
CREATE POLICY operators_insert ON operators FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp());
CREATE POLICY operator_emails_read ON operator_emails FOR SELECT
    USING ((tenant_id = app_tenant() AND tenant_id = app_msp())
           OR email_key = NULLIF(current_setting('app.login_email', true), ''));
CREATE POLICY operator_emails_insert ON operator_emails FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp());
CREATE POLICY operator_emails_delete ON operator_emails FOR DELETE
    USING (tenant_id = app_tenant() AND tenant_id = app_msp());

-- Plans and prices: the MSP writes them; the MSP and its clients read them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['plans', 'prices']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (tenant_id = app_msp())', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (tenant_id = app_tenant() AND tenant_id = app_msp()) WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_update', t);
    END LOOP;
    -- Exchange rates and the feed's purge: the MSP's alone.
    FOREACH t IN ARRAY ARRAY['fx_rates']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (tenant_id = app_tenant() AND tenant_id = app_msp()) WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (tenant_id = app_tenant() AND tenant_id = app_msp())', t || '_delete', t);
    END LOOP;
END
$$;

-- Clients: the MSP reads and writes them; a client reads its own record.
CREATE POLICY clients_read ON clients FOR SELECT
    USING (tenant_id = app_msp() AND (tenant_id = app_tenant() OR id = app_tenant()));
CREATE POLICY clients_insert ON clients FOR INSERT
    WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp());
CREATE POLICY clients_update ON clients FOR UPDATE
    USING (tenant_id = app_tenant() AND tenant_id = app_msp())
    WITH CHECK (tenant_id = app_tenant() AND tenant_id = app_msp());
CREATE POLICY clients_delete ON clients FOR DELETE
    USING (tenant_id = app_tenant() AND tenant_id = app_msp());

-- The directory: the MSP writes its clients' entries; a client finds its own.
CREATE POLICY client_directory_read ON client_directory FOR SELECT
    USING (client_id = app_tenant() OR (msp_id = app_tenant() AND msp_id = app_msp()));
CREATE POLICY client_directory_insert ON client_directory FOR INSERT
    WITH CHECK (msp_id = app_tenant() AND msp_id = app_msp());
CREATE POLICY client_directory_delete ON client_directory FOR DELETE
    USING (msp_id = app_tenant() AND msp_id = app_msp());

-- Client-owned rows: the client reads and writes its own, in its MSP; the MSP reads them all.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['servers', 'users', 'catalogs', 'apps', 'branding', 'branding_assets',
                             'domain_claims', 'portal_credentials', 'portal_invitations',
                             'portal_sessions', 'quota_locks']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (msp_id = app_msp() AND (tenant_id = app_tenant() OR msp_id = app_tenant()))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (msp_id = app_msp() AND tenant_id = app_tenant() AND tenant_id <> msp_id)', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (msp_id = app_msp() AND tenant_id = app_tenant() AND tenant_id <> msp_id) WITH CHECK (msp_id = app_msp() AND tenant_id = app_tenant() AND tenant_id <> msp_id)', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (msp_id = app_msp() AND tenant_id = app_tenant())', t || '_delete', t);
    END LOOP;
    -- Written by MSP and client tenants alike, each in its own name.
    FOREACH t IN ARRAY ARRAY['idempotency_keys', 'audit_log']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (msp_id = app_msp() AND (tenant_id = app_tenant() OR msp_id = app_tenant()))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (msp_id = app_msp() AND tenant_id = app_tenant())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (msp_id = app_msp() AND tenant_id = app_tenant()) WITH CHECK (msp_id = app_msp() AND tenant_id = app_tenant())', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (msp_id = app_msp() AND tenant_id = app_tenant())', t || '_delete', t);
    END LOOP;
END
$$;

-- Domains: one global namespace. Every tenant sees which are taken (the server never shows
-- another tenant's id); a custom-domain request sees the row of its Host; a client takes and
-- releases its own; the MSP releases its clients' (when it deletes one).
CREATE POLICY verified_domains_read ON verified_domains FOR SELECT
    USING (app_tenant() IS NOT NULL OR domain = NULLIF(current_setting('app.portal_host', true), ''));
CREATE POLICY verified_domains_insert ON verified_domains FOR INSERT
    WITH CHECK (msp_id = app_msp() AND tenant_id = app_tenant() AND tenant_id <> msp_id);
CREATE POLICY verified_domains_delete ON verified_domains FOR DELETE
    USING (msp_id = app_msp() AND (tenant_id = app_tenant() OR msp_id = app_tenant()));

-- The change feed: the MSP's head row serves its clients' transactions too (they learn a
-- number, nothing else); the MSP reads its whole feed, a client writes and reads its own rows.
CREATE POLICY feed_heads_read ON feed_heads FOR SELECT USING (tenant_id = app_msp());
CREATE POLICY feed_heads_insert ON feed_heads FOR INSERT WITH CHECK (tenant_id = app_msp());
CREATE POLICY feed_heads_update ON feed_heads FOR UPDATE
    USING (tenant_id = app_msp()) WITH CHECK (tenant_id = app_msp());
CREATE POLICY changes_read ON changes FOR SELECT
    USING (msp_id = app_msp() AND (msp_id = app_tenant() OR tenant_id = app_tenant()));
CREATE POLICY changes_insert ON changes FOR INSERT
    WITH CHECK (msp_id = app_msp() AND (msp_id = app_tenant() OR tenant_id = app_tenant()));
CREATE POLICY changes_update ON changes FOR UPDATE
    USING (msp_id = app_msp() AND (msp_id = app_tenant() OR tenant_id = app_tenant()))
    WITH CHECK (msp_id = app_msp() AND (msp_id = app_tenant() OR tenant_id = app_tenant()));
CREATE POLICY changes_delete ON changes FOR DELETE
    USING (msp_id = app_tenant() AND msp_id = app_msp());

-- A revocation is written in any tenant's deleting transaction, for the subjects it deleted.
CREATE POLICY revoked_subjects_insert ON revoked_subjects FOR INSERT
    WITH CHECK (app_tenant() IS NOT NULL);

-- ---------------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['providers', 'operators', 'operator_emails', 'plans', 'prices',
                             'fx_rates', 'clients', 'client_directory', 'servers', 'users',
                             'catalogs', 'apps', 'branding', 'branding_assets', 'domain_claims',
                             'verified_domains', 'portal_credentials', 'portal_invitations',
                             'portal_sessions', 'idempotency_keys', 'audit_log', 'feed_heads',
                             'changes', 'quota_locks']
    LOOP
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    END LOOP;
END
$$;
