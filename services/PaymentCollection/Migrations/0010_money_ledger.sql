-- The money ledger: every channel transaction's money is in exactly one place. Either orders hold it (paid, or
-- being or been refunded: the refund desk accounts for what goes back), or one review item carries it (open, or
-- resolved as returned to the payer). A review item that repeats a transaction whose money is already held
-- elsewhere (a reused transaction, a replay with another amount, a member order named instead of its household)
-- is kept for a person to look at but carries no money, so the same money is never counted twice.

ALTER TABLE payment_reviews ADD COLUMN carries_money boolean NOT NULL DEFAULT true;

-- Items queued before this rule: a 0-fen notice carries nothing; of several items for one transaction only the
-- first carries its money, and none does when an order holds that transaction.
UPDATE payment_reviews r SET carries_money = false
WHERE r.amount_fen = 0
   OR EXISTS (SELECT 1 FROM payment_orders o
              WHERE o.tenant_id = r.tenant_id AND o.channel_transaction_id = r.channel_transaction_id
                AND o.state IN ('paid', 'refund_requested', 'refunded'))
   OR EXISTS (SELECT 1 FROM payment_reviews e
              WHERE e.tenant_id = r.tenant_id AND e.channel_transaction_id = r.channel_transaction_id
                AND (e.created_at, e.review_id) < (r.created_at, r.review_id));

-- Where a transaction's money is held, looked up on every notice.
CREATE INDEX payment_orders_by_transaction ON payment_orders (tenant_id, channel_transaction_id)
  WHERE channel_transaction_id IS NOT NULL;

-- A notice naming a member order of a household order (refused: the household order is what a channel pays), and
-- a household notice after its members changed alone (orders from before members were tied to their household).
ALTER TABLE payment_confirmations DROP CONSTRAINT payment_confirmations_outcome_check;
ALTER TABLE payment_confirmations ADD CONSTRAINT payment_confirmations_outcome_check
  CHECK (outcome IN ('confirmed', 'replayed', 'zero_contribution', 'amount_mismatch', 'duplicate_payment',
                     'transaction_reused', 'order_expired', 'order_cancelled', 'order_not_found',
                     'household_member_order', 'household_members_changed', 'matched_from_review'));

-- The ledger of one tenant (row-level security still applies: the function runs as its caller).
-- held_fen: personal amounts of orders a channel paid; on_queue_fen: money on open review items; returned_fen: money
-- of items resolved as returned to the payer. Money received from the channels = held + on queue + returned, which
-- the channels' daily statements (reconciliation) and the tests check. double_held counts transactions whose money
-- sits in two places (two orders outside one household order, or an order and a money-carrying item): always 0.
CREATE FUNCTION payment_money_ledger(p_tenant text)
RETURNS TABLE (held_fen bigint, on_queue_fen bigint, returned_fen bigint, double_held bigint)
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  WITH held AS (
    SELECT channel_transaction_id, sum(personal_amount_fen) AS fen,
           count(DISTINCT coalesce(household_order_id, order_id)) AS owners
    FROM payment_orders
    WHERE tenant_id = p_tenant AND channel_transaction_id IS NOT NULL
      AND state IN ('paid', 'refund_requested', 'refunded')
    GROUP BY channel_transaction_id
  ), items AS (
    SELECT channel_transaction_id, amount_fen, resolution FROM payment_reviews
    WHERE tenant_id = p_tenant AND carries_money AND (resolution IS NULL OR resolution = 'returned_to_payer')
  )
  SELECT
    (SELECT coalesce(sum(fen), 0) FROM held)::bigint,
    (SELECT coalesce(sum(amount_fen), 0) FROM items WHERE resolution IS NULL)::bigint,
    (SELECT coalesce(sum(amount_fen), 0) FROM items WHERE resolution IS NOT NULL)::bigint,
    ((SELECT count(*) FROM held WHERE owners > 1)
     + (SELECT count(*) FROM (SELECT 1 FROM items GROUP BY channel_transaction_id HAVING count(*) > 1) twice)
     + (SELECT count(*) FROM held h JOIN items i USING (channel_transaction_id)))::bigint
$$;
