-- Versioned contribution policies per tenant and coverage year; the highest version is in force.
CREATE TABLE policies (
  tenant_id      text        NOT NULL,
  coverage_year  int         NOT NULL,
  version        int         NOT NULL,
  policy_id      text        NOT NULL,
  document       jsonb       NOT NULL,
  published_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, coverage_year, version)
);
SELECT enable_tenant_rls('policies');
