-- A resident's enrolment per coverage year, kept from contribution.paid / contribution.refunded events.
CREATE TABLE enrolments (
  tenant_id            text        NOT NULL,
  resident_id          uuid        NOT NULL,
  coverage_year        int         NOT NULL,
  status               text        NOT NULL CHECK (status IN ('not_enrolled', 'enrolled', 'refunded', 'refused')),
  order_id             text,
  personal_amount_fen  bigint      NOT NULL DEFAULT 0 CHECK (personal_amount_fen >= 0),
  benefit_start        date,
  benefit_end          date,
  updated_at           timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, resident_id, coverage_year),
  FOREIGN KEY (tenant_id, resident_id) REFERENCES residents (tenant_id, resident_id)
);
SELECT enable_tenant_rls('enrolments');
