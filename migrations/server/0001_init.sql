-- Control Panel schema. Every table holding tenant data has a tenant_id column, row-level
-- security enabled AND forced, and policies keyed on app_tenant(): the tenant of the current
-- request, set per transaction with set_config('app.tenant_id', ..., true). Requests run as the
-- role mspdesk_app, which owns nothing and cannot bypass RLS. When no tenant is set,
-- app_tenant() is NULL and every policy matches no rows.
--
-- Hierarchy: an MSP is a provider tenant; each of its clients is a child tenant whose id is the
-- client's id. An MSP sees its clients' rows (for lists, usage and billing); a client sees its
-- own rows, and reads its MSP's plans and prices. Writes always target the current tenant.

DO $$
BEGIN
    CREATE ROLE mspdesk_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
EXCEPTION
    -- The role is cluster-wide: another database of the cluster may have created it.
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- Let the owner role (which runs migrations and the server) switch to the app role.
DO $$
BEGIN
    EXECUTE format('GRANT mspdesk_app TO %I', current_user);
EXCEPTION
    WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO mspdesk_app;

CREATE FUNCTION app_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

-- The MSP (provider) tenants.
CREATE TABLE providers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operators (
    tenant_id     uuid NOT NULL REFERENCES providers (id),
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX operators_email ON operators (lower(email));
CREATE INDEX operators_tenant ON operators (tenant_id);

CREATE TABLE plans (
    tenant_id            uuid NOT NULL REFERENCES providers (id),
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL,
    license_fee          numeric(12, 2) NOT NULL CHECK (license_fee >= 0),
    currency             text NOT NULL,
    max_servers          integer CHECK (max_servers >= 0),
    max_users            integer CHECK (max_users >= 0),
    max_apps_per_server  integer CHECK (max_apps_per_server >= 0),
    storage_quota_gb     integer CHECK (storage_quota_gb >= 0),
    UNIQUE (tenant_id, name)
);

CREATE TABLE prices (
    tenant_id    uuid NOT NULL REFERENCES providers (id),
    provider     text NOT NULL CHECK (provider IN ('hetzner', 'digitalocean')),
    server_type  text NOT NULL,
    description  text NOT NULL DEFAULT '',
    hourly       numeric(14, 6) NOT NULL CHECK (hourly >= 0),
    monthly      numeric(14, 4) NOT NULL CHECK (monthly >= 0),
    currency     text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, provider, server_type)
);

-- Deleting a client cascades to its users, catalog and branding (referential actions bypass
-- RLS); servers restrict it, so a client with servers, even deleted ones kept for billing
-- history, cannot be deleted.
-- A client: tenant_id is its MSP, id is the client's own tenant id.
CREATE TABLE clients (
    tenant_id            uuid NOT NULL REFERENCES providers (id),
    id                   uuid PRIMARY KEY,
    company_name         text NOT NULL,
    contact_email        text NOT NULL,
    plan_id              uuid NOT NULL REFERENCES plans (id),
    max_servers          integer CHECK (max_servers >= 0),
    max_users            integer CHECK (max_users >= 0),
    max_apps_per_server  integer CHECK (max_apps_per_server >= 0),
    storage_quota_gb     integer CHECK (storage_quota_gb >= 0),
    version              bigint NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_tenant_name ON clients (tenant_id, lower(company_name), id);

CREATE TABLE servers (
    tenant_id    uuid NOT NULL REFERENCES clients (id),
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    provider     text NOT NULL CHECK (provider IN ('hetzner', 'digitalocean', 'other')),
    server_type  text NOT NULL,
    storage_gb   integer NOT NULL CHECK (storage_gb >= 0),
    region       text,
    hourly       numeric(14, 6) NOT NULL,
    monthly      numeric(14, 4) NOT NULL,
    currency     text NOT NULL,
    created_at   timestamptz NOT NULL,
    deleted_at   timestamptz,
    CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
CREATE INDEX servers_tenant ON servers (tenant_id, created_at, id);

CREATE TABLE users (
    tenant_id   uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    id          uuid PRIMARY KEY,
    email       text NOT NULL,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email));

-- The template library: global, read-only for requests.
CREATE TABLE templates (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    category     text NOT NULL,
    description  text NOT NULL,
    size_mb      integer NOT NULL
);

CREATE TABLE catalogs (
    tenant_id   uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    mode        text NOT NULL DEFAULT 'all' CHECK (mode IN ('all', 'custom')),
    enabled     text[] NOT NULL DEFAULT '{}',
    version     bigint NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE apps (
    tenant_id    uuid NOT NULL REFERENCES clients (id),
    id           uuid PRIMARY KEY,
    server_id    uuid NOT NULL REFERENCES servers (id),
    template_id  text NOT NULL REFERENCES templates (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_tenant_server ON apps (tenant_id, server_id);

CREATE TABLE branding (
    tenant_id        uuid PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    company_name     text,
    logo_url         text,
    favicon_url      text,
    primary_color    text,
    secondary_color  text,
    accent_color     text,
    custom_domain    text,
    custom_css       text,
    version          bigint NOT NULL DEFAULT 1,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Unique across all tenants: two clients cannot claim one domain.
CREATE UNIQUE INDEX branding_custom_domain ON branding (custom_domain) WHERE custom_domain IS NOT NULL;

CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    body          jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE audit_log (
    tenant_id    uuid NOT NULL,
    id           uuid PRIMARY KEY,
    actor_id     uuid NOT NULL,
    action       text NOT NULL,
    target_type  text NOT NULL,
    target_id    text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_tenant ON audit_log (tenant_id, id DESC);

-- Signing keys are not tenant data: the server reads them as the owner role, never as the app
-- role, which has no grant on this table.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY,
    private_der  bytea NOT NULL,
    public_raw   bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Grants: the app role reads and writes tenant tables (RLS decides which rows).
GRANT SELECT ON templates TO mspdesk_app;
-- INSERT on the provider tables is for provisioning (control-panel create-admin), which also
-- runs as the app role, in the new provider's tenant.
GRANT SELECT, INSERT ON providers, operators, plans, prices TO mspdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON clients, servers, users, catalogs, apps, branding, idempotency_keys TO mspdesk_app;
GRANT SELECT, INSERT ON audit_log TO mspdesk_app;

-- Row-level security.
ALTER TABLE providers ENABLE ROW LEVEL SECURITY;
ALTER TABLE providers FORCE ROW LEVEL SECURITY;
CREATE POLICY providers_read ON providers FOR SELECT
    USING (id = app_tenant() OR id IN (SELECT c.tenant_id FROM clients c WHERE c.id = app_tenant()));
CREATE POLICY providers_insert ON providers FOR INSERT WITH CHECK (id = app_tenant());

-- Operators: the current tenant's, or the one whose e-mail a login is checking.
ALTER TABLE operators ENABLE ROW LEVEL SECURITY;
ALTER TABLE operators FORCE ROW LEVEL SECURITY;
CREATE POLICY operators_read ON operators FOR SELECT
    USING (tenant_id = app_tenant()
           OR lower(email) = lower(NULLIF(current_setting('app.login_email', true), '')));
CREATE POLICY operators_insert ON operators FOR INSERT WITH CHECK (tenant_id = app_tenant());

-- Plans and prices: the MSP's own; a client reads its MSP's.
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE plans FORCE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON plans FOR SELECT
    USING (tenant_id = app_tenant() OR tenant_id IN (SELECT c.tenant_id FROM clients c WHERE c.id = app_tenant()));
CREATE POLICY plans_insert ON plans FOR INSERT WITH CHECK (tenant_id = app_tenant());

ALTER TABLE prices ENABLE ROW LEVEL SECURITY;
ALTER TABLE prices FORCE ROW LEVEL SECURITY;
CREATE POLICY prices_read ON prices FOR SELECT
    USING (tenant_id = app_tenant() OR tenant_id IN (SELECT c.tenant_id FROM clients c WHERE c.id = app_tenant()));
CREATE POLICY prices_insert ON prices FOR INSERT WITH CHECK (tenant_id = app_tenant());

-- Clients: the MSP reads and writes its clients; a client reads its own record.
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE POLICY clients_read ON clients FOR SELECT USING (tenant_id = app_tenant() OR id = app_tenant());
CREATE POLICY clients_insert ON clients FOR INSERT WITH CHECK (tenant_id = app_tenant());
CREATE POLICY clients_update ON clients FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant());
CREATE POLICY clients_delete ON clients FOR DELETE USING (tenant_id = app_tenant());

-- Client-owned tables: the client reads and writes its rows; its MSP reads them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['servers', 'users', 'catalogs', 'apps', 'branding', 'idempotency_keys', 'audit_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (tenant_id = app_tenant() OR tenant_id IN (SELECT c.id FROM clients c WHERE c.tenant_id = app_tenant()))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (tenant_id = app_tenant())', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (tenant_id = app_tenant()) WITH CHECK (tenant_id = app_tenant())', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (tenant_id = app_tenant())', t || '_delete', t);
    END LOOP;
END
$$;
