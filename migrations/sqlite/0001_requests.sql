-- The request store. Personal data is only ever in sealed_* columns (OpenPGP, see
-- src/crypto); look-ups use keyed hashes (*_hash, *_key). Times are Unix seconds (UTC).

CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    personal_id_hash BLOB,
    sender_hash BLOB,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    -- When the clock stopped to wait for the citizen; NULL while it runs.
    paused_at INTEGER,
    extension TEXT,
    closed_at INTEGER,
    purged_at INTEGER,
    -- Why a clerk must look, beyond the parse's own reasons (names, comma-separated:
    -- possible_duplicate, follow_up_from_other_sender, follow_up_to_closed_request).
    clerk_reasons TEXT NOT NULL DEFAULT '',
    linked_to INTEGER REFERENCES requests(id),
    sealed_request BLOB
);
CREATE INDEX requests_state ON requests(state);
CREATE INDEX requests_personal_id ON requests(personal_id_hash);
CREATE INDEX requests_sender ON requests(sender_hash);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    content_key BLOB NOT NULL UNIQUE,
    mailbox_key BLOB UNIQUE,
    received_at INTEGER NOT NULL,
    sealed_message BLOB
);
CREATE INDEX messages_request ON messages(request_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests(id),
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    -- A sender working on it until then (several daemons share the outbox).
    claimed_until INTEGER,
    sealed_reply BLOB
);
CREATE INDEX outbox_unsent ON outbox(sent_at);

CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    next INTEGER NOT NULL
);

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    reference TEXT,
    detail TEXT NOT NULL,
    hash BLOB NOT NULL
);

-- One row: the chain's last sequence number and hash. Every append updates it first, which
-- serialises appends across connections and daemons.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');
