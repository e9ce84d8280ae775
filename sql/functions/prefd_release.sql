-- Frees the place an assignment on comparison p_comparison held (it was skipped or expired):
-- the comparison goes back into the queue where its counts put it (unless it was withdrawn:
-- its item was deleted). The caller holds the
-- assignment's row lock.
CREATE FUNCTION prefd_release(p_comparison bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_project bigint; v_gold text; v_withdrawn boolean;
BEGIN
  UPDATE comparisons x SET taken = x.taken - 1,
         filled = x.withdrawn OR (x.gold IS NULL AND x.taken - 1 >= p.overlap)
    FROM projects p
   WHERE x.id = p_comparison AND p.id = x.project_id
  RETURNING x.project_id, x.gold, x.withdrawn INTO v_project, v_gold, v_withdrawn;
  IF v_gold IS NULL AND NOT v_withdrawn THEN
    PERFORM prefd_counts_add(v_project, 1, 0);
  END IF;
END
$$;
