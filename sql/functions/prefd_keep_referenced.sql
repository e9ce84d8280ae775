-- A model or item that imported votes refer to only goes with its project (deletes issued inside
-- a cascade run at trigger depth > 0).
CREATE FUNCTION prefd_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'models' AND EXISTS (SELECT 1 FROM imported_votes v
        WHERE v.project_id = OLD.project_id AND (v.model_left = OLD.id OR v.model_right = OLD.id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = 'the model has imported votes';
  END IF;
  IF TG_TABLE_NAME = 'items' AND EXISTS (SELECT 1 FROM imported_votes v WHERE v.item_id = OLD.id) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = 'the item has imported votes';
  END IF;
  RETURN OLD;
END
$$;

CREATE TRIGGER models_keep_referenced BEFORE DELETE ON models
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION prefd_keep_referenced();

CREATE TRIGGER items_keep_referenced BEFORE DELETE ON items
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION prefd_keep_referenced();
