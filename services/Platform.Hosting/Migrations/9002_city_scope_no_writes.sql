-- City scope never writes. The first tenant_write policy let a row through when its tenant_id equalled
-- medins.tenant_id, and the city scope runs with medins.tenant_id = '' (so does a session that never set it), so
-- rows of tenant '' were writable outside any tenant. A write now needs the tenant scope naming the row's
-- (non-empty) tenant, or the system scope (outbox relay, retention). city_scope_audit keeps its own insert policy:
-- recording a city-scope read is the one write the city scope makes.

CREATE FUNCTION create_tenant_write_policy(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($p$CREATE POLICY tenant_write ON %s FOR ALL USING (
      current_setting('medins.scope', true) = 'system'
      OR (current_setting('medins.scope', true) = 'tenant'
          AND tenant_id = current_setting('medins.tenant_id', true) AND tenant_id <> ''))
    WITH CHECK (
      current_setting('medins.scope', true) = 'system'
      OR (current_setting('medins.scope', true) = 'tenant'
          AND tenant_id = current_setting('medins.tenant_id', true) AND tenant_id <> ''))$p$, tbl);
END $$;

-- Tables created by later migrations get the same policies.
CREATE OR REPLACE FUNCTION enable_tenant_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format($p$CREATE POLICY tenant_read ON %s FOR SELECT USING (
      tenant_id = current_setting('medins.tenant_id', true)
      OR current_setting('medins.scope', true) IN ('city', 'system'))$p$, tbl);
  PERFORM create_tenant_write_policy(tbl);
END $$;

-- Every table of this schema that has the old policy gets the new one.
DO $$
DECLARE t record;
BEGIN
  FOR t IN SELECT p.polrelid::regclass AS tbl
           FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
           WHERE p.polname = 'tenant_write' AND c.relnamespace = current_schema()::regnamespace
  LOOP
    EXECUTE format('DROP POLICY tenant_write ON %s', t.tbl);
    PERFORM create_tenant_write_policy(t.tbl);
  END LOOP;
END $$;
