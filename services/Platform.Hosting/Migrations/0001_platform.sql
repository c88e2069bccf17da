-- Shared by every service schema (the migrator runs it with search_path set to that schema): tenant row-level
-- security helper, idempotent request log, outbox, inbox, dead letters and the audit of city-scope reads.

-- Every tenant table calls this. Reads pass for the row's tenant, for audited city scope and for the system
-- (outbox relay); writes pass only for the row's tenant and the system, so city scope stays read-only.
CREATE FUNCTION enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_read ON %s FOR SELECT USING (
      tenant_id = current_setting('medins.tenant_id', true)
      OR current_setting('medins.scope', true) IN ('city', 'system'))$p$, tbl);
  EXECUTE format($p$CREATE POLICY tenant_write ON %s FOR ALL USING (
      tenant_id = current_setting('medins.tenant_id', true)
      OR current_setting('medins.scope', true) = 'system')
    WITH CHECK (
      tenant_id = current_setting('medins.tenant_id', true)
      OR current_setting('medins.scope', true) = 'system')$p$, tbl);
END $$;

-- Replays of a client request id return the stored first answer.
CREATE TABLE request_log (
  tenant_id     text        NOT NULL,
  rpc           text        NOT NULL,
  request_id    text        NOT NULL,
  request_hash  bytea       NOT NULL,
  response      bytea,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, rpc, request_id)
);
SELECT enable_tenant_rls('request_log');

-- Events written in the same transaction as the state change they describe.
CREATE TABLE outbox (
  tenant_id        text        NOT NULL,
  event_id         uuid        NOT NULL,
  topic            text        NOT NULL,
  event_type       text        NOT NULL,
  payload          jsonb       NOT NULL,
  created_at       timestamptz NOT NULL,
  attempts         int         NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  -- Targets still owed this event (local transport fans out per subscriber); NULL until first attempt.
  pending_targets  text[],
  last_error       text,
  delivered_at     timestamptz,
  dead_lettered_at timestamptz,
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_lettered_at IS NULL;
SELECT enable_tenant_rls('outbox');

CREATE TABLE dead_letter (
  tenant_id   text        NOT NULL,
  event_id    uuid        NOT NULL,
  topic       text        NOT NULL,
  target      text        NOT NULL,
  payload     jsonb       NOT NULL,
  attempts    int         NOT NULL,
  last_error  text,
  dead_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, event_id, target)
);
SELECT enable_tenant_rls('dead_letter');

-- Consumers apply each event once: the inbox row commits with the event's effects.
CREATE TABLE inbox (
  tenant_id    text        NOT NULL,
  event_id     uuid        NOT NULL,
  topic        text        NOT NULL,
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (event_id)
);
SELECT enable_tenant_rls('inbox');

-- City-scope access crosses tenants, so every use is recorded (who, why, what).
CREATE TABLE city_scope_audit (
  tenant_id   text        NOT NULL DEFAULT 'city',
  audit_id    bigint      GENERATED ALWAYS AS IDENTITY,
  actor       text        NOT NULL,
  operation   text        NOT NULL,
  reason      text        NOT NULL,
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, audit_id)
);
ALTER TABLE city_scope_audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_insert ON city_scope_audit FOR INSERT WITH CHECK (true);
CREATE POLICY audit_read ON city_scope_audit FOR SELECT USING (current_setting('medins.scope', true) IN ('city', 'system'));
