-- Sign-in throttling per account *and* address, with growing waits: five wrong passwords from
-- anywhere used to lock an account for everyone for 15 minutes, renewable for ever. Now an
-- account is counted per address (the rightful user elsewhere is not held up), each address
-- waits longer with every further failure, and an owner can clear an account's waits, which
-- rows carry the account's hash for. The old per-account counts go.
ALTER TABLE throttle ADD COLUMN blocked_until timestamptz;
ALTER TABLE throttle ADD COLUMN account_hash bytea;
CREATE INDEX throttle_account ON throttle (scope, account_hash) WHERE account_hash IS NOT NULL;
DELETE FROM throttle WHERE scope IN ('portal-account', 'operator-account');
