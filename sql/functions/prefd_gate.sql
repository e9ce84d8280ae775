-- What stands between rater p_rater and new work in project p (issue 17), for prefd_nexts; two
-- key lookups, never a scan of the project. Called under prefd_nexts' advisory lock of
-- (project, rater). Returns one row:
--   status 'guidelines'     the guidelines changed since the version the rater knew (known);
--                           the rater must acknowledge them first (prefd_ack_guidelines);
--   status 'not_qualified'  the rater failed qualification and may retry at retry_at;
--   status NULL, gold_only  whether only control pairs may be given (qualification pending).
-- A rater's first work in the project records the guidelines version of now as known, and
-- starts their qualification when the project asks for one (a rater who was given ordinary
-- comparisons before the project asked counts as qualified).
CREATE FUNCTION prefd_gate(p projects, p_rater bigint, OUT status text, OUT known integer,
                           OUT retry_at text, OUT gold_only boolean)
LANGUAGE plpgsql AS $$
DECLARE q qualifications%ROWTYPE;
BEGIN
  gold_only := false;
  SELECT k.version INTO known FROM guideline_known k
   WHERE k.project_id = p.id AND k.rater_id = p_rater;
  IF NOT FOUND THEN
    INSERT INTO guideline_known (project_id, rater_id, version)
    VALUES (p.id, p_rater, p.guidelines_version) ON CONFLICT DO NOTHING;
    known := p.guidelines_version;
  ELSIF known < p.guidelines_version THEN
    status := 'guidelines'; RETURN;
  END IF;
  IF p.qual_gold <= 0 THEN RETURN; END IF;
  SELECT * INTO q FROM qualifications x WHERE x.project_id = p.id AND x.rater_id = p_rater FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO qualifications (project_id, rater_id, state)
    SELECT p.id, p_rater,
           CASE WHEN EXISTS (SELECT 1 FROM rater_given g WHERE g.project_id = p.id
                               AND g.rater_id = p_rater AND g.given > 0)
                THEN 'qualified' ELSE 'pending' END
    RETURNING * INTO q;
  END IF;
  IF q.state = 'failed' AND q.retry_at > now() THEN
    status := 'not_qualified'; retry_at := prefd_ts(q.retry_at); RETURN;
  END IF;
  IF q.state = 'failed' THEN
    UPDATE qualifications x SET state = 'pending', attempt = x.attempt + 1, answered = 0,
           correct = 0, retry_at = NULL, by_admin = NULL, updated_at = now()
     WHERE x.project_id = p.id AND x.rater_id = p_rater;
    INSERT INTO qualification_events (project_id, rater_id, event, answered, correct)
    VALUES (p.id, p_rater, 'retried', q.answered, q.correct);
    q.state := 'pending';
  END IF;
  gold_only := q.state = 'pending';
END
$$;
