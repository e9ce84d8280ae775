-- Closes the project's open assignments whose lease ran out, frees their places and moves the
-- project's queue head (queue_heads) to the first comparison in the queue, read from the start
-- of the project's part of the index. At most once a second per project, by one transaction at
-- a time, and it never waits: an assignment or comparison locked by someone else is left for
-- the next round.
--
-- Lock order (every function that changes the rating state keeps it, so that none deadlocks):
-- assignments, comparisons, then the counters (pair_totals, project_counts, rater_given,
-- rater_votes). The queue head is written only here and when a project's queue is set back to
-- its start (an upload, a new overlap); nothing waits for it while holding comparisons.
CREATE FUNCTION prefd_expire(p_project bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE r record; n integer := 0; k record;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('prefd_expire', p_project)) THEN
    RETURN 0;
  END IF;
  SELECT h.checked_at INTO k FROM queue_heads h WHERE h.project_id = p_project;
  IF NOT FOUND THEN
    INSERT INTO queue_heads (project_id) VALUES (p_project) ON CONFLICT DO NOTHING;
  ELSIF k.checked_at >= now() - interval '1 second' THEN
    RETURN 0;
  END IF;
  UPDATE queue_heads SET checked_at = now() WHERE project_id = p_project;
  FOR r IN SELECT a.id, a.comparison_id FROM assignments a
            WHERE a.project_id = p_project AND a.state = 'open' AND a.expires_at <= now()
            ORDER BY a.id FOR UPDATE SKIP LOCKED LOOP
    PERFORM 1 FROM comparisons WHERE id = r.comparison_id FOR UPDATE SKIP LOCKED;
    CONTINUE WHEN NOT FOUND;
    UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = r.id;
    PERFORM prefd_release(r.comparison_id);
    n := n + 1;
  END LOOP;
  SELECT x.taken, x.turn INTO k FROM comparisons x
   WHERE x.project_id = p_project AND x.gold IS NULL AND NOT x.filled
   ORDER BY x.taken, x.turn LIMIT 1;
  IF FOUND THEN
    UPDATE queue_heads SET taken = k.taken, turn = k.turn WHERE project_id = p_project;
  END IF;
  RETURN n;
END
$$;
