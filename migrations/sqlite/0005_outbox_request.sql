-- A request's replies, found without reading the whole outbox: numbering a follow-up's
-- reply, and counting the replies one address got today (the reply limit).
CREATE INDEX outbox_request ON outbox(request_id, sent_at);
