-- Published policy versions: the document exactly as published, the day from which it prices payments, who
-- published it and the tenants the document applies to. A published version is immutable: a payment priced by it
-- must stay explainable by it forever.

-- The walking skeleton's flat documents cannot be compiled by the policy engine; they were demo data only, and the
-- demo load publishes the shipped policy documents instead.
DELETE FROM policies;

ALTER TABLE policies
  -- Quotes use the highest version whose effective_from is on or before the payment day.
  ADD COLUMN effective_from date NOT NULL,
  -- The text as published (comments included); `document` keeps the same content as jsonb for queries.
  ADD COLUMN document_text  text NOT NULL,
  ADD COLUMN published_by   text NOT NULL,
  ADD COLUMN applies_to     text[] NOT NULL;

CREATE INDEX policies_effective ON policies (tenant_id, coverage_year, effective_from, version);

CREATE FUNCTION refuse_policy_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'policy % version % of tenant % is published and cannot be changed; publish a new version',
    OLD.policy_id, OLD.version, OLD.tenant_id
    USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER policies_immutable BEFORE UPDATE OR DELETE ON policies
  FOR EACH ROW EXECUTE FUNCTION refuse_policy_change();
