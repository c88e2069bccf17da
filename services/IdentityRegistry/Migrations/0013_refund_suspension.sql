-- Refunds as payment-collection reports them (seed 004 §二(五)3: the enrolment is suspended while the refund is
-- handled): a requested full refund suspends the enrolment ('refund_pending'), a completed one ends it ('refunded').
-- Both keep the refund's reason and whether that reason means she is not expected to enrol this year (decided by
-- the service from the reason's meaning), so ledgers and reminders leave her out without reading reasons.
-- subsidy_lines are the enrolling order's as they stand (a differential refund replaces them).
ALTER TABLE enrolments DROP CONSTRAINT enrolments_status_check;
ALTER TABLE enrolments
  ADD CONSTRAINT enrolments_status_check
    CHECK (status IN ('not_enrolled', 'enrolled', 'refunded', 'refused', 'refund_pending')),
  ADD COLUMN refund_reason           text,
  ADD COLUMN excused_from_enrolment  boolean NOT NULL DEFAULT false,
  ADD COLUMN subsidy_lines           jsonb   NOT NULL DEFAULT '[]';
