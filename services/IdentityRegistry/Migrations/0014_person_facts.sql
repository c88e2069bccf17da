-- Facts a contribution policy prices by, kept on the resident (issue 16): the person group she belongs to with its
-- evidence (students: school, admission date of a new student, Chongqing's 2023–2024 school-year scheme, seed 000
-- 三（二）), and the grade of her disability certificate (seed 003 三（三）2(3) prices 三、四级残疾人). The group id is
-- the policy's; the registry checks its shape only. The columns are nullable (NULL: no group, no scheme, no grade) so
-- the bulk loader's staging copy of this table (CREATE TABLE … (LIKE residents), which keeps NOT NULL but no
-- defaults) still takes rows that do not name them.
ALTER TABLE residents
  ADD COLUMN person_group                   text,
  ADD COLUMN person_group_school            text,
  ADD COLUMN person_group_admitted_on       date,
  ADD COLUMN person_group_school_year_scheme boolean,
  ADD COLUMN person_group_evidence          text,
  ADD COLUMN person_group_recorded_at       timestamptz,
  ADD COLUMN disability_grade               smallint CHECK (disability_grade BETWEEN 1 AND 4),
  ADD COLUMN disability_evidence            text,
  ADD CONSTRAINT residents_person_group_whole CHECK (person_group IS NOT NULL OR
    (person_group_school IS NULL AND person_group_admitted_on IS NULL AND person_group_school_year_scheme IS NULL));

-- Life events with an end or a start of their own (seed 003 二（二）2–3): employee insurance ended (it ends an
-- employee-insurance suspension from its date), household registration moved in, a household booklet newly set up.
ALTER TABLE life_events DROP CONSTRAINT life_events_kind_check;
ALTER TABLE life_events ADD CONSTRAINT life_events_kind_check CHECK (kind IN ('death', 'moved_away', 'employee_insurance',
  'insured_elsewhere', 'army', 'prison', 'release', 'discharge', 'newborn_registration', 'student_enrolment',
  'employee_insurance_ended', 'transfer_in', 'new_household'));

-- Last year's enrolled roster as the provincial system hands it to a bureau: an enrolment imported from it has no
-- order here, so it says where it came from and keeps the roster's tier.
ALTER TABLE enrolments
  ADD COLUMN source text NOT NULL DEFAULT 'payment' CHECK (source IN ('payment', 'prior_roster')),
  ADD COLUMN tier   smallint;

-- The resident-population ledger now walks everyone registered here too (seed 003 一（一）), so the index of people
-- registered elsewhere serves no query.
DROP INDEX residents_registered_elsewhere;
