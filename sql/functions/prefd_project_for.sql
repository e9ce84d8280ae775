-- A project as user p_user sees it: with what they may do there.
CREATE FUNCTION prefd_project_for(p projects, p_user bigint, p_staff boolean, p_admin boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT prefd_project_json(p, p_staff)
         || jsonb_build_object('may_rate', prefd_may_rate(p, p_user),
                               'may_review', prefd_may_review(p, p_user, p_admin))
$$;
