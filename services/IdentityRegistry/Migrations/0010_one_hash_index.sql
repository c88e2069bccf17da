-- Bulk import writes every lookup hash into each index that holds it, and hashes arrive in random order, so each such
-- index costs a random B-tree descent per row. One index serves both needs: keyed by (hash, tenant) it still keeps one
-- registration per person per tenant (ON CONFLICT (tenant_id, national_id_hash) infers it, column order aside) and
-- still lets the city-scope duplicate search walk hashes in order.
DROP INDEX residents_by_lookup_hash;
ALTER TABLE residents
  DROP CONSTRAINT residents_one_per_person,
  ADD CONSTRAINT residents_one_per_person UNIQUE (national_id_hash, tenant_id);
