-- Demo city: a 2024 policy for every tenant. The walking skeleton prices a flat Chongqing/Sichuan/Hebei tier 1
-- of 380 yuan (seeds 000, 002, 003, 004); Chongqing tenants also offer tier 2 (755 yuan, seed 000 §2).
INSERT INTO policies (tenant_id, coverage_year, version, policy_id, document, published_at)
SELECT t.tenant_id, 2024, 1, t.tenant_id || '-2024-v1', t.document::jsonb, '2023-08-31T00:00:00+08:00'
FROM (VALUES
  ('cq-lidu',              '{"defaultTier":1,"tiers":[{"tier":1,"name":"一档","personalStandardFen":38000},{"tier":2,"name":"二档","personalStandardFen":75500}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('cq-linjiang',          '{"defaultTier":1,"tiers":[{"tier":1,"name":"一档","personalStandardFen":38000},{"tier":2,"name":"二档","personalStandardFen":75500}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-dongpo',    '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-pengshan',  '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-renshou',   '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-hongya',    '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-danling',   '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('sc-meishan-qingshen',  '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}'),
  ('he-gaoyang',           '{"defaultTier":1,"tiers":[{"tier":1,"name":"个人缴费标准","personalStandardFen":38000}],"benefitStart":"2024-01-01","benefitEnd":"2024-12-31"}')
) AS t (tenant_id, document)
ON CONFLICT DO NOTHING;
