-- The project with slug p_slug and its models, for a leaderboard or a matrix: one row
-- (-1, the project's id, NULL), then (0, id, name) per model; no rows when there is no such
-- project. Cost: the slug's unique index, then the models of one project.
CREATE FUNCTION prefd_rank_models(p_slug text)
RETURNS TABLE (kind integer, id bigint, name text)
LANGUAGE sql STABLE AS $$
  SELECT -1, p.id, NULL::text
    FROM projects p
   WHERE p.slug = p_slug
  UNION ALL
  SELECT 0, m.id, m.name
    FROM models m
    JOIN projects p ON p.id = m.project_id
   WHERE p.slug = p_slug
$$;
