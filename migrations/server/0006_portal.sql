-- The client portal (crates/server src/portal): a client's users set a password through a
-- one-time invitation link and sign in to a server-side session. Tokens (invitation links,
-- session cookies) are 32 random bytes; only their SHA-256 is stored.

-- Sessions and invitations name their user together with its tenant, so a row can never pair
-- one client's user with another client's tenant.
ALTER TABLE users ADD CONSTRAINT users_tenant_user UNIQUE (tenant_id, id);

-- A user's password (an argon2id PHC string), once set. A user with a row here is "active".
CREATE TABLE portal_credentials (
    tenant_id      uuid NOT NULL,
    user_id        uuid PRIMARY KEY,
    password_hash  text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Invitation links: valid until expires_at, once (used_at). A new invitation replaces the
-- user's earlier ones.
CREATE TABLE portal_invitations (
    tenant_id   uuid NOT NULL,
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_invitations_user ON portal_invitations (tenant_id, user_id);

-- Signed-in sessions: the cookie holds the token; each session has its own CSRF token for the
-- forms of signed-in pages. A session ends at expires_at (absolute), after an idle period
-- (last_seen_at; the length is the server's), at sign-out, and with its user (the cascade).
CREATE TABLE portal_sessions (
    tenant_id     uuid NOT NULL,
    token_hash    bytea PRIMARY KEY,
    user_id       uuid NOT NULL,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX portal_sessions_user ON portal_sessions (tenant_id, user_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON portal_credentials, portal_invitations, portal_sessions TO mspdesk_app;

-- Client-owned rows, as everywhere: the client reads and writes its own; its MSP reads them
-- (it shows each user's state: invited, active).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portal_credentials', 'portal_invitations', 'portal_sessions']
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

-- Failed sign-ins, counted per scope and key (an account, an address) in fixed windows, so the
-- limit holds across every server instance. Not tenant data: the server reads and writes it as
-- the owner role, before any tenant is known; the app role has no grant. Keys are stored as
-- their SHA-256 (no e-mail addresses or IP addresses at rest here).
CREATE TABLE throttle (
    scope        text NOT NULL,
    key_hash     bytea NOT NULL,
    failures     integer NOT NULL,
    window_ends  timestamptz NOT NULL,
    PRIMARY KEY (scope, key_hash)
);
CREATE INDEX throttle_window_ends ON throttle (window_ends);

-- Which client a custom domain serves, asked before any tenant is known (the portal's `GET /`
-- with that domain as Host): the request names the host it is asking about in
-- `app.portal_host`, for its transaction only, and sees that one row at most (like
-- `app.login_email` for operators' sign-in).
CREATE POLICY verified_domains_host ON verified_domains FOR SELECT
    USING (domain = NULLIF(current_setting('app.portal_host', true), ''));
