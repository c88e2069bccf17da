-- Messages become deliveries with a life of their own: a dispatcher sends what is due (quiet hours, retries),
-- providers report delivery, reminders come from campaigns, and alerts and bulletins go to officials.

-- Templates: one version line per key and channel; the local sink is a provider now, not a channel.
ALTER TABLE templates DROP CONSTRAINT templates_channel_check;
UPDATE templates SET channel = 'SMS' WHERE channel = 'LOCAL_SINK';
ALTER TABLE templates ADD CONSTRAINT templates_channel_check CHECK (channel IN ('SMS', 'WECHAT', 'LETTER'));
ALTER TABLE templates DROP CONSTRAINT templates_pkey;
ALTER TABLE templates ADD PRIMARY KEY (tenant_id, template_key, channel, version);
ALTER TABLE templates
  ADD COLUMN provider_template_id text   NOT NULL DEFAULT '',
  -- Provider parameter names, each filled from the placeholder at the same position of placeholder_names.
  ADD COLUMN provider_params      text[] NOT NULL DEFAULT '{}',
  ADD COLUMN placeholder_names    text[] NOT NULL DEFAULT '{}',
  ADD COLUMN create_time          timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN created_by           text   NOT NULL DEFAULT 'migration',
  ADD CONSTRAINT templates_params_pair CHECK (cardinality(provider_params) = cardinality(placeholder_names));

-- Village heads and township leaders: the addressees of alerts and bulletins (staff work numbers, not residents').
CREATE TABLE officials (
  tenant_id      text        NOT NULL,
  official_id    text        NOT NULL,
  name           text        NOT NULL,
  role           text        NOT NULL CHECK (role IN ('VILLAGE_HEAD', 'TOWNSHIP_LEADER')),
  division_code  text        NOT NULL,
  phone          text        NOT NULL DEFAULT '',
  wechat_openid  text        NOT NULL DEFAULT '',
  active         boolean     NOT NULL DEFAULT true,
  update_time    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, official_id)
);
CREATE INDEX officials_by_division ON officials (tenant_id, division_code, role) WHERE active;
SELECT enable_tenant_rls('officials');

-- A resident's opt-out and WeChat binding. No row: she receives everything, by SMS.
CREATE TABLE contact_preferences (
  tenant_id      text        NOT NULL,
  resident_id    text        NOT NULL,
  opt_out        text        NOT NULL CHECK (opt_out IN ('NONE', 'REMINDERS', 'ALL')),
  wechat_openid  text        NOT NULL DEFAULT '',
  source         text        NOT NULL,
  update_time    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, resident_id)
);
SELECT enable_tenant_rls('contact_preferences');

-- Per-tenant manners, as data: quiet hours in Asia/Shanghai local time for the listed channels. No row: the
-- platform default (21:00–08:00 for SMS and WeChat).
CREATE TABLE tenant_settings (
  tenant_id       text   NOT NULL PRIMARY KEY,
  quiet_start     time   NOT NULL,
  quiet_end       time   NOT NULL,
  quiet_channels  text[] NOT NULL
);
SELECT enable_tenant_rls('tenant_settings');

-- Reminder campaigns to a ledger of identity-registry.
CREATE TABLE campaigns (
  tenant_id          text        NOT NULL,
  campaign_id        uuid        NOT NULL,
  name               text        NOT NULL,
  ledger             int         NOT NULL,
  coverage_year      int         NOT NULL,
  village_code       text        NOT NULL,
  template_key       text        NOT NULL,
  deadline           date        NOT NULL,
  send_time          timestamptz NOT NULL,
  state              text        NOT NULL CHECK (state IN ('SCHEDULED', 'SENDING', 'COMPLETED', 'CANCELLED')),
  preview_on_ledger  bigint      NOT NULL,
  preview_opted_out  bigint      NOT NULL,
  preview_no_contact bigint      NOT NULL,
  created_by         text        NOT NULL,
  create_time        timestamptz NOT NULL,
  -- Who is materialising it now, so replicas do not read the same ledger twice at once.
  claimed_until      timestamptz,
  PRIMARY KEY (tenant_id, campaign_id)
);
CREATE INDEX campaigns_due ON campaigns (send_time) WHERE state = 'SCHEDULED';
CREATE INDEX campaigns_by_time ON campaigns (tenant_id, create_time DESC, campaign_id DESC);
SELECT enable_tenant_rls('campaigns');

-- Messages: to a resident or an official, from an event or a campaign, with their delivery state.
ALTER TABLE messages RENAME COLUMN resident_id TO recipient_id;
ALTER TABLE messages DROP CONSTRAINT messages_channel_check;
UPDATE messages SET channel = 'SMS' WHERE channel = 'LOCAL_SINK';
ALTER TABLE messages ADD CONSTRAINT messages_channel_check CHECK (channel IN ('SMS', 'WECHAT', 'LETTER'));
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
  CHECK (status IN ('PENDING', 'SENT', 'DELIVERED', 'FAILED', 'SKIPPED'));
ALTER TABLE messages ALTER COLUMN source_event_id DROP NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_tenant_id_source_event_id_template_key_key;
ALTER TABLE messages
  ADD COLUMN recipient_kind      text NOT NULL DEFAULT 'RESIDENT' CHECK (recipient_kind IN ('RESIDENT', 'OFFICIAL')),
  ADD COLUMN template_version    int  NOT NULL DEFAULT 1,
  ADD COLUMN campaign_id         uuid,
  ADD COLUMN skip_reason         text,
  ADD COLUMN attempts            int  NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at     timestamptz,
  -- A dispatcher holds the message until then while it talks to the provider.
  ADD COLUMN claimed_until       timestamptz,
  ADD COLUMN provider            text,
  ADD COLUMN provider_message_id text,
  -- Provider parameter values for the template's provider_params, in order.
  ADD COLUMN provider_values     text[] NOT NULL DEFAULT '{}',
  ADD COLUMN last_error          text,
  ADD COLUMN delivered_at        timestamptz,
  ADD CONSTRAINT messages_skip_reason CHECK ((status = 'SKIPPED') = (skip_reason IS NOT NULL));
-- One message per event, template and recipient; one per campaign and recipient.
CREATE UNIQUE INDEX messages_one_per_event ON messages (tenant_id, source_event_id, template_key, recipient_kind, recipient_id)
  WHERE source_event_id IS NOT NULL;
CREATE UNIQUE INDEX messages_one_per_campaign ON messages (tenant_id, campaign_id, recipient_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX messages_by_campaign ON messages (tenant_id, campaign_id, status) WHERE campaign_id IS NOT NULL;
CREATE UNIQUE INDEX messages_by_provider_id ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
DROP INDEX messages_by_resident;
CREATE INDEX messages_by_recipient ON messages (tenant_id, recipient_kind, recipient_id, created_at DESC, message_id DESC);
-- Messages left pending by the first version (no adapter then) become due now.
UPDATE messages SET next_attempt_at = created_at WHERE status = 'PENDING';
