-- Army service, prison, employee insurance and another region's resident insurance suspend a resident's insurance
-- here (暂停参保关系, Gaoyang §2.5.3) from the event date: she is not expected to enrol and leaves the ledgers until a
-- discharge or release on or after that date. The service keeps these columns from her life events (LifeEvents.
-- SuspensionAfter); the ledgers read them instead of searching her events row by row.
ALTER TABLE residents
  ADD COLUMN suspended_on date,
  ADD COLUMN suspended_by text CHECK (suspended_by IN ('employee_insurance', 'insured_elsewhere', 'army', 'prison')),
  ADD CONSTRAINT residents_suspension_whole CHECK ((suspended_on IS NULL) = (suspended_by IS NULL));

-- Events recorded before this migration, by the same rule: army and prison stand when no discharge or release
-- follows on or after them (from the first of them after the last such end); insurance elsewhere stands from its
-- first date. The earliest standing reason names the suspension.
WITH events AS (
  SELECT tenant_id, resident_id, kind, occurred_on, recorded_at,
         CASE kind WHEN 'discharge' THEN 'army' WHEN 'release' THEN 'prison' ELSE kind END AS reason,
         kind IN ('discharge', 'release') AS ends
  FROM life_events
  WHERE kind IN ('employee_insurance', 'insured_elsewhere', 'army', 'prison', 'discharge', 'release')
), last_end AS (
  SELECT DISTINCT ON (tenant_id, resident_id, reason) tenant_id, resident_id, reason, occurred_on, recorded_at
  FROM events WHERE ends
  ORDER BY tenant_id, resident_id, reason, occurred_on DESC, recorded_at DESC
), standing AS (
  SELECT e.tenant_id, e.resident_id, e.reason, min(e.occurred_on) AS since
  FROM events e
  LEFT JOIN last_end l USING (tenant_id, resident_id, reason)
  WHERE NOT e.ends AND (l.occurred_on IS NULL OR (e.occurred_on, e.recorded_at) > (l.occurred_on, l.recorded_at))
  GROUP BY e.tenant_id, e.resident_id, e.reason
), earliest AS (
  SELECT DISTINCT ON (tenant_id, resident_id) tenant_id, resident_id, reason, since
  FROM standing ORDER BY tenant_id, resident_id, since, reason
)
UPDATE residents r SET suspended_on = earliest.since, suspended_by = earliest.reason
FROM earliest
WHERE r.tenant_id = earliest.tenant_id AND r.resident_id = earliest.resident_id AND r.deregistered_on IS NULL;
