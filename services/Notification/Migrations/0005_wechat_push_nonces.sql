-- WeChat signs token, timestamp and nonce, and nothing else: a captured push could be posted again. Each signed
-- (timestamp, nonce) is accepted once while its timestamp is inside the callback window, and pruned after it, when
-- the window alone refuses it. Not a tenant's data: written and read in the system scope (tenant '').
CREATE TABLE wechat_push_nonces (
  tenant_id  text        NOT NULL DEFAULT '',
  nonce      text        NOT NULL,
  signed_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, nonce, signed_at)
);
CREATE INDEX wechat_push_nonces_age ON wechat_push_nonces (signed_at);
SELECT enable_tenant_rls('wechat_push_nonces');
