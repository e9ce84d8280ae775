-- Active sampling's pick (prefd_nexts, schedule 'active'): a model pair drawn from the project's
-- pair_weights with u uniform in [0, 1) (the first pair whose bound is above u), then that
-- pair's first ordinary comparison in the queue's order (fewest votes and open assignments,
-- turn, random key) that rater p_rater was never given, that no other transaction holds and
-- that is not in p_except; locked. NULL when the project has no weights yet or that pair has no
-- such comparison (the caller then takes the coverage queue's). Two index probes.
CREATE FUNCTION prefd_pick_active(p_project bigint, p_rater bigint, p_except bigint[])
RETURNS comparisons
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  c comparisons%ROWTYPE;
  w pair_weights%ROWTYPE;
BEGIN
  SELECT x.* INTO w FROM pair_weights x
   WHERE x.project_id = p_project AND x.bound > random()
   ORDER BY x.bound LIMIT 1;
  IF NOT FOUND THEN
    RETURN c;
  END IF;
  SELECT x.* INTO c FROM comparisons x
   WHERE x.project_id = p_project AND x.model_lo = w.model_lo AND x.model_hi = w.model_hi
     AND x.gold IS NULL AND NOT x.filled
     AND x.id <> ALL (p_except)
     AND NOT EXISTS (SELECT 1 FROM assignments y WHERE y.comparison_id = x.id AND y.rater_id = p_rater)
   ORDER BY x.taken, x.turn, x.rnd
   LIMIT 1
   FOR UPDATE OF x SKIP LOCKED;
  RETURN c;
END
$$;
