-- Administrative divisions (GB/T 2260 style codes: 6-digit county, 9-digit township, 12-digit village). A tenant
-- holds its own subtree; the city level belongs to tenant 'city' and is visible to city scope only.
CREATE TABLE divisions (
  tenant_id    text NOT NULL,
  code         text NOT NULL CHECK (code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'),
  name         text NOT NULL,
  level        text NOT NULL CHECK (level IN ('city', 'county', 'township', 'village')),
  -- No foreign key: a tenant's root hangs under a division of another tenant (a county under the city).
  parent_code  text,
  PRIMARY KEY (tenant_id, code)
);
CREATE INDEX divisions_children ON divisions (tenant_id, parent_code, code);
SELECT enable_tenant_rls('divisions');
