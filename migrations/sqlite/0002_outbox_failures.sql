-- Sending attempts: a transient failure (4xx, connection) waits and is tried again; a
-- permanent one (5xx) parks the reply for the clerks. Only the SMTP code and the kind of
-- failure are kept: servers' texts often repeat the recipient's address.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN failed_at INTEGER;
ALTER TABLE outbox ADD COLUMN failure TEXT;
