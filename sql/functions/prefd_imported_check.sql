CREATE FUNCTION prefd_imported_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_votes v
              WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = v.import_id AND i.project_id = v.project_id)
                 OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = v.model_left AND m.project_id = v.project_id)
                 OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = v.model_right AND m.project_id = v.project_id)
                 OR (v.item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = v.item_id
                                                                AND i.project_id = v.project_id))) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      MESSAGE = 'an imported vote names an import, model or item outside its project';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER imported_votes_check_insert AFTER INSERT ON imported_votes
  REFERENCING NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION prefd_imported_check();

CREATE TRIGGER imported_votes_check_update AFTER UPDATE ON imported_votes
  REFERENCING NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION prefd_imported_check();
