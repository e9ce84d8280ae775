-- Makes the models named in p_names (a JSON array of strings) exist in project p_project and
-- returns the id of each.
CREATE FUNCTION prefd_models_ensure(p_project bigint, p_names jsonb)
RETURNS TABLE (id bigint, name text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO models (project_id, name)
  SELECT p_project, x FROM jsonb_array_elements_text(p_names) x
  ON CONFLICT (project_id, name) DO NOTHING;
  RETURN QUERY SELECT m.id, m.name FROM models m
                WHERE m.project_id = p_project
                  AND m.name IN (SELECT jsonb_array_elements_text(p_names));
END
$$;
