-- Channel notices the notify endpoint refused to apply: forged or unreadable ones (bad signature, unknown merchant,
-- stale timestamp, malformed) and authentic ones it cannot apply to an order of that channel (unknown order number,
-- order of another channel), which mean a provider holds money a person must look at. Notices that reach an order
-- are kept in payment_confirmations (and payment_reviews) by the order book instead.
--
-- tenant_id is the tenant of the merchant account the notice names, even when its signature fails (so a tenant
-- sees what was forged in its name), or '' when no configured merchant can be told from it: those rows are written
-- in system scope and read in city scope only. The body itself is not kept (it may carry payer details); its
-- SHA-256 lets a provider's copy be matched.

CREATE TABLE rejected_channel_notices (
  tenant_id               text        NOT NULL,
  rejection_id            uuid        NOT NULL,
  channel                 text        NOT NULL,
  reason                  text        NOT NULL CHECK (reason IN ('BAD_SIGNATURE', 'MALFORMED_NOTICE', 'UNKNOWN_MERCHANT',
                                        'STALE_NOTICE', 'UNKNOWN_ORDER', 'CHANNEL_MISMATCH')),
  detail                  text        NOT NULL,
  -- True when the signature verified: the provider really sent it, and may hold money for it.
  authentic               boolean     NOT NULL,
  -- As the notice claims them; unverified unless authentic.
  merchant_id             text,
  out_trade_no            text,
  channel_transaction_id  text,
  amount_fen              bigint,
  body_sha256             text        NOT NULL,
  body_length             int         NOT NULL,
  first_received_at       timestamptz NOT NULL,
  last_received_at        timestamptz NOT NULL,
  -- A provider retries a notice it got a failure answer for: the same body counts up here instead of adding rows.
  attempts                int         NOT NULL DEFAULT 1,
  resolved_at             timestamptz,
  PRIMARY KEY (tenant_id, rejection_id),
  CONSTRAINT rejected_channel_notices_once UNIQUE (tenant_id, channel, reason, body_sha256)
);
CREATE INDEX rejected_channel_notices_open ON rejected_channel_notices (tenant_id, first_received_at)
  WHERE resolved_at IS NULL;
SELECT enable_tenant_rls('rejected_channel_notices');
