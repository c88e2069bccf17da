-- A keyed hash of the number each SMS went to, so a reply ("TD" to unsubscribe) can be traced to the residents who
-- were written to at that number without notification keeping phone numbers.
ALTER TABLE messages ADD COLUMN address_hash bytea;
CREATE INDEX messages_by_address ON messages (address_hash) WHERE address_hash IS NOT NULL;
