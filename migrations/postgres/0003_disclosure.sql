-- Hand-off to the disclosing organisations. `organisation` is the configured id of the
-- organisation that discloses the request's records (known once its service provider is),
-- so a pick-up finds its queue without decrypting anything. The id names an organisation,
-- never a person.
ALTER TABLE requests ADD COLUMN organisation TEXT;
CREATE INDEX requests_queue ON requests(state, organisation, id);
-- Why a request waits for a clerk, as the parse found it (names, comma-separated, like
-- clerk_reasons): the exception queue lists them without decrypting anything. The audit
-- trail has always recorded the same names.
ALTER TABLE requests ADD COLUMN review_reasons TEXT NOT NULL DEFAULT '';
-- When the daemon last read the mailbox successfully (`datareq status` shows it; one row).
CREATE TABLE mailbox_checks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT NOT NULL
);
