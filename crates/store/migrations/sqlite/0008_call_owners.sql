-- One owner per call: the instance that took it from the carrier. A write
-- names the version it read (compare-and-set), so a stale owner cannot
-- overwrite a newer state; instances hold a lease they renew, and the
-- live calls of an instance whose lease ran out are ended by another.
ALTER TABLE calls ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
CREATE INDEX calls_live_by_owner ON calls (owner) WHERE status != 'ended';
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    lease_until INTEGER NOT NULL
);
