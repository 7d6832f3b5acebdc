-- Hand-off to the disclosing organisations. `organisation` is the configured id of the
-- organisation that discloses the request's records (known once its service provider is),
-- so a pick-up finds its queue without decrypting anything. The id names an organisation,
-- never a person.
ALTER TABLE requests ADD COLUMN organisation TEXT;
CREATE INDEX requests_queue ON requests(state, organisation, id);
