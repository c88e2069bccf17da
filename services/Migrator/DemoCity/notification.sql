-- Demo city: the templates every tenant sends by SMS (the local sink stores them unless a provider is configured).
-- Placeholders are those the notification service fills for each key (amounts in yuan, dates yyyy-MM-dd).
INSERT INTO templates (tenant_id, template_key, version, channel, body)
SELECT t.tenant_id, k.template_key, 1, 'SMS', k.body
FROM (VALUES ('cq-lidu'), ('cq-linjiang'), ('sc-meishan-dongpo'), ('sc-meishan-pengshan'), ('sc-meishan-renshou'),
             ('sc-meishan-hongya'), ('sc-meishan-danling'), ('sc-meishan-qingshen'), ('he-gaoyang')) AS t (tenant_id)
CROSS JOIN (VALUES
  ('payment-receipt', '您已缴纳{coverage_year}年度城乡居民医保个人缴费{amount_yuan}元，待遇享受期{benefit_start}至{benefit_end}。'),
  ('refund-notice',   '您{coverage_year}年度城乡居民医保个人缴费已于{refund_date}退费{amount_yuan}元。'),
  ('reminder',        '{name}您好：{coverage_year}年度城乡居民医保集中缴费截至{deadline}，请通过微信、支付宝或村（社区）代收点及时缴费。')
) AS k (template_key, body)
ON CONFLICT DO NOTHING;
