-- Task reductions on evidence (Linjiang seed 002 §二(二)): each is audited with who recorded it and when, and
-- adds its people to the village target's reduced_count in the same transaction. One certificate or proof reduces
-- once: its reference is unique per evidence kind in a tenant and year.
CREATE TABLE task_reductions (
  tenant_id           text        NOT NULL,
  reduction_id        uuid        NOT NULL,
  coverage_year       int         NOT NULL,
  village_code        text        NOT NULL,
  person_count        int         NOT NULL CHECK (person_count > 0),
  evidence            text        NOT NULL CHECK (evidence IN ('deregistration-certificate', 'employee-insurance', 'other-region-insurance')),
  evidence_reference  text        NOT NULL,
  note                text        NOT NULL DEFAULT '',
  request_id          text        NOT NULL,
  recorded_by         text        NOT NULL,
  recorded_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, reduction_id),
  CONSTRAINT task_reductions_evidence_once UNIQUE (tenant_id, coverage_year, evidence, evidence_reference)
);
CREATE INDEX task_reductions_by_year ON task_reductions (tenant_id, coverage_year, reduction_id);
SELECT enable_tenant_rls('task_reductions');
