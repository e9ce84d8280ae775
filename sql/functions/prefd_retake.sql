-- Takes again the place of assignment p_assignment whose lease ran out (state expired), when
-- nobody else took that place: its comparison is still below the overlap (a control pair
-- always is) and its rater holds no other open assignment in the project. The assignment is
-- open again, with a new lease. Returns true when it was taken. The caller holds the
-- assignment's row lock; the comparison is locked here (the lock order of prefd_expire).
CREATE FUNCTION prefd_retake(p_assignment bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE a assignments%ROWTYPE; c comparisons%ROWTYPE; v_overlap integer; v_lease integer;
BEGIN
  SELECT * INTO a FROM assignments WHERE id = p_assignment;
  IF NOT FOUND OR a.state <> 'expired' THEN RETURN false; END IF;
  SELECT * INTO c FROM comparisons WHERE id = a.comparison_id FOR UPDATE;
  SELECT p.overlap, p.lease_seconds INTO v_overlap, v_lease FROM projects p
   WHERE p.id = a.project_id AND p.deleted_at IS NULL;
  IF NOT FOUND THEN RETURN false; END IF;
  IF c.withdrawn OR (c.gold IS NULL AND c.taken >= v_overlap) THEN RETURN false; END IF;
  IF EXISTS (SELECT 1 FROM assignments o WHERE o.project_id = a.project_id
               AND o.rater_id = a.rater_id AND o.state = 'open') THEN
    RETURN false;
  END IF;
  UPDATE assignments SET state = 'open', closed_at = NULL,
         expires_at = greatest(now(), issued_at) + make_interval(secs => v_lease)
   WHERE id = a.id;
  UPDATE comparisons x SET taken = x.taken + 1, filled = x.gold IS NULL AND x.taken + 1 >= v_overlap
   WHERE x.id = c.id;
  IF c.gold IS NULL THEN
    PERFORM prefd_counts_add(a.project_id, -1, 0);
  END IF;
  RETURN true;
END
$$;
