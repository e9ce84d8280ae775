-- Starts an item upload of project p_project in the current transaction and tells the uploader
-- what it builds on: the project's models (kind 'model': a = id, name) and its model pairs'
-- counts of comparisons so far (kind 'pair': a = lo, b = hi, n = count), from which the new
-- comparisons take their turns (include/turns.h). Uploads to one project take turns: the
-- project's row stays locked until the upload ends. The lines of the upload are recorded in
-- the temporary table upload_seen (it goes with the transaction) so that a line repeating an
-- earlier one's id is recognised.
CREATE FUNCTION prefd_upload_begin(p_project bigint)
RETURNS TABLE (kind text, a bigint, b bigint, n bigint, name text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM projects WHERE id = p_project FOR NO KEY UPDATE;
  CREATE TEMP TABLE upload_seen (
    ext_id text PRIMARY KEY,
    line   integer NOT NULL,
    digest text NOT NULL -- hex SHA-256 of the line's canonical JSON
  ) ON COMMIT DROP;
  RETURN QUERY
    SELECT 'model'::text, m.id, NULL::bigint, NULL::bigint, m.name FROM models m
     WHERE m.project_id = p_project
    UNION ALL
    SELECT 'pair', mp.model_lo, mp.model_hi, mp.comparisons::bigint, NULL FROM model_pairs mp
     WHERE mp.project_id = p_project;
END
$$;
