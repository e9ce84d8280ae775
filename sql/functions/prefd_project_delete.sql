-- Deletes project p_slug for admin p_by, keeping every row: the project is closed, its open
-- assignments closed (their places freed), its slug renamed to "<slug>--deleted-<id>" (the old
-- one kept in deleted_slug, free for a new project), and it is listed nowhere. Its votes stay
-- stored (rater pay and audits can read them from the database) but no API path reaches them.
-- Returns (slug as it was, deleted_at, rated votes kept, imported votes kept); no row when
-- there is no such project.
CREATE FUNCTION prefd_project_delete(p_slug text, p_by bigint)
RETURNS TABLE (slug text, deleted_at text, votes bigint, imported bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE p projects%ROWTYPE; r record;
BEGIN
  SELECT * INTO p FROM projects x WHERE x.slug = p_slug AND x.deleted_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  FOR r IN SELECT a.id, a.comparison_id FROM assignments a
            WHERE a.project_id = p.id AND a.state = 'open' ORDER BY a.id FOR UPDATE LOOP
    UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = r.id;
    PERFORM prefd_release(r.comparison_id);
  END LOOP;
  UPDATE projects x SET status = 'closed', deleted_at = now(), deleted_by = p_by,
         deleted_slug = x.slug, slug = left(x.slug, 32) || '--deleted-' || x.id
   WHERE x.id = p.id;
  RETURN QUERY
  SELECT p_slug, prefd_ts(now()),
         (SELECT count(*) FROM votes v WHERE v.project_id = p.id AND v.undone_at IS NULL),
         (SELECT count(*) FROM imported_votes i WHERE i.project_id = p.id);
END
$$;
