-- Undoes vote p_vote for rater p_rater within p_window seconds of its casting: the vote is
-- marked undone (undone_at, undone_by), detached from its assignment and counts nowhere any
-- more (prefd_vote_recount takes it out of the rankings and bumps the counts epoch, so every
-- in-memory index rereads the project); its assignment is open again with a new lease, so the
-- rater's next `next` in the project gives that comparison back. An open assignment the rater
-- took since (normally the comparison shown after the vote) is dropped and its place freed, as
-- if never given. Returns one row: status ok (the project's slug, undone_at) | not_found (no
-- such vote of this rater) | expired (the window passed) | undone (already undone) | gone (the
-- the undo came too late to reopen anything: the vote's assignment is gone).
--
-- Lock order: the assignments (by id), the comparisons (by id), then the counters.
CREATE FUNCTION prefd_undo(p_vote bigint, p_rater bigint, p_window integer)
RETURNS TABLE (status text, slug text, undone_at text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE v votes%ROWTYPE; a assignments%ROWTYPE; o assignments%ROWTYPE; v_lease integer;
        v_slug text;
BEGIN
  SELECT * INTO v FROM votes x WHERE x.id = p_vote AND x.rater_id = p_rater AND x.source = 'rated';
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  IF v.undone_at IS NOT NULL THEN
    RETURN QUERY SELECT 'undone'::text, NULL::text, prefd_ts(v.undone_at);
    RETURN;
  END IF;
  IF v.created_at < now() - make_interval(secs => p_window) OR v.assignment_id IS NULL THEN
    RETURN QUERY SELECT 'expired'::text, NULL::text, NULL::text;
    RETURN;
  END IF;
  SELECT p.lease_seconds, p.slug INTO v_lease, v_slug FROM projects p
   WHERE p.id = v.project_id AND p.deleted_at IS NULL;
  IF NOT FOUND OR EXISTS (SELECT 1 FROM comparisons c WHERE c.id = v.comparison_id AND c.withdrawn) THEN
    RETURN QUERY SELECT 'expired'::text, NULL::text, NULL::text; -- its project or item was deleted
    RETURN;
  END IF;
  -- the assignments: the vote's, and the one the rater holds now, by id
  PERFORM 1 FROM assignments x
   WHERE x.id = v.assignment_id
      OR (x.project_id = v.project_id AND x.rater_id = p_rater AND x.state = 'open')
   ORDER BY x.id FOR UPDATE;
  SELECT * INTO a FROM assignments x WHERE x.id = v.assignment_id;
  SELECT * INTO o FROM assignments x
   WHERE x.project_id = v.project_id AND x.rater_id = p_rater AND x.state = 'open';
  PERFORM 1 FROM comparisons c WHERE c.id IN (a.comparison_id, o.comparison_id)
   ORDER BY c.id FOR UPDATE;
  -- the vote again, locked, now that its assignment is (a concurrent undo waited above)
  SELECT * INTO v FROM votes x WHERE x.id = p_vote FOR UPDATE;
  IF v.undone_at IS NOT NULL THEN
    RETURN QUERY SELECT 'undone'::text, NULL::text, prefd_ts(v.undone_at);
    RETURN;
  END IF;
  UPDATE votes x SET undone_at = now(), undone_by = p_rater, undone_assignment = x.assignment_id,
                     assignment_id = NULL
   WHERE x.id = v.id;
  IF o.id IS NOT NULL THEN
    DELETE FROM assignments x WHERE x.id = o.id;
  END IF;
  UPDATE assignments x SET state = 'open', closed_at = NULL,
         expires_at = greatest(now(), x.issued_at) + make_interval(secs => v_lease)
   WHERE x.id = a.id;
  UPDATE comparisons c SET votes = c.votes - 1 WHERE c.id = a.comparison_id;
  -- the counters: pair_totals, project_counts, rater_given, rater_votes
  PERFORM prefd_vote_recount(v.id);
  UPDATE projects SET counts_epoch = counts_epoch + 1 WHERE id = v.project_id;
  IF o.id IS NOT NULL THEN
    PERFORM prefd_release(o.comparison_id);
  END IF;
  IF NOT v.is_gold THEN
    PERFORM prefd_counts_add(v.project_id, 0, -1);
  END IF;
  IF o.id IS NOT NULL THEN
    UPDATE rater_given g SET given = g.given - CASE WHEN o.is_gold THEN 0 ELSE 1 END,
                             controls = g.controls - CASE WHEN o.is_gold THEN 1 ELSE 0 END
     WHERE g.project_id = o.project_id AND g.rater_id = o.rater_id;
  END IF;
  UPDATE rater_votes r SET votes = r.votes - 1
   WHERE r.project_id = v.project_id AND r.rater_id = p_rater;
  RETURN QUERY SELECT 'ok'::text, v_slug, prefd_ts(now());
END
$$;
