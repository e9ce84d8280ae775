-- Stores a project's active-sampling weights (server/active_refresh.c): p_lo, p_hi the model
-- pairs, p_weight their shares (summing to 1), computed from p_votes counted votes. Every prefd
-- process refreshes; the first to take the project's lock writes, the others (and a refresh
-- from no more votes and the same number of pairs as the stored one, within a minute of it)
-- leave the rows as they are.
-- Returns whether it wrote.
CREATE FUNCTION prefd_pair_weights_save(p_project bigint, p_votes double precision, p_lo bigint[],
                                        p_hi bigint[], p_weight double precision[])
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  st pair_weights_state%ROWTYPE;
BEGIN
  IF NOT pg_try_advisory_xact_lock(1416, (p_project & 2147483647)::integer) THEN
    RETURN false;
  END IF;
  SELECT * INTO st FROM pair_weights_state WHERE project_id = p_project;
  IF FOUND AND st.votes >= p_votes AND st.computed_at > now() - interval '1 minute'
     AND (SELECT count(*) FROM pair_weights w WHERE w.project_id = p_project) = cardinality(p_lo) THEN
    RETURN false;
  END IF;
  DELETE FROM pair_weights WHERE project_id = p_project;
  INSERT INTO pair_weights (project_id, bound, model_lo, model_hi, weight)
  SELECT p_project, least(sum(u.w) OVER (ORDER BY u.k) / sum(u.w) OVER (), 1), u.lo, u.hi, u.w
    FROM unnest(p_lo, p_hi, p_weight) WITH ORDINALITY AS u (lo, hi, w, k)
   WHERE u.w > 0;
  INSERT INTO pair_weights_state AS s (project_id, votes, computed_at)
  VALUES (p_project, p_votes, now())
  ON CONFLICT (project_id) DO UPDATE SET votes = EXCLUDED.votes, computed_at = EXCLUDED.computed_at;
  RETURN true;
END
$$;
