-- Deleting an import (with its project) deletes its votes. Without an index on import_id, the
-- votes are found by the import's id range.
CREATE FUNCTION prefd_import_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM imported_votes
   WHERE project_id = OLD.project_id AND id BETWEEN OLD.first_id AND OLD.last_id
     AND import_id = OLD.id;
  RETURN OLD;
END
$$;

CREATE TRIGGER imports_delete_votes BEFORE DELETE ON imports
  FOR EACH ROW EXECUTE FUNCTION prefd_import_deleted();
