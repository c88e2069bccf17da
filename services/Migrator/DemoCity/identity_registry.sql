-- Demo city: administrative divisions of the nine demo tenants under their cities (seeds 000, 002, 003, 004).
-- City rows (tenant 'city', seen by city scope only) and county codes are GB/T 2260: Chongqing 500000 with Fuling
-- 500102 and Yongchuan 500118; Meishan 511400 with 511402, 511403, 511421, 511423, 511424, 511425; Baoding 130600
-- with Gaoyang 130628. Lidu and Linjiang are townships: their tenant holds the district as its county row too.
-- SYNTHETIC PLACEHOLDERS: the seeds give no township (9-digit) or village (12-digit) codes, so every such code here
-- is made up under its county prefix (townships from 901; below them communities from 001 and villages from 201,
-- following the statistical division codes' split of residents' and villagers' committees). Named from the seeds:
-- 李渡街道, 临江镇 and its 11 villages/communities (seed 002's task table), Gaoyang's 8 towns/subdistricts (seed 004).
-- Names containing 示例 are invented demo places.
INSERT INTO divisions (tenant_id, code, name, level, parent_code)
VALUES
  ('city',                 '500000',        '重庆市',          'city',     NULL),
  ('city',                 '511400',        '眉山市',          'city',     NULL),
  ('city',                 '130600',        '保定市',          'city',     NULL),
  ('cq-lidu',              '500102',        '涪陵区',          'county',   '500000'),
  ('cq-lidu',              '500102901',     '李渡街道',         'township', '500102'),
  ('cq-lidu',              '500102901001',  '李渡示例一社区',      'village',  '500102901'),
  ('cq-lidu',              '500102901002',  '李渡示例二社区',      'village',  '500102901'),
  ('cq-lidu',              '500102901201',  '李渡示例村',        'village',  '500102901'),
  ('cq-linjiang',          '500118',        '永川区',          'county',   '500000'),
  ('cq-linjiang',          '500118901',     '临江镇',          'township', '500118'),
  ('cq-linjiang',          '500118901001',  '临江社区',         'village',  '500118901'),
  ('cq-linjiang',          '500118901201',  '高滩村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901202',  '桂林村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901203',  '九龙村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901204',  '龙安村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901205',  '龙洞桥村',         'village',  '500118901'),
  ('cq-linjiang',          '500118901206',  '隆顺村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901207',  '普安村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901208',  '天堂村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901209',  '天星村',          'village',  '500118901'),
  ('cq-linjiang',          '500118901210',  '兴隆村',          'village',  '500118901'),
  ('sc-meishan-dongpo',    '511402',        '东坡区',          'county',   '511400'),
  ('sc-meishan-dongpo',    '511402901',     '东坡区示例镇',       'township', '511402'),
  ('sc-meishan-dongpo',    '511402901201',  '东坡区示例村',       'village',  '511402901'),
  ('sc-meishan-pengshan',  '511403',        '彭山区',          'county',   '511400'),
  ('sc-meishan-pengshan',  '511403901',     '彭山区示例镇',       'township', '511403'),
  ('sc-meishan-pengshan',  '511403901201',  '彭山区示例村',       'village',  '511403901'),
  ('sc-meishan-renshou',   '511421',        '仁寿县',          'county',   '511400'),
  ('sc-meishan-renshou',   '511421901',     '仁寿县示例镇',       'township', '511421'),
  ('sc-meishan-renshou',   '511421901201',  '仁寿县示例村',       'village',  '511421901'),
  ('sc-meishan-hongya',    '511423',        '洪雅县',          'county',   '511400'),
  ('sc-meishan-hongya',    '511423901',     '洪雅县示例镇',       'township', '511423'),
  ('sc-meishan-hongya',    '511423901201',  '洪雅县示例村',       'village',  '511423901'),
  ('sc-meishan-danling',   '511424',        '丹棱县',          'county',   '511400'),
  ('sc-meishan-danling',   '511424901',     '丹棱县示例镇',       'township', '511424'),
  ('sc-meishan-danling',   '511424901201',  '丹棱县示例村',       'village',  '511424901'),
  ('sc-meishan-qingshen',  '511425',        '青神县',          'county',   '511400'),
  ('sc-meishan-qingshen',  '511425901',     '青神县示例镇',       'township', '511425'),
  ('sc-meishan-qingshen',  '511425901201',  '青神县示例村',       'village',  '511425901'),
  ('he-gaoyang',           '130628',        '高阳县',          'county',   '130600'),
  ('he-gaoyang',           '130628901',     '锦华街道',         'township', '130628'),
  ('he-gaoyang',           '130628901001',  '锦华示例社区',       'village',  '130628901'),
  ('he-gaoyang',           '130628902',     '庞口镇',          'township', '130628'),
  ('he-gaoyang',           '130628902201',  '庞口示例村',        'village',  '130628902'),
  ('he-gaoyang',           '130628903',     '西演镇',          'township', '130628'),
  ('he-gaoyang',           '130628903201',  '西演示例村',        'village',  '130628903'),
  ('he-gaoyang',           '130628904',     '邢南镇',          'township', '130628'),
  ('he-gaoyang',           '130628904201',  '邢南示例村',        'village',  '130628904'),
  ('he-gaoyang',           '130628905',     '晋庄镇',          'township', '130628'),
  ('he-gaoyang',           '130628905201',  '晋庄示例村',        'village',  '130628905'),
  ('he-gaoyang',           '130628906',     '小王果庄镇',        'township', '130628'),
  ('he-gaoyang',           '130628906201',  '小王果庄示例村',      'village',  '130628906'),
  ('he-gaoyang',           '130628907',     '蒲口镇',          'township', '130628'),
  ('he-gaoyang',           '130628907201',  '蒲口示例村',        'village',  '130628907'),
  ('he-gaoyang',           '130628908',     '庞佐镇',          'township', '130628'),
  ('he-gaoyang',           '130628908201',  '庞佐示例村',        'village',  '130628908')
ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code;

-- Certified-identity vocabulary of the six Meishan tenants (seed 003 三（二）, 三（三）): each local code's
-- canonical category (as in the contribution policy sc-meishan-2024), its certifying department (seed 003 附件1) and
-- its step in the import order 导盘顺序 (a later step overrides an earlier one for the same person).
INSERT INTO identity_codes (tenant_id, local_code, category, department, name, import_step)
SELECT t.tenant_id, c.local_code, c.category, c.department, c.name, c.import_step
FROM (VALUES ('sc-meishan-dongpo'), ('sc-meishan-pengshan'), ('sc-meishan-renshou'), ('sc-meishan-hongya'),
             ('sc-meishan-danling'), ('sc-meishan-qingshen')) AS t (tenant_id)
CROSS JOIN (VALUES
  ('993406', 'stable-out-of-poverty',     'rural_revitalisation',        '已稳定脱贫人口',     1),
  ('230202', 'unstable-out-of-poverty',   'rural_revitalisation',        '脱贫不稳定户',       2),
  ('230508', 'edge-poverty',              'rural_revitalisation',        '边缘易致贫户',       2),
  ('230705', 'sudden-hardship',           'rural_revitalisation',        '突发严重困难户',     2),
  ('2303',   'dibao',                     'civil_affairs',               '低保救助对象',       3),
  ('2305',   'low-income',                'civil_affairs',               '低收入救助对象',     3),
  ('236010', 'family-planning-special',   'health',                      '计生特别扶助对象',   4),
  ('01',     'land-expropriated-overage', 'natural_resources',           '被征地农民超龄人员', 5),
  ('236046', 'severe-disability',         'disabled_persons_federation', '重度残疾人',         6),
  ('9925',   'martyr-family',             'veterans_affairs',            '烈士遗属',           7),
  ('992601', 'on-duty-death-family',      'veterans_affairs',            '因公牺牲军人遗属',   7),
  ('2101',   'on-duty-death-relative',    'veterans_affairs',            '因公牺牲军人家属',   7),
  ('216002', 'veteran-at-home',           'veterans_affairs',            '在乡复员军人',       7),
  ('9934',   'ill-returned-veteran',      'veterans_affairs',            '带病回乡退伍军人',   7),
  ('246003', 'war-or-test-veteran',       'veterans_affairs',            '参战参试退役人员',   7),
  ('9935',   'nuclear-test-veteran',      'veterans_affairs',            '参战涉核退役人员',   7),
  ('9901',   'disabled-soldier-1',        'veterans_affairs',            '一级残疾军人',       7),
  ('9930',   'disabled-soldier-2',        'veterans_affairs',            '二级残疾军人',       7),
  ('9931',   'disabled-soldier-3',        'veterans_affairs',            '三级残疾军人',       7),
  ('9917',   'disabled-soldier-4',        'veterans_affairs',            '四级残疾军人',       7),
  ('9918',   'disabled-soldier-5',        'veterans_affairs',            '五级残疾军人',       7),
  ('9919',   'disabled-soldier-6',        'veterans_affairs',            '六级残疾军人',       7),
  ('9920',   'disabled-soldier-7',        'veterans_affairs',            '七级残疾军人',       7),
  ('9921',   'disabled-soldier-8',        'veterans_affairs',            '八级残疾军人',       7),
  ('9922',   'disabled-soldier-9',        'veterans_affairs',            '九级残疾军人',       7),
  ('9923',   'disabled-soldier-10',       'veterans_affairs',            '十级残疾军人',       7),
  ('2361',   'orphan',                    'civil_affairs',               '孤儿',               8),
  ('2304',   'tekun',                     'civil_affairs',               '特困救助对象',       9)
) AS c (local_code, category, department, name, import_step)
ON CONFLICT (tenant_id, local_code) DO UPDATE SET category = excluded.category, department = excluded.department,
  name = excluded.name, import_step = excluded.import_step;

-- Certified-identity vocabulary of Gaoyang (seed 004 二（三）): its lists carry no system codes, so
-- each canonical category (as in the contribution policy he-gaoyang-2024) is its own code. 特困 and 低保 come from
-- civil affairs, the poverty-monitoring groups from rural revitalisation; one import step, as the seed sets no order.
INSERT INTO identity_codes (tenant_id, local_code, category, department, name, import_step)
SELECT 'he-gaoyang', c.category, c.category, c.department, c.name, 1
FROM (VALUES
  ('tekun',                          'civil_affairs',        '特困人员'),
  ('dibao',                          'civil_affairs',        '低保对象'),
  ('returned-to-poverty',            'rural_revitalisation', '返贫致贫人口'),
  ('unstable-out-of-poverty',        'rural_revitalisation', '脱贫不稳定人口'),
  ('out-of-poverty-sudden-hardship', 'rural_revitalisation', '脱贫人口中的突发严重困难人口'),
  ('stable-out-of-poverty',          'rural_revitalisation', '其他脱贫人口'),
  ('edge-poverty',                   'rural_revitalisation', '边缘易致贫人口'),
  ('sudden-hardship',                'rural_revitalisation', '突发严重困难人口')
) AS c (category, department, name)
ON CONFLICT (tenant_id, local_code) DO UPDATE SET category = excluded.category, department = excluded.department,
  name = excluded.name, import_step = excluded.import_step;

-- Registered populations of Linjiang's villages and community from its task table (seed 002 附件 任务表),
-- 37,694 in all.
UPDATE divisions d SET registered_population = p.population
FROM (VALUES
  ('500118901201', 5027), ('500118901202', 2540), ('500118901203', 3412), ('500118901001', 2358),
  ('500118901204', 2461), ('500118901205', 2952), ('500118901206', 3953), ('500118901207', 5198),
  ('500118901208', 2668), ('500118901209', 3329), ('500118901210', 3796)
) AS p (code, population)
WHERE d.tenant_id = 'cq-linjiang' AND d.code = p.code;

-- Certified-identity vocabulary of Lidu (seed 000 三（三）): the seed gives no system codes, so each canonical category
-- (as in the contribution policy cq-lidu-2024) is its own code. No import order: a person holding several identities
-- is subsidised by the highest (seed 000 三（三） 按其参保缴费时的最高资助标准身份进行资助). Seed 000 names no certifying
-- departments; each list is given to the department that keeps it in Linjiang's division of duties (seed 002 二（二）:
-- 民政, 乡村振兴, 退役军人) or, beyond those lists, in Meishan's (seed 003 附件1: 卫健 family planning, 残联
-- disability, 教育 students).
INSERT INTO identity_codes (tenant_id, local_code, category, department, name, import_step)
SELECT 'cq-lidu', c.category, c.category, c.department, c.name, NULL
FROM (VALUES
  ('tekun',                                  'civil_affairs',               '特困人员'),
  ('orphan',                                 'civil_affairs',               '城乡孤儿'),
  ('de-facto-unsupported-child',             'civil_affairs',               '事实无人抚养困境儿童'),
  ('dibao',                                  'civil_affairs',               '低保对象'),
  ('dibao-edge',                             'civil_affairs',               '低保边缘户'),
  ('civil-affairs-special-hardship',         'civil_affairs',               '民政部门建档的其他特殊困难人员'),
  ('illness-impoverished',                   'civil_affairs',               '因病致贫重病患者'),
  ('returned-to-poverty',                    'rural_revitalisation',        '返贫致贫人口'),
  ('unstable-out-of-poverty',                'rural_revitalisation',        '脱贫不稳定户'),
  ('edge-poverty',                           'rural_revitalisation',        '边缘易致贫户'),
  ('sudden-hardship',                        'rural_revitalisation',        '突发严重困难户'),
  ('entitled-group',                         'veterans_affairs',            '享受国家定期抚恤补助的优抚对象'),
  ('veteran-at-home',                        'veterans_affairs',            '在乡复员军人'),
  ('martyr-family',                          'veterans_affairs',            '烈士遗属'),
  ('on-duty-death-family',                   'veterans_affairs',            '因公牺牲军人遗属'),
  ('illness-death-family',                   'veterans_affairs',            '病故军人遗属'),
  ('severe-disability',                      'disabled_persons_federation', '城乡重度（1—2级）残疾人员'),
  ('family-planning-reward',                 'health',                      '计划生育奖励扶助人员'),
  ('family-planning-special',                'health',                      '计划生育特别扶助人员'),
  ('family-planning-special-disabled-child', 'health',                      '计划生育特别扶助人员残疾子女'),
  ('family-planning-surgery-complication',   'health',                      '计划生育手术并发症人员'),
  ('hardship-university-student',           'education',                   '家庭经济困难大学生')
) AS c (category, department, name)
ON CONFLICT (tenant_id, local_code) DO UPDATE SET category = excluded.category, department = excluded.department,
  name = excluded.name, import_step = excluded.import_step;

-- Certified-identity vocabulary of Linjiang (seed 002 二（二）): the lists the township's offices certify, with their
-- offices, each canonical category (as in the contribution policy cq-linjiang-2024) its own code; no import order.
INSERT INTO identity_codes (tenant_id, local_code, category, department, name, import_step)
SELECT 'cq-linjiang', c.category, c.category, c.department, c.name, NULL
FROM (VALUES
  ('tekun',                          'civil_affairs',        '特困供养对象'),
  ('dibao',                          'civil_affairs',        '低保对象'),
  ('dibao-edge',                     'civil_affairs',        '低保边缘户'),
  ('civil-affairs-special-hardship', 'civil_affairs',        '其他民政对象'),
  ('returned-to-poverty',            'rural_revitalisation', '返贫致贫人口'),
  ('unstable-out-of-poverty',        'rural_revitalisation', '脱贫不稳定户'),
  ('edge-poverty',                   'rural_revitalisation', '边缘易致贫户'),
  ('sudden-hardship',                'rural_revitalisation', '突发严重困难户'),
  ('entitled-group',                 'veterans_affairs',     '重点优抚对象')
) AS c (category, department, name)
ON CONFLICT (tenant_id, local_code) DO UPDATE SET category = excluded.category, department = excluded.department,
  name = excluded.name, import_step = excluded.import_step;

-- Last year's enrolled roster (2023), as ImportPriorEnrolments would record it from the provincial system: a fixed
-- share (about six in ten, chosen by resident id so a reload picks the same people) of the residents the demo city
-- holds when it is loaded, in every tenant, so the "enrolled last year, not this year" ledger (seed 003 六（二）) and
-- the bases counted from last year (seed 000 二 以2023年实际参保人数为目标; seed 004 一（三）1 不低于2023年城乡居民
-- 参保人数) have people. Only people with no 2023 enrolment:
-- a paid order or an imported roster row is never overwritten. SYNTHETIC PLACEHOLDER: the seeds state no 2023
-- amounts, so every row carries 350 元 and no tier.
INSERT INTO enrolments (tenant_id, resident_id, coverage_year, status, personal_amount_fen, updated_at, source, tier)
SELECT r.tenant_id, r.resident_id, 2023, 'enrolled', 35000, r.created_at, 'prior_roster', NULL
FROM residents r
WHERE get_byte(decode(md5(r.resident_id::text), 'hex'), 0) % 10 < 6
  AND r.created_at < timestamptz '2024-01-01 00:00:00+08'
ON CONFLICT (tenant_id, resident_id, coverage_year) DO NOTHING;
