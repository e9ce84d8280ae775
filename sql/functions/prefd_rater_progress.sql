-- Rater p_rater's progress in project p: {"done", "remaining"} as `next` counts them (see
-- prefd_nexts): done is the rater's votes there (control pairs included), remaining the
-- comparisons left for them, the one they hold included. From counters only.
CREATE FUNCTION prefd_rater_progress(p projects, p_rater bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'done', coalesce((SELECT v.votes FROM rater_votes v
                       WHERE v.project_id = p.id AND v.rater_id = p_rater), 0),
    'remaining', held.n + greatest(least(
        (SELECT coalesce(sum(q.open), 0) FROM project_counts q WHERE q.project_id = p.id),
        p.comparisons - coalesce((SELECT g.given FROM rater_given g
                                   WHERE g.project_id = p.id AND g.rater_id = p_rater), 0)), 0))
    FROM (SELECT count(*) AS n
            FROM assignments a
           WHERE a.project_id = p.id AND a.rater_id = p_rater AND a.state = 'open') held
$$;
