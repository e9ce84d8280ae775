-- A rater's qualification in project p as the API shows it (issue 17): null when the project
-- asks for none; otherwise {state: pending | qualified | failed, attempt, answered, correct,
-- gold, min_accuracy, retry_at, by} (by: the admin who decided it by hand, else null). A rater
-- who was never given work there is pending with nothing answered.
CREATE FUNCTION prefd_qualification_json(p projects, p_rater bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p.qual_gold > 0 THEN jsonb_build_object(
           'state', coalesce(q.state, 'pending'), 'attempt', coalesce(q.attempt, 1),
           'answered', coalesce(q.answered, 0), 'correct', coalesce(q.correct, 0),
           'gold', p.qual_gold, 'min_accuracy', p.qual_min_accuracy,
           'retry_at', prefd_ts(q.retry_at), 'by', u.name) END
    FROM (SELECT 1) one
    LEFT JOIN qualifications q ON q.project_id = p.id AND q.rater_id = p_rater
    LEFT JOIN users u ON u.id = q.by_admin
$$;
