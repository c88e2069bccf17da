-- Live counters by village now separate paid and zero-contribution enrolments, keep differential refunds (enrolment
-- kept, the newly subsidised part returned) and the subsidies granted. enrolled = paid + zero-contribution.
ALTER TABLE village_counters
  ADD COLUMN paid_count                 bigint NOT NULL DEFAULT 0,
  ADD COLUMN zero_contribution_count    bigint NOT NULL DEFAULT 0,
  ADD COLUMN differential_refund_count  bigint NOT NULL DEFAULT 0,
  ADD COLUMN subsidy_amount_fen         bigint NOT NULL DEFAULT 0;
UPDATE village_counters SET paid_count = enrolled_count;

-- The same counts by person group, payment channel and key group, per village. Values are bounded by the rules
-- and the channel list, so a village has a handful of rows.
CREATE TABLE village_breakdown_counters (
  tenant_id                text        NOT NULL,
  coverage_year            int         NOT NULL,
  village_code             text        NOT NULL,
  dimension                text        NOT NULL CHECK (dimension IN ('person-group', 'channel', 'key-group')),
  value                    text        NOT NULL,
  enrolled_count           bigint      NOT NULL DEFAULT 0,
  paid_count               bigint      NOT NULL DEFAULT 0,
  zero_contribution_count  bigint      NOT NULL DEFAULT 0,
  refunded_count           bigint      NOT NULL DEFAULT 0,
  collected_amount_fen     bigint      NOT NULL DEFAULT 0,
  updated_at               timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, village_code, dimension, value)
);
SELECT enable_tenant_rls('village_breakdown_counters');

-- One row per contribution order seen, so a refund undoes exactly what its payment counted (village, group,
-- channel, key groups, subsidy lines), a second payment event for an order counts nothing, and a refund that
-- arrives before its payment waits for it instead of driving counters negative. Touched by key only.
CREATE TABLE contribution_orders (
  tenant_id            text        NOT NULL,
  order_id             text        NOT NULL,
  -- awaiting-payment: only a refund has arrived; enrolled: counted; refunded: a full refund ended the enrolment.
  state                text        NOT NULL CHECK (state IN ('awaiting-payment', 'enrolled', 'refunded')),
  coverage_year        int,
  village_code         text,
  person_group         text,
  channel              text,
  personal_amount_fen  bigint,
  -- The personal part after differential refunds; nil makes the enrolment a zero-contribution one.
  net_personal_fen     bigint,
  key_groups           text[]      NOT NULL DEFAULT '{}',
  paid_event_id        uuid,
  updated_at           timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_id)
);
SELECT enable_tenant_rls('contribution_orders');

-- Each order's net subsidy by fund and category (payment lines, less withdrawn, plus granted): settlement counts a
-- person for a fund while her net line is positive.
CREATE TABLE order_subsidy_lines (
  tenant_id       text   NOT NULL,
  order_id        text   NOT NULL,
  funding_source  text   NOT NULL,
  category        text   NOT NULL,
  amount_fen      bigint NOT NULL,
  PRIMARY KEY (tenant_id, order_id, funding_source, category)
);
SELECT enable_tenant_rls('order_subsidy_lines');

-- Refunds by refund id (the event id when the publisher gave none). applied_at is NULL while the refund waits for
-- its payment; the payment applies every waiting refund in the same transaction.
CREATE TABLE contribution_refunds (
  tenant_id            text        NOT NULL,
  refund_key           text        NOT NULL,
  order_id             text        NOT NULL,
  kind                 text        NOT NULL CHECK (kind IN ('full', 'differential')),
  refunded_amount_fen  bigint      NOT NULL,
  reason               text        NOT NULL,
  refund_time          timestamptz,
  withdrawn_lines      jsonb       NOT NULL,
  granted_lines        jsonb       NOT NULL,
  received_at          timestamptz NOT NULL,
  applied_at           timestamptz,
  PRIMARY KEY (tenant_id, refund_key)
);
CREATE INDEX contribution_refunds_waiting ON contribution_refunds (tenant_id, order_id) WHERE applied_at IS NULL;
SELECT enable_tenant_rls('contribution_refunds');

-- What each fund owes, per village (so concurrent payments contend on their village's rows only, as the village
-- counters do); the settlement statement sums a tenant's villages.
CREATE TABLE settlement_counters (
  tenant_id       text        NOT NULL,
  coverage_year   int         NOT NULL,
  village_code    text        NOT NULL,
  funding_source  text        NOT NULL,
  category        text        NOT NULL,
  people_count    bigint      NOT NULL DEFAULT 0,
  amount_fen      bigint      NOT NULL DEFAULT 0,
  description     text        NOT NULL DEFAULT '',
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, village_code, funding_source, category)
);
SELECT enable_tenant_rls('settlement_counters');

-- People per fund: a person counts once for a fund while her net lines from it (over all categories: a differential
-- refund may add a second category from the same fund) are positive.
CREATE TABLE settlement_fund_counters (
  tenant_id       text        NOT NULL,
  coverage_year   int         NOT NULL,
  village_code    text        NOT NULL,
  funding_source  text        NOT NULL,
  people_count    bigint      NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, village_code, funding_source)
);
SELECT enable_tenant_rls('settlement_fund_counters');
