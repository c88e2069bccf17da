-- Every resident and household names a village (a division) of its tenant. A foreign key checks that row by row, with
-- an index probe and a row lock per inserted row, and in a million-resident bulk load that was about as much work as
-- the inserts themselves. These triggers keep the same guarantee per statement: all the rows a statement wrote are
-- checked at once, the divisions they name are locked as a foreign key locks them (FOR KEY SHARE, so a concurrent
-- delete waits), and a division still named cannot be deleted or recoded. Like a foreign key they run as the tables'
-- owner, whatever row-level security shows the caller.
ALTER TABLE residents DROP CONSTRAINT residents_tenant_id_village_code_fkey;
ALTER TABLE households DROP CONSTRAINT households_tenant_id_village_code_fkey;

CREATE FUNCTION check_named_villages() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  named record;
BEGIN
  -- One pass over the statement's rows; then one probe per distinct village, not per row.
  FOR named IN SELECT DISTINCT n.tenant_id, n.village_code FROM new_rows n LOOP
    PERFORM 1 FROM divisions d WHERE d.tenant_id = named.tenant_id AND d.code = named.village_code FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'insert or update on table "%" names a village that does not exist', TG_TABLE_NAME
        USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, CONSTRAINT = TG_TABLE_NAME || '_village_exists',
              DETAIL = format('Key (tenant_id, village_code)=(%s, %s) is not present in table "divisions".', named.tenant_id, named.village_code);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER residents_village_exists_on_insert AFTER INSERT ON residents
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_named_villages();
CREATE TRIGGER residents_village_exists_on_update AFTER UPDATE ON residents
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_named_villages();
CREATE TRIGGER households_village_exists_on_insert AFTER INSERT ON households
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_named_villages();
CREATE TRIGGER households_village_exists_on_update AFTER UPDATE ON households
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION check_named_villages();

CREATE FUNCTION keep_named_villages() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.tenant_id, NEW.code) = (OLD.tenant_id, OLD.code) THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM residents r WHERE r.tenant_id = OLD.tenant_id AND r.village_code = OLD.code)
     OR EXISTS (SELECT 1 FROM households h WHERE h.tenant_id = OLD.tenant_id AND h.village_code = OLD.code) THEN
    RAISE EXCEPTION 'update or delete on table "divisions" leaves residents or households without their village'
      USING ERRCODE = 'foreign_key_violation', TABLE = 'divisions', CONSTRAINT = 'divisions_named_by_residents',
            DETAIL = format('Key (tenant_id, code)=(%s, %s) is still named.', OLD.tenant_id, OLD.code);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER divisions_keep_named_villages AFTER DELETE OR UPDATE OF tenant_id, code ON divisions
  FOR EACH ROW EXECUTE FUNCTION keep_named_villages();
