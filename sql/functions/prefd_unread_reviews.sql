-- Rater p_rater's unread reviews per project they may see (issue 17; the web client's badge):
-- a JSON object {slug: count} of the projects with any. Cost: the rater's reviewed votes.
CREATE FUNCTION prefd_unread_reviews(p_rater bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT coalesce(jsonb_object_agg(x.slug, x.n), '{}')
    FROM (SELECT p.slug, count(*) AS n
            FROM votes v JOIN reviews w ON w.vote_id = v.id JOIN projects p ON p.id = v.project_id
           WHERE v.rater_id = p_rater AND v.reviews > 0 AND w.read_at IS NULL
             AND prefd_may_see(p, p_rater, false)
           GROUP BY p.slug) x
$$;
