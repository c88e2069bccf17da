-- Campaign tasks per village and coverage year (Linjiang's task table: registered population → task, seed 002 §6).
CREATE TABLE village_targets (
  tenant_id              text NOT NULL,
  coverage_year          int  NOT NULL,
  village_code           text NOT NULL,
  registered_population  int  NOT NULL CHECK (registered_population >= 0),
  task                   int  NOT NULL CHECK (task >= 0),
  PRIMARY KEY (tenant_id, coverage_year, village_code)
);
SELECT enable_tenant_rls('village_targets');

-- Live counters kept from contribution events. Handlers change them only by relative single-statement upserts, so
-- concurrent events never lose an increment; a refund that overtakes its payment may leave a count briefly negative.
CREATE TABLE village_counters (
  tenant_id             text        NOT NULL,
  coverage_year         int         NOT NULL,
  village_code          text        NOT NULL,
  enrolled_count        bigint      NOT NULL DEFAULT 0,
  collected_amount_fen  bigint      NOT NULL DEFAULT 0,
  refunded_count        bigint      NOT NULL DEFAULT 0,
  updated_at            timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, village_code)
);
SELECT enable_tenant_rls('village_counters');
