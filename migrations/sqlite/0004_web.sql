-- The web interface's people and their sessions. A user name identifies a member of staff
-- (a clerk, City staff, an administrator), never a citizen; passwords are argon2id PHC
-- strings. A session is found by the keyed hash of its cookie, so a copy of this table
-- cannot be replayed as a cookie.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    organisation TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE web_sessions (
    token_hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

-- The dashboard: the oldest request of each queue, and requests received and queued per
-- day.
CREATE INDEX requests_state_received ON requests(state, received_at, id);
CREATE INDEX audit_events_action ON audit_events(action, at);
-- The exception queue is read a page at a time by due date, filtered by reason, and counted
-- per reason: all from this index alone, but for the page's own rows.
CREATE INDEX requests_review ON requests(state, due_at, id, review_reasons, clerk_reasons);
