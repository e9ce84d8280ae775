-- "Not seen by this rater" is written as NOT IN over the rater's assignments, which PostgreSQL
-- runs as one hashed set: linear in what the rater has seen, whatever the statistics say.
--
-- Gives rater p_rater the comparison to judge next in project p_slug: the one it holds if its
-- lease runs, else a new one it has never been given, below the overlap, on the model pair and
-- prompt with the least work out (random among equals), or a control pair at the project's
-- gold_rate. p_token is the id a new assignment gets.
CREATE FUNCTION prefd_next(p_slug text, p_rater bigint, p_token text)
RETURNS prefd_assignment LANGUAGE plpgsql AS $$
DECLARE
  p projects%ROWTYPE;
  a assignments%ROWTYPE;
  c comparisons%ROWTYPE;
  out prefd_assignment;
  remaining bigint;
BEGIN
  -- An assignment lost in a crash costs nothing (the rater asks again), so this transaction
  -- does not wait for its commit to reach disk; votes do.
  SET LOCAL synchronous_commit = off;
  SELECT * INTO p FROM projects WHERE slug = p_slug;
  IF NOT FOUND THEN out.status := 'not_found'; RETURN out; END IF;
  IF NOT prefd_may_rate(p, p_rater) THEN out.status := 'forbidden'; RETURN out; END IF;
  -- One decision at a time per rater and project: concurrent calls see each other's result.
  PERFORM pg_advisory_xact_lock(hashtextextended('prefd_next:' || p.id || ':' || p_rater, 0));
  PERFORM prefd_expire(p.id);
  SELECT * INTO a FROM assignments
   WHERE project_id = p.id AND rater_id = p_rater AND state = 'open';
  -- What is left for this rater, counted before any row is locked.
  SELECT count(*) INTO remaining FROM comparisons x
   WHERE x.project_id = p.id AND x.gold IS NULL AND x.taken < p.overlap
     AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id);
  IF a.id IS NOT NULL THEN
    RETURN prefd_assignment_of(a, p, remaining);
  END IF;
  IF p.status <> 'active' THEN out.status := 'inactive'; out.project_status := p.status; RETURN out; END IF;

  IF p.gold_rate > 0 AND random() < p.gold_rate THEN
    SELECT x.* INTO c FROM comparisons x
     WHERE x.project_id = p.id AND x.gold IS NOT NULL
       AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id)
     ORDER BY random() LIMIT 1;
  END IF;
  IF c.id IS NULL THEN
    SELECT x.* INTO c FROM comparisons x
      JOIN items i ON i.id = x.item_id
      JOIN model_pairs mp ON mp.project_id = x.project_id AND mp.model_lo = x.model_lo AND mp.model_hi = x.model_hi
     WHERE x.project_id = p.id AND x.gold IS NULL AND x.taken < p.overlap
       AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id)
     ORDER BY mp.taken, i.taken, random()
     LIMIT 1
     FOR UPDATE OF x SKIP LOCKED;
  END IF;
  IF c.id IS NULL THEN
    out.status := 'none';
    RETURN out;
  END IF;
  INSERT INTO assignments (token, project_id, comparison_id, rater_id, left_is_lo, is_gold,
                           guidelines_version, expires_at)
  VALUES (p_token, p.id, c.id, p_rater, random() < 0.5, c.gold IS NOT NULL, p.guidelines_version,
          now() + make_interval(secs => p.lease_seconds))
  RETURNING * INTO a;
  PERFORM prefd_take(ARRAY[c.id], 1);
  RETURN prefd_assignment_of(a, p, greatest(remaining - CASE WHEN c.gold IS NULL THEN 1 ELSE 0 END, 0));
END
$$;
