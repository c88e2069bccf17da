-- Refunds of paid orders: full (a reason the policy lists, before benefits start) and differential (an identity
-- certified after an ordinary payment, where the policy grants it). Approved first, completed when the money is back.

CREATE TABLE payment_refunds (
  tenant_id              text        NOT NULL,
  refund_id              uuid        NOT NULL,
  order_id               uuid        NOT NULL,
  kind                   text        NOT NULL CHECK (kind IN ('full', 'differential')),
  reason                 text        NOT NULL,
  amount_fen             bigint      NOT NULL CHECK (amount_fen > 0),
  state                  text        NOT NULL CHECK (state IN ('requested', 'completed')),
  evidence_reference     text        NOT NULL,
  explanation            text        NOT NULL,
  requested_at           timestamptz NOT NULL,
  requested_by           text        NOT NULL,
  completed_at           timestamptz,
  refund_reference       text,
  -- The subsidy lines this refund takes away from the funds, and (differential) the ones it puts on them instead.
  withdrawn_subsidy_lines jsonb      NOT NULL DEFAULT '[]',
  granted_subsidy_lines  jsonb       NOT NULL DEFAULT '[]',
  -- The certified identity a differential refund answers, so a redelivered or repeated certification refunds once.
  identity_id            text,
  PRIMARY KEY (tenant_id, refund_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES payment_orders (tenant_id, order_id),
  CONSTRAINT payment_refunds_completed CHECK ((state = 'completed') = (completed_at IS NOT NULL AND refund_reference IS NOT NULL)),
  CONSTRAINT payment_refunds_one_per_identity UNIQUE (tenant_id, order_id, identity_id)
);
-- One full refund per order: the order leaves 'paid' when it is asked for.
CREATE UNIQUE INDEX payment_refunds_one_full ON payment_refunds (tenant_id, order_id) WHERE kind = 'full';
CREATE INDEX payment_refunds_by_order ON payment_refunds (tenant_id, order_id, refund_id);
CREATE INDEX payment_refunds_open ON payment_refunds (tenant_id, refund_id) WHERE state = 'requested';
SELECT enable_tenant_rls('payment_refunds');
