-- Whether user p_user may rate in project p. (PL/pgSQL: a SQL function with a subquery called
-- from PL/pgSQL is planned again on every call.)
CREATE FUNCTION prefd_may_rate(p projects, p_user bigint) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- A rater who opted out of explicit content is not given the work of a project marked so.
  IF p.explicit AND EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND u.no_explicit) THEN
    RETURN false;
  END IF;
  RETURN p.raters_all OR EXISTS (SELECT 1 FROM project_members m
                                  WHERE m.project_id = p.id AND m.kind = 'rater' AND m.user_id = p_user);
END
$$;
