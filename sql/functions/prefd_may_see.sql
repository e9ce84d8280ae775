-- Whether user p_user sees project p at all: staff see every project; raters the ones they may
-- rate or review, while they are not closed. Every path that names a project (GET, next) answers
-- a project a rater may not see as if it did not exist, so that names cannot be probed.
CREATE FUNCTION prefd_may_see(p projects, p_user bigint, p_staff boolean) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_staff OR (p.status <> 'closed' AND (prefd_may_rate(p, p_user) OR prefd_may_review(p, p_user, false)))
$$;
