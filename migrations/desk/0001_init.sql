-- The desktop's local store. It mirrors what was last synced, keeps drafts made offline (each
-- with the version it was based on) and an outbox of pending creates. Tokens are never here:
-- they live in the OS keyring.

-- The signed-in Control Panel (one per store).
CREATE TABLE account (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    server        TEXT NOT NULL,
    email         TEXT NOT NULL,
    msp_tenant    TEXT NOT NULL,
    last_sync_at  TEXT
);

-- Last synced copies of server resources, as the API returned them (JSON).
-- kind: client | plan | price | fx | server | user | catalog | branding
-- tenant: the MSP for client/plan/price/fx, the client for its own resources.
CREATE TABLE mirror (
    kind       TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL,
    version    INTEGER,
    synced_at  TEXT NOT NULL,
    PRIMARY KEY (kind, tenant, id)
);

-- Changes made on this desk, not yet accepted by the server.
-- kind: branding | quotas | catalog; tenant: the client.
CREATE TABLE drafts (
    kind          TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    body          TEXT NOT NULL,
    base_version  INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (kind, tenant)
);

-- Creates waiting to be sent; the idempotency key stays with the entry so a retry after a
-- lost response never creates twice.
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    tenant           TEXT NOT NULL,
    body             TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT
);

-- A draft the server refused because the resource changed meanwhile: both sides are kept
-- until the user decides.
CREATE TABLE conflicts (
    kind            TEXT NOT NULL,
    tenant          TEXT NOT NULL,
    draft           TEXT NOT NULL,
    server          TEXT NOT NULL,
    server_version  INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (kind, tenant)
);
