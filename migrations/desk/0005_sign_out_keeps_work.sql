-- A sign-out may keep unsent work (drafts, queued creates, conflicts, notices) for the next
-- sign-in to the same account and server: the account row stays, marked signed out, and the
-- desk opens only when it is signed in.
ALTER TABLE account ADD COLUMN signed_in INTEGER NOT NULL DEFAULT 1 CHECK (signed_in IN (0, 1));
