-- A full refund after differential refunds returned all she paid moves no money but still ends her enrolment, so a
-- full refund may be of 0 fen; a differential refund always returns money.
ALTER TABLE payment_refunds DROP CONSTRAINT payment_refunds_amount_fen_check;
ALTER TABLE payment_refunds ADD CONSTRAINT payment_refunds_amount_fen_check
  CHECK (amount_fen > 0 OR (kind = 'full' AND amount_fen = 0));
