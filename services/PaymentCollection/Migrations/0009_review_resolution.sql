-- A refused notice's money is never kept silently: a person resolves each review item with an audited action
-- (the money returned to the payer through the channel, or matched to a payment the platform already holds).

ALTER TABLE payment_reviews
  ADD COLUMN resolution       text CHECK (resolution IN ('returned_to_payer', 'matched_elsewhere')),
  ADD COLUMN resolution_reference text,
  ADD COLUMN resolution_note  text,
  ADD COLUMN resolved_by      text,
  ADD CONSTRAINT payment_reviews_resolution_complete
    CHECK ((resolved_at IS NULL) = (resolution IS NULL) AND (resolution IS NULL) = (resolved_by IS NULL));
