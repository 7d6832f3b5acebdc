-- The daemon's parts that are failing now (the mailbox, sending, the store): since when and
-- the kind of failure, for `datareq status` and a web interface run as a process of its own.
-- A part that works has no row.
CREATE TABLE health (
    part TEXT PRIMARY KEY,
    failing_since BIGINT NOT NULL,
    reason TEXT NOT NULL
);
