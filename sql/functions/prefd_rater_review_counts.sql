-- What GET /me/projects/{slug}/stats adds to rater p_rater's statistics in project p_project:
-- the reviews of their votes that agreed and disagreed, and the comparisons they skipped.
-- Cost: the rater's reviewed votes in the project and their assignments there.
CREATE FUNCTION prefd_rater_review_counts(p_project bigint, p_rater bigint,
                                          OUT agreed bigint, OUT disagreed bigint,
                                          OUT skipped bigint)
LANGUAGE sql STABLE AS $$
  SELECT count(*) FILTER (WHERE w.verdict = 'agree'),
         count(*) FILTER (WHERE w.verdict = 'disagree'),
         (SELECT count(*) FROM assignments a
           WHERE a.project_id = p_project AND a.rater_id = p_rater AND a.state = 'skipped')
    FROM votes v JOIN reviews w ON w.vote_id = v.id
   WHERE v.rater_id = p_rater AND v.project_id = p_project AND v.reviews > 0
$$;
