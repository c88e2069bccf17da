-- Refusals to enrol (Lidu: the reason, signed by the person or family), one per resident and coverage year.
CREATE TABLE refusals (
  tenant_id      text        NOT NULL,
  resident_id    uuid        NOT NULL,
  coverage_year  int         NOT NULL,
  reason         text        NOT NULL,
  signed_by      text        NOT NULL,
  recorded_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, resident_id, coverage_year),
  FOREIGN KEY (tenant_id, resident_id) REFERENCES residents (tenant_id, resident_id)
);
SELECT enable_tenant_rls('refusals');

-- Ledger pages walk residents in (village, id) order through residents_by_village and skip the enrolled through
-- the enrolments primary key. The resident-population ledger is sparse (few people are registered elsewhere), so
-- it walks only them.
CREATE INDEX residents_registered_elsewhere ON residents (tenant_id, village_code, resident_id)
  WHERE registration_type <> 'household_registered';
-- Duplicates across the city's tenants are found by lookup hash.
CREATE INDEX residents_by_lookup_hash ON residents (national_id_hash, tenant_id);
