-- Adds (p_undo NULL) or undoes exclusion p_undo and recounts the votes it touches; bumps the
-- project's counts epoch when any vote changed. Returns the exclusion, NULL when there is
-- nothing to undo.
CREATE FUNCTION prefd_exclusion(p_project bigint, p_rater bigint, p_vote bigint, p_reason text,
                                p_by bigint, p_undo bigint) RETURNS exclusions
LANGUAGE plpgsql AS $$
DECLARE ex exclusions%ROWTYPE; changed boolean := false; vid bigint;
BEGIN
  IF p_undo IS NOT NULL THEN
    UPDATE exclusions SET undone_at = now(), undone_by = p_by
     WHERE id = p_undo AND project_id = p_project AND undone_at IS NULL RETURNING * INTO ex;
    IF NOT FOUND THEN RETURN NULL; END IF;
  ELSE
    INSERT INTO exclusions (project_id, rater_id, vote_id, reason, created_by)
    VALUES (p_project, p_rater, p_vote, p_reason, p_by) RETURNING * INTO ex;
  END IF;
  FOR vid IN SELECT id FROM votes
              WHERE project_id = p_project
                AND ((ex.vote_id IS NOT NULL AND id = ex.vote_id) OR (ex.rater_id IS NOT NULL AND rater_id = ex.rater_id))
              ORDER BY id LOOP
    changed := prefd_vote_recount(vid) OR changed;
  END LOOP;
  IF changed THEN
    UPDATE projects SET counts_epoch = counts_epoch + 1 WHERE id = p_project;
  END IF;
  RETURN ex;
END
$$;
