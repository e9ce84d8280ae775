-- The first ordinary comparison of project p_project in the queue's order (see prefd_nexts)
-- from key (p_taken, p_turn) on that rater p_rater was never given, that no other transaction
-- holds and that is not in p_except; locked. NULL when there is none.
CREATE FUNCTION prefd_pick(p_project bigint, p_rater bigint, p_taken integer, p_turn integer,
                           p_except bigint[]) RETURNS comparisons
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE c comparisons%ROWTYPE;
BEGIN
  SELECT x.* INTO c FROM comparisons x
   WHERE x.project_id = p_project AND x.gold IS NULL AND NOT x.filled
     AND (x.taken, x.turn) >= (p_taken, p_turn)
     AND x.id <> ALL (p_except)
     AND NOT EXISTS (SELECT 1 FROM assignments y WHERE y.comparison_id = x.id AND y.rater_id = p_rater)
   ORDER BY x.taken, x.turn, x.rnd
   LIMIT 1
   FOR UPDATE OF x SKIP LOCKED;
  RETURN c;
END
$$;
