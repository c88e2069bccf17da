-- Registered residents. The ID number and phone are stored only as AES-256-GCM ciphertext; a keyed HMAC of the
-- ID number finds a person again and keeps one registration per person per tenant.
CREATE TABLE residents (
  tenant_id              text        NOT NULL,
  resident_id            uuid        NOT NULL,
  national_id_encrypted  bytea       NOT NULL,
  national_id_hash       bytea       NOT NULL,
  birth_date             date        NOT NULL,
  sex                    text        NOT NULL CHECK (sex IN ('male', 'female')),
  name                   text        NOT NULL,
  village_code           text        NOT NULL,
  household_number       text,
  registration_type      text        NOT NULL CHECK (registration_type IN
                           ('household_registered', 'resident_from_elsewhere', 'student', 'residence_permit')),
  phone_encrypted        bytea,
  created_at             timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, resident_id),
  CONSTRAINT residents_one_per_person UNIQUE (tenant_id, national_id_hash),
  FOREIGN KEY (tenant_id, village_code) REFERENCES divisions (tenant_id, code)
);
CREATE INDEX residents_by_village ON residents (tenant_id, village_code, resident_id);
SELECT enable_tenant_rls('residents');
