-- Household orders: one channel payment for the members of a household booklet (户口簿) paid together. Each member
-- keeps her own order (her own price, receipt and event); the channel confirms the household order, with one
-- transaction number for all of them.

CREATE TABLE household_orders (
  tenant_id               text        NOT NULL,
  household_order_id      uuid        NOT NULL,
  household_number        text        NOT NULL,
  village_code            text        NOT NULL,
  coverage_year           int         NOT NULL,
  channel                 text        NOT NULL,
  state                   text        NOT NULL CHECK (state IN ('created', 'paid', 'expired', 'cancelled')),
  -- What the channel collects: the members' own parts together.
  total_personal_fen      bigint      NOT NULL CHECK (total_personal_fen >= 0),
  total_subsidy_fen       bigint      NOT NULL CHECK (total_subsidy_fen >= 0),
  channel_transaction_id  text,
  created_at              timestamptz NOT NULL,
  paid_at                 timestamptz,
  expires_at              timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, household_order_id),
  CONSTRAINT household_orders_paid_at_matches_state CHECK ((state = 'paid') = (paid_at IS NOT NULL)),
  CONSTRAINT household_orders_channel_transaction UNIQUE (tenant_id, channel, channel_transaction_id)
);
SELECT enable_tenant_rls('household_orders');

ALTER TABLE payment_orders
  ADD CONSTRAINT payment_orders_household_order
    FOREIGN KEY (tenant_id, household_order_id) REFERENCES household_orders (tenant_id, household_order_id);

-- The members of a household order share its transaction number; a single order's stays unique to it.
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_channel_transaction;
CREATE UNIQUE INDEX payment_orders_channel_transaction ON payment_orders (tenant_id, channel, channel_transaction_id)
  WHERE household_order_id IS NULL;
