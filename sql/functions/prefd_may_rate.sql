CREATE FUNCTION prefd_may_rate(p projects, p_user bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p.raters_all OR EXISTS (SELECT 1 FROM project_members m
                                  WHERE m.project_id = p.id AND m.kind = 'rater' AND m.user_id = p_user)
$$;
