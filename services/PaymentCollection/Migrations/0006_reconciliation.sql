-- Reconciliation with the channels' daily statement files: each imported file, its lines as the channel lists
-- them (with what each matched), the differences found, and how a person resolved each one.

CREATE TABLE reconciliation_statements (
  tenant_id              text        NOT NULL,
  statement_id           uuid        NOT NULL,
  channel                text        NOT NULL CHECK (channel IN ('wechat_pay', 'alipay', 'tax_e_bureau', 'yukuaiban',
                                       'bank_counter', 'village_pos', 'school', 'village_cash')),
  -- The Asia/Shanghai day the statement covers.
  statement_date         date        NOT NULL,
  format                 text        NOT NULL CHECK (format IN ('wechat_trade_bill', 'alipay_trade_statement',
                                       'bureau_collection_statement')),
  -- The file exactly as imported, kept for disputes with the channel.
  content                bytea       NOT NULL,
  content_sha256         bytea       NOT NULL,
  imported_by            text        NOT NULL,
  imported_at            timestamptz NOT NULL,
  replaces_statement_id  uuid,
  -- Set when a corrected file replaced this one.
  superseded_by          uuid,
  PRIMARY KEY (tenant_id, statement_id)
);
-- One current statement per channel and day; replaced ones stay for the record.
CREATE UNIQUE INDEX reconciliation_statements_current ON reconciliation_statements (tenant_id, channel, statement_date)
  WHERE superseded_by IS NULL;
SELECT enable_tenant_rls('reconciliation_statements');

CREATE TABLE reconciliation_statement_lines (
  tenant_id               text        NOT NULL,
  statement_id            uuid        NOT NULL,
  line_number             int         NOT NULL,
  kind                    text        NOT NULL CHECK (kind IN ('payment', 'refund', 'reversal')),
  channel_transaction_id  text        NOT NULL,
  merchant_order_id       text        NOT NULL,
  refund_id               text        NOT NULL,
  amount_fen              bigint      NOT NULL CHECK (amount_fen >= 0),
  channel_time            timestamptz NOT NULL,
  outcome                 text        NOT NULL CHECK (outcome IN ('matched', 'amount_difference', 'missing_here',
                                        'held_for_review', 'not_reconciled')),
  -- The platform's side when it has one: the orders the transaction paid and their amount, or the review item.
  order_ids               uuid[]      NOT NULL,
  platform_amount_fen     bigint,
  review_id               uuid,
  PRIMARY KEY (tenant_id, statement_id, line_number),
  FOREIGN KEY (tenant_id, statement_id) REFERENCES reconciliation_statements (tenant_id, statement_id)
);
-- Whether a transaction appears on some statement (a payment missing there, listed on another day).
CREATE INDEX reconciliation_statement_lines_by_transaction
  ON reconciliation_statement_lines (tenant_id, channel_transaction_id);
SELECT enable_tenant_rls('reconciliation_statement_lines');

CREATE TABLE reconciliation_discrepancies (
  tenant_id               text        NOT NULL,
  discrepancy_id          uuid        NOT NULL,
  statement_id            uuid        NOT NULL,
  channel                 text        NOT NULL,
  statement_date          date        NOT NULL,
  kind                    text        NOT NULL CHECK (kind IN ('missing_here', 'missing_there', 'amount_difference')),
  channel_transaction_id  text        NOT NULL,
  -- The channel's side (NULL when missing there) and the platform's (NULL when missing here).
  line_number             int,
  merchant_order_id       text        NOT NULL,
  channel_amount_fen      bigint,
  channel_time            timestamptz,
  platform_amount_fen     bigint,
  platform_paid_at        timestamptz,
  order_ids               uuid[]      NOT NULL,
  state                   text        NOT NULL CHECK (state IN ('open', 'resolved', 'superseded')),
  created_at              timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, discrepancy_id),
  FOREIGN KEY (tenant_id, statement_id) REFERENCES reconciliation_statements (tenant_id, statement_id),
  CONSTRAINT reconciliation_discrepancies_sides CHECK (
    (kind = 'missing_here' AND line_number IS NOT NULL AND channel_amount_fen IS NOT NULL AND platform_amount_fen IS NULL)
    OR (kind = 'missing_there' AND line_number IS NULL AND channel_amount_fen IS NULL AND platform_amount_fen IS NOT NULL)
    OR (kind = 'amount_difference' AND line_number IS NOT NULL AND channel_amount_fen IS NOT NULL
        AND platform_amount_fen IS NOT NULL))
);
CREATE INDEX reconciliation_discrepancies_by_statement ON reconciliation_discrepancies (tenant_id, statement_id);
CREATE INDEX reconciliation_discrepancies_open ON reconciliation_discrepancies (tenant_id, channel) WHERE state = 'open';
SELECT enable_tenant_rls('reconciliation_discrepancies');

-- The audit of each resolution: who (the caller's credential), when, which action and why. One per discrepancy.
CREATE TABLE reconciliation_resolutions (
  tenant_id       text        NOT NULL,
  discrepancy_id  uuid        NOT NULL,
  action          text        NOT NULL CHECK (action IN ('confirm_late_payment', 'refund_to_payer',
                                'channel_error_written_off', 'matched_manually')),
  note            text        NOT NULL,
  resolved_by     text        NOT NULL,
  resolved_at     timestamptz NOT NULL,
  request_id      text        NOT NULL,
  PRIMARY KEY (tenant_id, discrepancy_id),
  FOREIGN KEY (tenant_id, discrepancy_id) REFERENCES reconciliation_discrepancies (tenant_id, discrepancy_id)
);
SELECT enable_tenant_rls('reconciliation_resolutions');

-- What an import reads from the payment tables: a day's payments through one channel, and refused notices by
-- channel transaction.
CREATE INDEX payment_orders_paid_by_channel ON payment_orders (tenant_id, channel, paid_at)
  WHERE channel_transaction_id IS NOT NULL;
CREATE INDEX payment_reviews_by_transaction ON payment_reviews (tenant_id, channel_transaction_id);
