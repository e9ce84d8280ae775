-- Completes an item upload of project p_project before its COMMIT: each model pair's new
-- comparisons (a JSON array of {lo, hi, n}) are added to its count, and the project's count of
-- ordinary comparisons and of open places grows with them, and its queue starts from the start.
CREATE FUNCTION prefd_upload_end(p_project bigint, p_pairs jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  INSERT INTO model_pairs AS mp (project_id, model_lo, model_hi, comparisons)
  SELECT p_project, x.lo, x.hi, x.n
    FROM jsonb_to_recordset(p_pairs) AS x (lo bigint, hi bigint, n integer)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET comparisons = mp.comparisons + EXCLUDED.comparisons;
  SELECT coalesce(sum(x.n), 0) INTO total FROM jsonb_to_recordset(p_pairs) AS x (n bigint);
  IF total > 0 THEN
    UPDATE projects SET comparisons = comparisons + total WHERE id = p_project;
    -- the new comparisons may come before the queue's head
    UPDATE queue_heads SET taken = 0, turn = 0 WHERE project_id = p_project;
    PERFORM prefd_counts_add(p_project, total * (SELECT overlap FROM projects WHERE id = p_project), 0);
  END IF;
END
$$;
