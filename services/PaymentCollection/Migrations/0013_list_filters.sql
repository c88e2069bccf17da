-- The filters a clerk lists by: review items by channel, reason and open/resolved; payment orders by channel,
-- state, village and receipt number; discrepancies by statement day and kind. Each filter reads through an index led
-- by the tenant, in the list's order (time-ordered ids), so a filtered page costs the same at any size of the tables.

-- The channel a review item's money came through, kept on the item so the queue can be listed by it: the order's
-- channel, or the channel whose notice named an unknown order; NULL when ConfirmPayment named an unknown order.
ALTER TABLE payment_reviews ADD COLUMN channel text;
UPDATE payment_reviews r SET channel = c.channel
FROM payment_confirmations c
WHERE c.tenant_id = r.tenant_id AND c.confirmation_id = r.confirmation_id;

CREATE INDEX payment_reviews_list_open ON payment_reviews (tenant_id, review_id) WHERE resolved_at IS NULL;
CREATE INDEX payment_reviews_list_resolved ON payment_reviews (tenant_id, review_id) WHERE resolved_at IS NOT NULL;
CREATE INDEX payment_reviews_by_channel ON payment_reviews (tenant_id, channel, review_id);
CREATE INDEX payment_reviews_by_reason ON payment_reviews (tenant_id, reason, review_id);

CREATE INDEX payment_orders_by_channel ON payment_orders (tenant_id, channel, order_id);
CREATE INDEX payment_orders_by_state ON payment_orders (tenant_id, state, order_id);
-- Villages within a division are a range of 12-digit codes (codes nest).
CREATE INDEX payment_orders_by_village ON payment_orders (tenant_id, village_code, order_id);
-- By receipt number: the unique constraint payment_orders_one_receipt (tenant_id, receipt_number).

CREATE INDEX reconciliation_discrepancies_by_date ON reconciliation_discrepancies (tenant_id, statement_date, discrepancy_id);
CREATE INDEX reconciliation_discrepancies_by_kind ON reconciliation_discrepancies (tenant_id, kind, discrepancy_id);
CREATE INDEX reconciliation_discrepancies_by_channel ON reconciliation_discrepancies (tenant_id, channel, discrepancy_id);
CREATE INDEX reconciliation_discrepancies_by_state ON reconciliation_discrepancies (tenant_id, state, discrepancy_id);
