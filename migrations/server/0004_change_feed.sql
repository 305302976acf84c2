-- The change feed (GET /changes): one row per resource of an MSP, holding its latest change
-- (coalesced), numbered by a per-MSP sequence that is assigned in commit order.
--
-- Writers stamp at the very end of their transaction (crates/server db.rs, TenantTx::commit):
-- they bump their MSP's head row (UPDATE ... RETURNING seq, whose row lock is held until
-- COMMIT), then upsert their change rows with the numbers they got. Two writers of one MSP
-- therefore get their numbers in the order they commit, so a reader that has seen number n
-- has also seen every committed number below n.

-- The MSP of the current request's tenant: the tenant itself for an MSP, the client's MSP for
-- a client (read through the client's own row, which RLS lets it see). Derived only from
-- app.tenant_id, never from a parameter.
CREATE FUNCTION app_msp() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT c.tenant_id FROM clients c WHERE c.id = app_tenant()), app_tenant()) $$;

-- Per MSP (tenant_id is the MSP): the last number handed out, and the horizon, the highest
-- number of a purged tombstone (a cursor below it has missed a delete: 410).
CREATE TABLE feed_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES providers (id),
    seq        bigint NOT NULL DEFAULT 0,
    horizon    bigint NOT NULL DEFAULT 0
);

-- tenant_id: the tenant the resource belongs to (the client for a client's resources, the MSP
-- for its plans, prices and exchange rates); client_id: the same, NULL for the MSP's own.
CREATE TABLE changes (
    msp_id      uuid NOT NULL REFERENCES providers (id),
    tenant_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('client', 'server', 'user', 'catalog', 'branding', 'app', 'plan', 'price', 'fx')),
    id          text NOT NULL,
    client_id   uuid,
    op          text NOT NULL CHECK (op IN ('upsert', 'delete')),
    seq         bigint NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (msp_id, kind, id)
);
-- The page query: WHERE msp_id = $1 AND seq > $2 ORDER BY seq LIMIT $3.
CREATE UNIQUE INDEX changes_msp_seq ON changes (msp_id, seq);
-- The purge of old tombstones.
CREATE INDEX changes_tombstones ON changes (msp_id, changed_at) WHERE op = 'delete';

GRANT SELECT, INSERT, UPDATE ON feed_heads TO mspdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON changes TO mspdesk_app;

-- A client's transaction stamps its MSP's head, so both the MSP and its clients may use the
-- MSP's head row (a client learns nothing from it but a number).
ALTER TABLE feed_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE feed_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY feed_heads_read ON feed_heads FOR SELECT USING (tenant_id = app_msp());
CREATE POLICY feed_heads_insert ON feed_heads FOR INSERT WITH CHECK (tenant_id = app_msp());
CREATE POLICY feed_heads_update ON feed_heads FOR UPDATE USING (tenant_id = app_msp()) WITH CHECK (tenant_id = app_msp());

-- The MSP reads and writes its whole feed; a client only the rows of its own resources (the
-- ones its transactions write), in its MSP's feed.
ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE changes FORCE ROW LEVEL SECURITY;
CREATE POLICY changes_read ON changes FOR SELECT
    USING (msp_id = app_tenant() OR (tenant_id = app_tenant() AND msp_id = app_msp()));
CREATE POLICY changes_insert ON changes FOR INSERT
    WITH CHECK (msp_id = app_tenant() OR (tenant_id = app_tenant() AND msp_id = app_msp()));
CREATE POLICY changes_update ON changes FOR UPDATE
    USING (msp_id = app_tenant() OR (tenant_id = app_tenant() AND msp_id = app_msp()))
    WITH CHECK (msp_id = app_tenant() OR (tenant_id = app_tenant() AND msp_id = app_msp()));
CREATE POLICY changes_delete ON changes FOR DELETE USING (msp_id = app_tenant());

-- Backfill: every existing resource as an upsert, so that a snapshot of an existing database
-- is complete. The migration runs as the owner, which forced RLS would restrict like anyone
-- else (no tenant set: no rows); RLS is unforced for the backfill and forced again below, in
-- this migration's transaction.
ALTER TABLE providers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE clients NO FORCE ROW LEVEL SECURITY;
ALTER TABLE servers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE apps NO FORCE ROW LEVEL SECURITY;
ALTER TABLE plans NO FORCE ROW LEVEL SECURITY;
ALTER TABLE prices NO FORCE ROW LEVEL SECURITY;
ALTER TABLE changes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE feed_heads NO FORCE ROW LEVEL SECURITY;

INSERT INTO changes (msp_id, tenant_id, kind, id, client_id, op, seq)
SELECT msp_id, tenant_id, kind, id, client_id, 'upsert',
       row_number() OVER (PARTITION BY msp_id ORDER BY ord, id)
FROM (
    SELECT c.tenant_id AS msp_id, c.id AS tenant_id, 'client' AS kind, c.id::text AS id, c.id AS client_id, 1 AS ord
      FROM clients c
    UNION ALL
    SELECT c.tenant_id, c.id, 'catalog', c.id::text, c.id, 2 FROM clients c
    UNION ALL
    SELECT c.tenant_id, c.id, 'branding', c.id::text, c.id, 3 FROM clients c
    UNION ALL
    SELECT c.tenant_id, c.id, 'server', s.id::text, c.id, 4 FROM servers s JOIN clients c ON c.id = s.tenant_id
    UNION ALL
    SELECT c.tenant_id, c.id, 'user', u.id::text, c.id, 5 FROM users u JOIN clients c ON c.id = u.tenant_id
    UNION ALL
    SELECT c.tenant_id, c.id, 'app', a.id::text, c.id, 6 FROM apps a JOIN clients c ON c.id = a.tenant_id
    UNION ALL
    SELECT p.tenant_id, p.tenant_id, 'plan', p.id::text, NULL, 7 FROM plans p
    UNION ALL
    SELECT p.tenant_id, p.tenant_id, 'price', p.provider || '/' || p.server_type, NULL, 8 FROM prices p
    UNION ALL
    SELECT p.id, p.id, 'fx', 'fx', NULL, 9 FROM providers p
) existing;

INSERT INTO feed_heads (tenant_id, seq)
SELECT p.id, coalesce((SELECT max(ch.seq) FROM changes ch WHERE ch.msp_id = p.id), 0)
FROM providers p;

ALTER TABLE providers FORCE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
ALTER TABLE servers FORCE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE apps FORCE ROW LEVEL SECURITY;
ALTER TABLE plans FORCE ROW LEVEL SECURITY;
ALTER TABLE prices FORCE ROW LEVEL SECURITY;
ALTER TABLE changes FORCE ROW LEVEL SECURITY;
ALTER TABLE feed_heads FORCE ROW LEVEL SECURITY;
