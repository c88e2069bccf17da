-- Per-tenant message templates, versioned; the highest version of a key is in use. The body holds {placeholders}.
CREATE TABLE templates (
  tenant_id     text NOT NULL,
  template_key  text NOT NULL,
  version       int  NOT NULL CHECK (version > 0),
  channel       text NOT NULL CHECK (channel IN ('SMS', 'WECHAT', 'LETTER', 'LOCAL_SINK')),
  body          text NOT NULL,
  PRIMARY KEY (tenant_id, template_key, version)
);
SELECT enable_tenant_rls('templates');

-- Rendered messages and their delivery state. One event gives at most one message per template.
CREATE TABLE messages (
  tenant_id        text        NOT NULL,
  message_id       uuid        NOT NULL,
  resident_id      text        NOT NULL,
  template_key     text        NOT NULL,
  channel          text        NOT NULL CHECK (channel IN ('SMS', 'WECHAT', 'LETTER', 'LOCAL_SINK')),
  body             text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  source_event_id  uuid        NOT NULL,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz,
  PRIMARY KEY (tenant_id, message_id),
  UNIQUE (tenant_id, source_event_id, template_key)
);
-- ListMessages pages newest first, for the tenant or one resident.
CREATE INDEX messages_by_time ON messages (tenant_id, created_at DESC, message_id DESC);
CREATE INDEX messages_by_resident ON messages (tenant_id, resident_id, created_at DESC, message_id DESC);
SELECT enable_tenant_rls('messages');
