-- Household booklets (户口簿): the police record says how many people a booklet lists; residents name their
-- relationship to its head. Household-together tenants check that every listed person is registered and enrolled.
ALTER TABLE residents ADD COLUMN relationship text CHECK (relationship IN
  ('head', 'spouse', 'child', 'parent', 'grandchild', 'grandparent', 'sibling', 'child_in_law', 'other'));
CREATE INDEX residents_by_household ON residents (tenant_id, household_number) WHERE household_number IS NOT NULL;
-- A booklet has one head.
CREATE UNIQUE INDEX residents_one_head ON residents (tenant_id, household_number) WHERE relationship = 'head';

CREATE TABLE households (
  tenant_id             text        NOT NULL,
  household_number      text        NOT NULL,
  village_code          text        NOT NULL,
  booklet_member_count  int         NOT NULL CHECK (booklet_member_count BETWEEN 1 AND 99),
  updated_at            timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, household_number),
  FOREIGN KEY (tenant_id, village_code) REFERENCES divisions (tenant_id, code)
);
SELECT enable_tenant_rls('households');
