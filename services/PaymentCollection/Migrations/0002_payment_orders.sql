-- Payment orders priced from a stored quote, every confirmation notice a channel sends, and the notices a person
-- must look at because money arrived that the platform refused to keep (mismatch, duplicate, expired, unknown).

CREATE TABLE payment_orders (
  tenant_id               text        NOT NULL,
  order_id                uuid        NOT NULL,
  resident_id             text        NOT NULL,
  village_code            text        NOT NULL,
  coverage_year           int         NOT NULL,
  tier                    int         NOT NULL,
  channel                 text        NOT NULL CHECK (channel IN ('wechat_pay', 'alipay', 'tax_e_bureau', 'yukuaiban',
                                        'bank_counter', 'village_pos', 'school', 'village_cash')),
  state                   text        NOT NULL CHECK (state IN ('created', 'paid', 'expired', 'cancelled',
                                        'refund_requested', 'refunded')),
  personal_amount_fen     bigint      NOT NULL CHECK (personal_amount_fen >= 0),
  subsidy_amount_fen      bigint      NOT NULL CHECK (subsidy_amount_fen >= 0),
  policy_id               text        NOT NULL,
  policy_version          int         NOT NULL,
  -- The quote as contribution-calculation gave it (lines included), so the price can be explained later.
  quote                   jsonb       NOT NULL,
  benefit_start           date        NOT NULL,
  benefit_end             date        NOT NULL,
  -- NULL until a channel confirms; stays NULL for a zero-contribution enrolment.
  channel_transaction_id  text,
  created_at              timestamptz NOT NULL,
  paid_at                 timestamptz,
  expires_at              timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_id),
  CONSTRAINT payment_orders_paid_at_matches_state
    CHECK ((state IN ('paid', 'refund_requested', 'refunded')) = (paid_at IS NOT NULL)),
  -- One channel transaction settles one order: a replayed notice can never pay twice.
  CONSTRAINT payment_orders_channel_transaction UNIQUE (tenant_id, channel, channel_transaction_id)
);
-- A person is paid at most once per coverage year; a refunded order frees the year again.
CREATE UNIQUE INDEX payment_orders_paid_once ON payment_orders (tenant_id, resident_id, coverage_year)
  WHERE state IN ('paid', 'refund_requested');
CREATE INDEX payment_orders_by_resident ON payment_orders (tenant_id, resident_id, order_id);
SELECT enable_tenant_rls('payment_orders');

-- Every confirmation notice received, accepted or not, replays included.
CREATE TABLE payment_confirmations (
  tenant_id               text        NOT NULL,
  confirmation_id         uuid        NOT NULL,
  -- Not a foreign key: a notice naming an order this tenant does not have is kept too.
  order_id                uuid        NOT NULL,
  -- The order's channel; NULL when the order is unknown.
  channel                 text,
  -- NULL for a zero-contribution enrolment, which no channel confirms.
  channel_transaction_id  text,
  amount_fen              bigint      NOT NULL,
  reported_paid_at        timestamptz,
  received_at             timestamptz NOT NULL,
  outcome                 text        NOT NULL CHECK (outcome IN ('confirmed', 'replayed', 'zero_contribution',
                                        'amount_mismatch', 'duplicate_payment', 'transaction_reused', 'order_expired',
                                        'order_cancelled', 'order_not_found')),
  PRIMARY KEY (tenant_id, confirmation_id)
);
CREATE INDEX payment_confirmations_by_order ON payment_confirmations (tenant_id, order_id);
SELECT enable_tenant_rls('payment_confirmations');

-- Refused notices whose money must be returned or matched by a person; one item per distinct notice.
CREATE TABLE payment_reviews (
  tenant_id               text        NOT NULL,
  review_id               uuid        NOT NULL,
  confirmation_id         uuid        NOT NULL,
  order_id                uuid        NOT NULL,
  channel_transaction_id  text        NOT NULL,
  amount_fen              bigint      NOT NULL,
  reason                  text        NOT NULL,
  detail                  text        NOT NULL,
  created_at              timestamptz NOT NULL,
  resolved_at             timestamptz,
  PRIMARY KEY (tenant_id, review_id),
  FOREIGN KEY (tenant_id, confirmation_id) REFERENCES payment_confirmations (tenant_id, confirmation_id),
  CONSTRAINT payment_reviews_one_per_notice UNIQUE (tenant_id, order_id, channel_transaction_id, reason)
);
CREATE INDEX payment_reviews_open ON payment_reviews (tenant_id, created_at) WHERE resolved_at IS NULL;
SELECT enable_tenant_rls('payment_reviews');
