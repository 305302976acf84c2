-- Which tenants the keyring holds a token for (names only: the tokens stay in the keyring), so
-- sign-out deletes every one, including tokens of clients deleted since.
CREATE TABLE keyring_entries (
    tenant  TEXT PRIMARY KEY
);

-- What the user should see once: e.g. a draft whose client was deleted on the server, kept
-- with its body so nothing is lost.
CREATE TABLE notices (
    id            TEXT PRIMARY KEY,
    client        TEXT NOT NULL,
    company_name  TEXT NOT NULL,
    draft_kind    TEXT,
    message       TEXT NOT NULL,
    body          TEXT,
    created_at    TEXT NOT NULL
);
