-- Village cash (代收现金): the agents who may take cash, one receipt per person linked to the order it paid, the
-- remittances that hand a day's cash in with a bank deposit slip, each tenant's remittance cut-off, and the alerts
-- raised for cash still held past it (once per agent and day).

CREATE TABLE cash_agents (
  tenant_id      text        NOT NULL,
  agent_id       text        NOT NULL,
  name           text        NOT NULL,
  village_code   text        NOT NULL,
  registered_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, agent_id)
);
CREATE INDEX cash_agents_by_village ON cash_agents (tenant_id, village_code);
SELECT enable_tenant_rls('cash_agents');

-- A tenant without a row uses the service's default cut-off (PaymentCollection:VillageCash:DefaultRemittanceCutoff).
CREATE TABLE cash_remittance_settings (
  tenant_id          text        NOT NULL,
  -- Asia/Shanghai time of day by which each day's cash must be deposited.
  remittance_cutoff  time        NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id)
);
SELECT enable_tenant_rls('cash_remittance_settings');

CREATE TABLE cash_remittances (
  tenant_id          text        NOT NULL,
  remittance_id      uuid        NOT NULL,
  agent_id           text        NOT NULL,
  village_code       text        NOT NULL,
  collection_date    date        NOT NULL,
  deposit_reference  text        NOT NULL,
  amount_fen         bigint      NOT NULL CHECK (amount_fen > 0),
  receipt_count      int         NOT NULL CHECK (receipt_count > 0),
  remitted_at        timestamptz NOT NULL,
  cutoff_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, remittance_id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES cash_agents (tenant_id, agent_id),
  -- One deposit slip hands in one remittance.
  CONSTRAINT cash_remittances_one_per_deposit UNIQUE (tenant_id, deposit_reference)
);
SELECT enable_tenant_rls('cash_remittances');

-- Only cash is a receipt here: a fully subsidised person enrolled by an agent has an order (agent_id set) and no
-- receipt.
CREATE TABLE cash_receipts (
  tenant_id        text        NOT NULL,
  cash_receipt_id  uuid        NOT NULL,
  agent_id         text        NOT NULL,
  village_code     text        NOT NULL,
  order_id         uuid        NOT NULL,
  resident_id      text        NOT NULL,
  amount_fen       bigint      NOT NULL CHECK (amount_fen > 0),
  collected_at     timestamptz NOT NULL,
  -- The Asia/Shanghai day of collected_at, whose cut-off the cash must be remitted by.
  collection_date  date        NOT NULL,
  remittance_id    uuid,
  PRIMARY KEY (tenant_id, cash_receipt_id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES cash_agents (tenant_id, agent_id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES payment_orders (tenant_id, order_id),
  FOREIGN KEY (tenant_id, remittance_id) REFERENCES cash_remittances (tenant_id, remittance_id),
  CONSTRAINT cash_receipts_one_per_order UNIQUE (tenant_id, order_id)
);
CREATE INDEX cash_receipts_by_agent_day ON cash_receipts (tenant_id, agent_id, collection_date);
CREATE INDEX cash_receipts_by_day_village ON cash_receipts (tenant_id, collection_date, village_code);
-- The monitor's sweep: cash still held, whatever the day.
CREATE INDEX cash_receipts_unremitted ON cash_receipts (tenant_id, agent_id, collection_date) WHERE remittance_id IS NULL;
SELECT enable_tenant_rls('cash_receipts');

-- payment.cash-unremitted raised: the key makes it once per agent and day, across replicas and restarts.
CREATE TABLE cash_unremitted_alerts (
  tenant_id              text        NOT NULL,
  agent_id               text        NOT NULL,
  collection_date        date        NOT NULL,
  village_code           text        NOT NULL,
  unremitted_amount_fen  bigint      NOT NULL,
  receipt_count          int         NOT NULL,
  cutoff_at              timestamptz NOT NULL,
  raised_at              timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, agent_id, collection_date),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES cash_agents (tenant_id, agent_id)
);
SELECT enable_tenant_rls('cash_unremitted_alerts');
