-- Dead letters from Dapr: each subscribing app records what Dapr put on its dead-letter topic in its own
-- dead_letter table, next to the relay's, so one listing shows both transports. The relay's rows have an outbox
-- delivery to reset on replay; Dapr's have none (the subscriber is the target, the publisher is elsewhere), so each
-- row says where it came from.
ALTER TABLE dead_letter ADD COLUMN source text NOT NULL DEFAULT 'relay' CHECK (source IN ('relay', 'dapr'));

-- A replay of a Dapr dead letter cannot reset an outbox delivery: it marks the row due (redrive_at), and the
-- subscribing service applies the stored event through the same handler (its inbox keeps it to once).
ALTER TABLE dead_letter ADD COLUMN redrive_at timestamptz;
CREATE INDEX dead_letter_redrive ON dead_letter (target, redrive_at) WHERE redrive_at IS NOT NULL;
