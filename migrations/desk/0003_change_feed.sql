-- Sync through the Control Panel's change feed: the cursor of the last applied page, and
-- generations for taking a fresh snapshot without emptying the mirror first (rows not seen
-- again by the time the snapshot completes are removed then).
ALTER TABLE account ADD COLUMN feed_cursor TEXT;
ALTER TABLE account ADD COLUMN mirror_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account ADD COLUMN snapshot_gen INTEGER;
ALTER TABLE mirror ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
CREATE INDEX mirror_tenant ON mirror (tenant);

-- The client list is derived from the client records now.
DELETE FROM mirror WHERE kind = 'client_summary';
