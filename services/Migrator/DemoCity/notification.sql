-- Demo city: a payment receipt and a refund notice for every tenant, delivered to the local sink (stored, not sent).
-- Placeholders are those the notification service fills from contribution events (amounts in yuan, dates yyyy-MM-dd).
INSERT INTO templates (tenant_id, template_key, version, channel, body)
SELECT t.tenant_id, k.template_key, 1, 'LOCAL_SINK', k.body
FROM (VALUES ('cq-lidu'), ('cq-linjiang'), ('sc-meishan-dongpo'), ('sc-meishan-pengshan'), ('sc-meishan-renshou'),
             ('sc-meishan-hongya'), ('sc-meishan-danling'), ('sc-meishan-qingshen'), ('he-gaoyang')) AS t (tenant_id)
CROSS JOIN (VALUES
  ('payment-receipt', '您已缴纳{coverage_year}年度城乡居民医保个人缴费{amount_yuan}元，待遇享受期{benefit_start}至{benefit_end}。'),
  ('refund-notice',   '您{coverage_year}年度城乡居民医保个人缴费已于{refund_date}退费{amount_yuan}元。')
) AS k (template_key, body)
ON CONFLICT DO NOTHING;
