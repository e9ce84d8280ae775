-- Whether user p_user may review votes of project p (admins always may).
CREATE FUNCTION prefd_may_review(p projects, p_user bigint, p_admin boolean) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_admin OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id
                              AND m.kind = 'reviewer' AND m.user_id = p_user)
$$;
