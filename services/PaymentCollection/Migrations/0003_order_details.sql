-- What consumers of contribution.paid need beyond the price: who pays each part of the subsidy, the household a
-- household order was paid for, the receipt number the person is given, and the village agent who took cash.

ALTER TABLE payment_orders
  ADD COLUMN subsidy_lines       jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN person_group        text  NOT NULL DEFAULT '',
  ADD COLUMN household_id        text,
  ADD COLUMN household_order_id  uuid,
  ADD COLUMN receipt_number      text,
  ADD COLUMN agent_id            text,
  ADD CONSTRAINT payment_orders_one_receipt UNIQUE (tenant_id, receipt_number);
CREATE INDEX payment_orders_by_household_order ON payment_orders (tenant_id, household_order_id)
  WHERE household_order_id IS NOT NULL;

-- Receipt numbers are unique across the city; a sequence hands them out without a per-tenant hot row in December.
CREATE SEQUENCE payment_receipt_numbers;
