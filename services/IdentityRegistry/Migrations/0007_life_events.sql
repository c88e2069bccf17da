-- Dated life events with their evidence. Death and moving away deregister the resident (Linjiang: a police
-- deregistration certificate reduces the village's task, seed 002 二（二）); the row stays for the history.
CREATE TABLE life_events (
  tenant_id           text        NOT NULL,
  life_event_id       uuid        NOT NULL,
  resident_id         uuid        NOT NULL,
  kind                text        NOT NULL CHECK (kind IN ('death', 'moved_away', 'employee_insurance', 'insured_elsewhere',
                        'army', 'prison', 'release', 'discharge', 'newborn_registration', 'student_enrolment')),
  occurred_on         date        NOT NULL,
  evidence_reference  text        NOT NULL,
  recorded_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, life_event_id),
  FOREIGN KEY (tenant_id, resident_id) REFERENCES residents (tenant_id, resident_id)
);
CREATE INDEX life_events_by_resident ON life_events (tenant_id, resident_id, occurred_on);
SELECT enable_tenant_rls('life_events');

ALTER TABLE residents ADD COLUMN deregistered_on date;
