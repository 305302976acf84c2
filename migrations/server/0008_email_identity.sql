-- One identity per e-mail address. Accounts were found with PostgreSQL's lower() while the
-- sign-in throttle keyed them with Rust's lower-casing; the two disagree on letters such as
-- "İ", so an address could be spelled several ways, each with its own throttle. Now every
-- account carries `email_key`, the address with ASCII letters lower-cased (the domain is lower
-- case already): Rust computes it (`Email::key`), `lower(x COLLATE "C")` is the same rule here,
-- and accounts are looked up, kept unique and throttled by it alone.

-- The backfills run as the owner, whom forced row-level security would show no rows.
ALTER TABLE operators NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;

ALTER TABLE operators ADD COLUMN email_key text;
UPDATE operators SET email_key = lower(email COLLATE "C");
ALTER TABLE operators ALTER COLUMN email_key SET NOT NULL;
DROP INDEX operators_email;
CREATE UNIQUE INDEX operators_tenant_email ON operators (tenant_id, email_key);

-- Which MSP an operator's e-mail signs in to: global, unique across MSPs (a reference table
-- when distributed). Read by a sign-in through `app.login_email` (the key), or by the MSP;
-- written in the operator's own tenant.
CREATE TABLE operator_emails (
    email_key    text PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    operator_id  uuid NOT NULL
);
INSERT INTO operator_emails (email_key, tenant_id, operator_id)
    SELECT email_key, tenant_id, id FROM operators;
GRANT SELECT, INSERT, DELETE ON operator_emails TO mspdesk_app;
ALTER TABLE operator_emails ENABLE ROW LEVEL SECURITY;
ALTER TABLE operator_emails FORCE ROW LEVEL SECURITY;
ALTER TABLE operators FORCE ROW LEVEL SECURITY;
CREATE POLICY operator_emails_read ON operator_emails FOR SELECT
    USING (tenant_id = app_tenant()
           OR email_key = NULLIF(current_setting('app.login_email', true), ''));
CREATE POLICY operator_emails_insert ON operator_emails FOR INSERT
    WITH CHECK (tenant_id = app_tenant());
CREATE POLICY operator_emails_delete ON operator_emails FOR DELETE
    USING (tenant_id = app_tenant());

DROP POLICY operators_read ON operators;
CREATE POLICY operators_read ON operators FOR SELECT
    USING (tenant_id = app_tenant()
           OR email_key = NULLIF(current_setting('app.login_email', true), ''));

-- A client's users: unique per client by key.
ALTER TABLE users ADD COLUMN email_key text;
UPDATE users SET email_key = lower(email COLLATE "C");
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
DROP INDEX users_tenant_email;
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email_key);
ALTER TABLE users FORCE ROW LEVEL SECURITY;
