-- Demo city: Linjiang town's 2024 village task table (seed 002, attachment "永川区临江镇2024年度城乡居民医保筹资任务表";
-- seed 002 一 参保率稳定在95%以上): registered population → task, about 95%. The base the rate counts against is the registered
-- population (rules/cq-linjiang-2024.jsonc). Village codes are the identity registry's demo divisions
-- (identity_registry.sql: synthetic codes, the community from 001 and the villages from 201).
INSERT INTO village_targets (tenant_id, coverage_year, village_code, registered_population, base, task, task_source)
SELECT 'cq-linjiang', 2024, t.village_code, t.registered_population, t.registered_population, t.task, 'task-table'
FROM (VALUES
  ('500118901201', 5027, 4776), -- 高滩村
  ('500118901202', 2540, 2413), -- 桂林村
  ('500118901203', 3412, 3241), -- 九龙村
  ('500118901001', 2358, 2240), -- 临江社区
  ('500118901204', 2461, 2338), -- 龙安村
  ('500118901205', 2952, 2804), -- 龙洞桥村
  ('500118901206', 3953, 3755), -- 隆顺村
  ('500118901207', 5198, 4938), -- 普安村
  ('500118901208', 2668, 2535), -- 天堂村
  ('500118901209', 3329, 3163), -- 天星村
  ('500118901210', 3796, 3606)  -- 兴隆村
) AS t (village_code, registered_population, task)
ON CONFLICT DO NOTHING;

-- The division tree progress rolls up along: the identity registry's demo divisions (loaded just before this file).
INSERT INTO divisions (tenant_id, code, name, level, parent_code)
SELECT tenant_id, code, name, level, parent_code FROM identity_registry.divisions
ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code;

-- Last year's enrolled count per village (coverage year 2023), from the identity registry's prior-year roster (its
-- 2023 enrolments, loaded before this file): the base of Lidu's targets (seed 000 二 以2023年实际参保人数为目标) and the
-- floor of Gaoyang's (seed 004 一（三）1 不低于2023年城乡居民参保人数). ImportVillageTargets takes it for a village whose
-- import gives no last_year_enrolled. A roster imported later at run time reaches quota-tracking as its
-- identity.prior-enrolments-imported events, which add the rows that import wrote to these counters.
INSERT INTO village_counters (tenant_id, coverage_year, village_code, enrolled_count, paid_count, zero_contribution_count,
                              collected_amount_fen, refunded_count, updated_at)
SELECT r.tenant_id, e.coverage_year, r.village_code, count(*), count(*) FILTER (WHERE e.personal_amount_fen > 0),
       count(*) FILTER (WHERE e.personal_amount_fen = 0), sum(e.personal_amount_fen), 0, now()
FROM identity_registry.enrolments e
JOIN identity_registry.residents r ON r.tenant_id = e.tenant_id AND r.resident_id = e.resident_id
WHERE e.coverage_year = 2023 AND e.status = 'enrolled'
GROUP BY r.tenant_id, e.coverage_year, r.village_code
ON CONFLICT (tenant_id, coverage_year, village_code) DO NOTHING;
