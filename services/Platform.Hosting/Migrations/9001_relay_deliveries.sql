-- Platform migrations after 0001 are numbered from 9001 up. Every service schema applies the platform's files
-- together with its own (0002 and up, see Migration.ForService), so the platform takes the top of the range and
-- the two can never collide; the runner applies whatever version a schema lacks, so a service migration added
-- later below 9001 still runs on a schema that already has 9001.

-- Delivery state per (event, target): each subscriber has its own attempts, backoff, lease and dead letter, so
-- one subscriber down or slow never holds back another. The outbox row keeps a summary of its deliveries.
ALTER TABLE outbox ADD COLUMN fanned_out_at timestamptz;

CREATE TABLE outbox_delivery (
  tenant_id        text        NOT NULL,
  event_id         uuid        NOT NULL,
  target           text        NOT NULL,
  topic            text        NOT NULL,
  attempts         int         NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  -- A claim is a lease: a relay that dies mid-delivery leaves the row to another relay when it ends.
  claimed_until    timestamptz,
  last_error       text,
  delivered_at     timestamptz,
  dead_at          timestamptz,
  PRIMARY KEY (tenant_id, event_id, target),
  FOREIGN KEY (tenant_id, event_id) REFERENCES outbox ON DELETE CASCADE
);
CREATE INDEX outbox_delivery_due ON outbox_delivery (target, next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
SELECT enable_tenant_rls('outbox_delivery');

-- Events already on their way keep the targets they still owed; finished ones are not fanned out again.
UPDATE outbox SET fanned_out_at = coalesce(delivered_at, dead_lettered_at)
WHERE delivered_at IS NOT NULL OR dead_lettered_at IS NOT NULL;
INSERT INTO outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, last_error)
SELECT o.tenant_id, o.event_id, t.target, o.topic, o.attempts, o.next_attempt_at, o.last_error
FROM outbox o, unnest(o.pending_targets) AS t(target)
WHERE o.delivered_at IS NULL AND o.dead_lettered_at IS NULL AND o.pending_targets IS NOT NULL;
UPDATE outbox SET fanned_out_at = created_at
WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND pending_targets IS NOT NULL;
-- Dead letters become dead deliveries, so they can be replayed.
INSERT INTO outbox_delivery (tenant_id, event_id, target, topic, attempts, next_attempt_at, last_error, dead_at)
SELECT d.tenant_id, d.event_id, d.target, d.topic, d.attempts, d.dead_at, d.last_error, d.dead_at
FROM dead_letter d JOIN outbox o ON o.tenant_id = d.tenant_id AND o.event_id = d.event_id
ON CONFLICT DO NOTHING;

DROP INDEX outbox_due;
CREATE INDEX outbox_unfanned ON outbox (created_at) WHERE fanned_out_at IS NULL;

-- Replays of dead letters, audited: who, when, why, which delivery.
ALTER TABLE dead_letter ADD COLUMN replayed_at timestamptz;
CREATE TABLE dead_letter_replay (
  tenant_id    text        NOT NULL,
  replay_id    bigint      GENERATED ALWAYS AS IDENTITY,
  event_id     uuid        NOT NULL,
  target       text        NOT NULL,
  topic        text        NOT NULL,
  replayed_by  text        NOT NULL,
  reason       text        NOT NULL,
  replayed_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, replay_id)
);
SELECT enable_tenant_rls('dead_letter_replay');

-- The retention pruner deletes by age in batches; each table has an index on the age it is pruned by.
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX outbox_dead_lettered ON outbox (dead_lettered_at) WHERE dead_lettered_at IS NOT NULL;
CREATE INDEX dead_letter_age ON dead_letter ((coalesce(replayed_at, dead_at)));
CREATE INDEX dead_letter_replay_age ON dead_letter_replay (replayed_at);
CREATE INDEX inbox_received ON inbox (received_at);
CREATE INDEX request_log_created ON request_log (created_at);
