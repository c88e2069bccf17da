-- Certified identities (docs/domain.md, "Subsidised identities" and "Identity sources"). Each tenant's department lists use local codes; the vocabulary maps
-- them to the canonical categories of the contribution policies and holds the tenant's import order as data.
CREATE TABLE identity_codes (
  tenant_id    text NOT NULL,
  local_code   text NOT NULL,
  category     text NOT NULL CHECK (category ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  department   text NOT NULL CHECK (department IN ('civil_affairs', 'rural_revitalisation', 'health',
                 'disabled_persons_federation', 'veterans_affairs', 'natural_resources', 'education')),
  name         text NOT NULL,
  -- Meishan's 导盘顺序: an identity of a later step stands over one of an earlier step; NULL: no import order.
  import_step  int CHECK (import_step > 0),
  PRIMARY KEY (tenant_id, local_code)
);
CREATE INDEX identity_codes_by_category ON identity_codes (tenant_id, category, local_code);
SELECT enable_tenant_rls('identity_codes');

CREATE TABLE identity_import_batches (
  tenant_id        text        NOT NULL,
  batch_id         uuid        NOT NULL,
  source           text        NOT NULL,
  certified_count  int         NOT NULL,
  unchanged_count  int         NOT NULL,
  rejected_count   int         NOT NULL,
  imported_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, batch_id)
);
SELECT enable_tenant_rls('identity_import_batches');

-- History is never overwritten: a change inserts a new row and revokes the one it replaces.
CREATE TABLE certified_identities (
  tenant_id      text        NOT NULL,
  identity_id    uuid        NOT NULL,
  resident_id    uuid        NOT NULL,
  -- The resident's village, copied so the special-identities ledger can walk identities in village order.
  village_code   text        NOT NULL,
  category       text        NOT NULL,
  local_code     text,
  department     text        NOT NULL,
  valid_from     date        NOT NULL,
  valid_to       date CHECK (valid_to >= valid_from),
  import_step    int,
  batch_id       uuid,
  certified_at   timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoke_reason  text,
  PRIMARY KEY (tenant_id, identity_id),
  FOREIGN KEY (tenant_id, resident_id) REFERENCES residents (tenant_id, resident_id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES identity_import_batches (tenant_id, batch_id)
);
CREATE INDEX certified_identities_current ON certified_identities (tenant_id, resident_id) WHERE revoked_at IS NULL;
CREATE INDEX certified_identities_ledger ON certified_identities (tenant_id, village_code, resident_id) WHERE revoked_at IS NULL;
-- At most one unrevoked identity per person and category: re-certification revokes the old row first.
CREATE UNIQUE INDEX certified_identities_one_current ON certified_identities (tenant_id, resident_id, category)
  WHERE revoked_at IS NULL;
SELECT enable_tenant_rls('certified_identities');
