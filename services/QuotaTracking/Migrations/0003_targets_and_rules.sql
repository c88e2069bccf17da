-- Quota rules: one document per tenant and coverage year (bases, rates, key groups, campaign dates, schedule,
-- rewards, scoring), loaded by the migrator like the demo city. The service reads the plain JSON; the text keeps
-- the document's comments for people.
CREATE TABLE quota_rules (
  tenant_id      text        NOT NULL,
  coverage_year  int         NOT NULL,
  name           text        NOT NULL,
  document       jsonb       NOT NULL,
  document_text  text        NOT NULL,
  loaded_by      text        NOT NULL,
  loaded_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year)
);
SELECT enable_tenant_rls('quota_rules');

-- The division tree progress rolls up along (village → township → county → city), and the names bulletins print.
-- A copy of the identity registry's, loaded with the city data; the city level belongs to tenant 'city'.
CREATE TABLE divisions (
  tenant_id    text NOT NULL,
  code         text NOT NULL,
  name         text NOT NULL,
  level        text NOT NULL CHECK (level IN ('city', 'county', 'township', 'village')),
  parent_code  text,
  PRIMARY KEY (tenant_id, code)
);
SELECT enable_tenant_rls('divisions');

-- Targets now keep the base the tenant's rules count against and where the task came from. A task table (Linjiang)
-- gives registered population and task; otherwise the rules compute the task from the base. Reductions on evidence
-- lower base and task alike (reduced_count, kept by ReduceVillageTask with its audit rows).
ALTER TABLE village_targets
  ALTER COLUMN registered_population DROP NOT NULL,
  ADD COLUMN resident_population int CHECK (resident_population >= 0),
  ADD COLUMN last_year_enrolled  int CHECK (last_year_enrolled >= 0),
  ADD COLUMN base                int CHECK (base >= 0),
  ADD COLUMN task_source         text NOT NULL DEFAULT 'task-table' CHECK (task_source IN ('task-table', 'computed')),
  ADD COLUMN raised_to_last_year boolean NOT NULL DEFAULT false,
  ADD COLUMN reduced_count       int NOT NULL DEFAULT 0 CHECK (reduced_count >= 0);
UPDATE village_targets SET base = registered_population;
ALTER TABLE village_targets
  ALTER COLUMN base SET NOT NULL,
  ADD CONSTRAINT village_targets_reductions_within_base CHECK (reduced_count <= base);

-- Key-group targets per village (poverty-alleviated and monitored 99%, subsidised 100%, students 100%, …): the
-- group's people in the village and the count that reaches the group's rate.
CREATE TABLE key_group_targets (
  tenant_id      text NOT NULL,
  coverage_year  int  NOT NULL,
  village_code   text NOT NULL,
  key_group      text NOT NULL,
  base           int  NOT NULL CHECK (base >= 0),
  target         int  NOT NULL CHECK (target >= 0),
  PRIMARY KEY (tenant_id, coverage_year, village_code, key_group)
);
SELECT enable_tenant_rls('key_group_targets');

-- Who imported targets, when, and how many villages (the request log keeps the answer for replays).
CREATE TABLE target_imports (
  tenant_id      text        NOT NULL,
  import_id      uuid        NOT NULL,
  coverage_year  int         NOT NULL,
  request_id     text        NOT NULL,
  imported_by    text        NOT NULL,
  imported_at    timestamptz NOT NULL,
  village_count  int         NOT NULL,
  PRIMARY KEY (tenant_id, import_id)
);
SELECT enable_tenant_rls('target_imports');
