-- Deleting items deletes their votes, assignments, comparisons and responses (and, through
-- their foreign keys, the votes' reviews and exclusions), one statement each for all the items
-- a statement deleted.
CREATE FUNCTION prefd_items_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM votes v USING old_items o WHERE v.project_id = o.project_id AND v.item_id = o.id;
  DELETE FROM assignments a USING comparisons c, old_items o
   WHERE a.comparison_id = c.id AND c.project_id = o.project_id AND c.item_id = o.id;
  DELETE FROM comparisons c USING old_items o
   WHERE c.project_id = o.project_id AND c.item_id = o.id;
  DELETE FROM responses r USING old_items o WHERE r.item_id = o.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER items_delete_answers AFTER DELETE ON items
  REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION prefd_items_deleted();
