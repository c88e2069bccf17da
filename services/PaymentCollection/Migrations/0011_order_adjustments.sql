-- A completed differential refund changes what an order stands for: the person's own part falls by the money
-- returned and the new identity's subsidy lines replace the payment's (seed 004 §二(五)3). personal_amount_fen and
-- subsidy_lines stay what was collected and quoted, which confirmations and reconciliation match against; these
-- columns hold what stands now, NULL while nothing was refunded.
ALTER TABLE payment_orders
  ADD COLUMN adjusted_personal_fen  bigint CHECK (adjusted_personal_fen >= 0),
  ADD COLUMN adjusted_subsidy_lines jsonb,
  ADD CONSTRAINT payment_orders_adjustment_whole CHECK ((adjusted_personal_fen IS NULL) = (adjusted_subsidy_lines IS NULL));
