-- Closes the project's open assignments whose lease ran out and frees their places. One
-- transaction at a time does this per project; the others go on without waiting.
CREATE FUNCTION prefd_expire(p_project bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('prefd_expire', p_project)) THEN
    RETURN 0;
  END IF;
  WITH e AS (
    UPDATE assignments SET state = 'expired', closed_at = now()
     WHERE id IN (SELECT id FROM assignments
                   WHERE project_id = p_project AND state = 'open' AND expires_at <= now()
                   ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING comparison_id)
  SELECT array_agg(comparison_id) INTO ids FROM e;
  IF ids IS NULL THEN RETURN 0; END IF;
  PERFORM prefd_take(ids, -1);
  RETURN cardinality(ids);
END
$$;
