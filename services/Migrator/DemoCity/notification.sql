-- Demo city notification data: templates, quiet hours and the officials who receive alerts and bulletins.
-- SYNTHETIC: every official's name and phone number (1380000xxxx) and every provider template id below is made up;
-- none belongs to a real person or a real provider account.

-- Templates of every demo tenant. SMS goes to everyone with a phone (the local sink stores it unless a provider is
-- configured); WeChat reaches residents who bound the bureau's official account. Placeholders are those the
-- notification service fills for each key (amounts in yuan, dates yyyy-MM-dd, rates as percentages). Each provider
-- parameter is filled from the placeholder at its position: SMS takes positional parameters in order of use, WeChat
-- named keywords.
INSERT INTO templates (tenant_id, template_key, version, channel, provider_template_id, provider_params, placeholder_names, body)
SELECT t.tenant_id, k.template_key, 1, k.channel, k.provider_template_id, k.provider_params::text[], k.placeholder_names::text[], k.body
FROM (VALUES ('cq-lidu'), ('cq-linjiang'), ('sc-meishan-dongpo'), ('sc-meishan-pengshan'), ('sc-meishan-renshou'),
             ('sc-meishan-hongya'), ('sc-meishan-danling'), ('sc-meishan-qingshen'), ('he-gaoyang')) AS t (tenant_id)
CROSS JOIN (VALUES
  ('payment-receipt', 'SMS', '', '{1,2,3,4}', '{coverage_year,amount_yuan,benefit_start,benefit_end}',
   '您已缴纳{coverage_year}年度城乡居民医保个人缴费{amount_yuan}元，待遇享受期{benefit_start}至{benefit_end}。'),
  ('refund-notice', 'SMS', '', '{1,2,3}', '{coverage_year,refund_date,amount_yuan}',
   '您{coverage_year}年度城乡居民医保个人缴费已于{refund_date}退费{amount_yuan}元。'),
  ('reminder', 'SMS', '', '{1,2,3}', '{name,coverage_year,deadline}',
   '{name}您好：{coverage_year}年度城乡居民医保集中缴费截至{deadline}，请通过微信、支付宝或村（社区）代收点及时缴费。回复TD退订'),
  ('behind-schedule-alert', 'SMS', '', '{1,2,3,4,5,6}', '{village_name,snapshot_date,coverage_year,achieved_rate,target_rate,gap}',
   '{village_name}：截至{snapshot_date}，本村（社区）{coverage_year}年度城乡居民医保参保率{achieved_rate}，低于序时进度{target_rate}，相差{gap}，请抓紧入户动员，做好缴费服务。'),
  ('weekly-bulletin', 'SMS', '', '{1,2,3,4,5,6,7,8,9}', '{township_name,coverage_year,snapshot_date,enrolled_count,enrolled_this_week,enrolment_rate,expected_rate,villages_behind_schedule,lagging_villages}',
   '{township_name}{coverage_year}年度城乡居民医保参保周报（截至{snapshot_date}）：已参保{enrolled_count}人，本周新增{enrolled_this_week}人，参保率{enrolment_rate}，序时进度{expected_rate}；低于序时进度的村（社区）{villages_behind_schedule}个：{lagging_villages}。请督促落后村（社区）加快进度。'),
  ('cash-unremitted-alert', 'SMS', '', '{1,2,3,4,5}', '{village_name,agent_id,collection_date,receipt_count,amount_yuan}',
   '{village_name}代收员{agent_id}于{collection_date}代收的城乡居民医保缴费{receipt_count}笔、共{amount_yuan}元尚未按时解缴，请督促其尽快解缴至指定账户。'),
  ('payment-receipt', 'WECHAT', 'demo-wx-payment-receipt-01', '{thing1,amount2,time3,time4}', '{coverage_year,amount_yuan,benefit_start,benefit_end}',
   '缴费成功：您已缴纳{coverage_year}年度城乡居民医保个人缴费{amount_yuan}元，待遇享受期{benefit_start}至{benefit_end}。'),
  ('reminder', 'WECHAT', 'demo-wx-reminder-01', '{thing1,thing2,time3}', '{name,coverage_year,deadline}',
   '{name}您好：{coverage_year}年度城乡居民医保集中缴费截至{deadline}，可在本公众号直接缴费，也可到村（社区）代收点缴费。')
) AS k (template_key, channel, provider_template_id, provider_params, placeholder_names, body)
ON CONFLICT DO NOTHING;

-- Quiet hours of every demo tenant: the platform default (21:00–08:00 Beijing time for SMS and WeChat), stated as data.
INSERT INTO tenant_settings (tenant_id, quiet_start, quiet_end, quiet_channels)
SELECT t.tenant_id, '21:00', '08:00', '{SMS,WECHAT}'
FROM (VALUES ('cq-lidu'), ('cq-linjiang'), ('sc-meishan-dongpo'), ('sc-meishan-pengshan'), ('sc-meishan-renshou'),
             ('sc-meishan-hongya'), ('sc-meishan-danling'), ('sc-meishan-qingshen'), ('he-gaoyang')) AS t (tenant_id)
ON CONFLICT DO NOTHING;

-- A village head for every demo village and a township leader for every demo township (the division codes of
-- identity-registry's demo divisions).
INSERT INTO officials (tenant_id, official_id, name, role, division_code, phone, update_time)
SELECT o.tenant_id, o.official_id, o.name, o.role, o.division_code, o.phone, timestamptz '2023-09-01 08:00:00+08'
FROM (VALUES
  ('cq-lidu', 'tl-500102901', '王建国', 'TOWNSHIP_LEADER', '500102901', '13800002001'),
  ('cq-lidu', 'vh-500102901001', '李秀英', 'VILLAGE_HEAD', '500102901001', '13800001001'),
  ('cq-lidu', 'vh-500102901002', '张志强', 'VILLAGE_HEAD', '500102901002', '13800001002'),
  ('cq-lidu', 'vh-500102901201', '刘桂芳', 'VILLAGE_HEAD', '500102901201', '13800001003'),
  ('cq-linjiang', 'tl-500118901', '陈红梅', 'TOWNSHIP_LEADER', '500118901', '13800002002'),
  ('cq-linjiang', 'vh-500118901001', '杨国华', 'VILLAGE_HEAD', '500118901001', '13800001004'),
  ('cq-linjiang', 'vh-500118901201', '赵德明', 'VILLAGE_HEAD', '500118901201', '13800001005'),
  ('cq-linjiang', 'vh-500118901202', '黄玉兰', 'VILLAGE_HEAD', '500118901202', '13800001006'),
  ('cq-linjiang', 'vh-500118901203', '周文军', 'VILLAGE_HEAD', '500118901203', '13800001007'),
  ('cq-linjiang', 'vh-500118901204', '吴春燕', 'VILLAGE_HEAD', '500118901204', '13800001008'),
  ('cq-linjiang', 'vh-500118901205', '徐永福', 'VILLAGE_HEAD', '500118901205', '13800001009'),
  ('cq-linjiang', 'vh-500118901206', '孙海燕', 'VILLAGE_HEAD', '500118901206', '13800001010'),
  ('cq-linjiang', 'vh-500118901207', '马明亮', 'VILLAGE_HEAD', '500118901207', '13800001011'),
  ('cq-linjiang', 'vh-500118901208', '朱丽华', 'VILLAGE_HEAD', '500118901208', '13800001012'),
  ('cq-linjiang', 'vh-500118901209', '胡学军', 'VILLAGE_HEAD', '500118901209', '13800001013'),
  ('cq-linjiang', 'vh-500118901210', '郭晓东', 'VILLAGE_HEAD', '500118901210', '13800001014'),
  ('sc-meishan-dongpo', 'tl-511402901', '何金凤', 'TOWNSHIP_LEADER', '511402901', '13800002003'),
  ('sc-meishan-dongpo', 'vh-511402901201', '高长顺', 'VILLAGE_HEAD', '511402901201', '13800001015'),
  ('sc-meishan-pengshan', 'tl-511403901', '林小平', 'TOWNSHIP_LEADER', '511403901', '13800002004'),
  ('sc-meishan-pengshan', 'vh-511403901201', '罗建华', 'VILLAGE_HEAD', '511403901201', '13800001016'),
  ('sc-meishan-renshou', 'tl-511421901', '郑淑珍', 'TOWNSHIP_LEADER', '511421901', '13800002005'),
  ('sc-meishan-renshou', 'vh-511421901201', '梁卫东', 'VILLAGE_HEAD', '511421901201', '13800001017'),
  ('sc-meishan-hongya', 'tl-511423901', '谢光荣', 'TOWNSHIP_LEADER', '511423901', '13800002006'),
  ('sc-meishan-hongya', 'vh-511423901201', '宋翠花', 'VILLAGE_HEAD', '511423901201', '13800001018'),
  ('sc-meishan-danling', 'tl-511424901', '唐新民', 'TOWNSHIP_LEADER', '511424901', '13800002007'),
  ('sc-meishan-danling', 'vh-511424901201', '许雪梅', 'VILLAGE_HEAD', '511424901201', '13800001019'),
  ('sc-meishan-qingshen', 'tl-511425901', '韩成刚', 'TOWNSHIP_LEADER', '511425901', '13800002008'),
  ('sc-meishan-qingshen', 'vh-511425901201', '冯凤英', 'VILLAGE_HEAD', '511425901201', '13800001020'),
  ('he-gaoyang', 'tl-130628901', '邓家强', 'TOWNSHIP_LEADER', '130628901', '13800002009'),
  ('he-gaoyang', 'vh-130628901001', '曹巧云', 'VILLAGE_HEAD', '130628901001', '13800001021'),
  ('he-gaoyang', 'tl-130628902', '彭正平', 'TOWNSHIP_LEADER', '130628902', '13800002010'),
  ('he-gaoyang', 'vh-130628902201', '曾兰英', 'VILLAGE_HEAD', '130628902201', '13800001022'),
  ('he-gaoyang', 'tl-130628903', '萧德胜', 'TOWNSHIP_LEADER', '130628903', '13800002011'),
  ('he-gaoyang', 'vh-130628903201', '田素芬', 'VILLAGE_HEAD', '130628903201', '13800001023'),
  ('he-gaoyang', 'tl-130628904', '董立新', 'TOWNSHIP_LEADER', '130628904', '13800002012'),
  ('he-gaoyang', 'vh-130628904201', '袁美华', 'VILLAGE_HEAD', '130628904201', '13800001024'),
  ('he-gaoyang', 'tl-130628905', '潘福生', 'TOWNSHIP_LEADER', '130628905', '13800002013'),
  ('he-gaoyang', 'vh-130628905201', '于桂兰', 'VILLAGE_HEAD', '130628905201', '13800001025'),
  ('he-gaoyang', 'tl-130628906', '蒋宏伟', 'TOWNSHIP_LEADER', '130628906', '13800002014'),
  ('he-gaoyang', 'vh-130628906201', '蔡亚琴', 'VILLAGE_HEAD', '130628906201', '13800001026'),
  ('he-gaoyang', 'tl-130628907', '余向阳', 'TOWNSHIP_LEADER', '130628907', '13800002015'),
  ('he-gaoyang', 'vh-130628907201', '杜玉珍', 'VILLAGE_HEAD', '130628907201', '13800001027'),
  ('he-gaoyang', 'tl-130628908', '叶振华', 'TOWNSHIP_LEADER', '130628908', '13800002016'),
  ('he-gaoyang', 'vh-130628908201', '程秋菊', 'VILLAGE_HEAD', '130628908201', '13800001028')
) AS o (tenant_id, official_id, name, role, division_code, phone)
ON CONFLICT DO NOTHING;
