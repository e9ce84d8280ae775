-- Scores per answer (issue 14) of project p_slug, per model and criterion: mean, 95% interval
-- (the mean plus or minus 1.96 standard errors; the sample standard deviation, so none below
-- two scores) and n, over the counted rated votes (not control pairs, not excluded) under the
-- leaderboard's filters (NULL: none). A vote's scores are as shown: "a" is its left model.
-- NULL when there is no such project. Cost: one scan of the project's votes.
CREATE FUNCTION prefd_scores(p_slug text, p_category text, p_language text,
                             p_since timestamptz, p_until timestamptz)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  WITH p AS (SELECT id, criteria FROM projects WHERE slug = p_slug),
  s AS (
    SELECT CASE sd.side WHEN 'a' THEN v.model_left ELSE v.model_right END AS model,
           e.key AS criterion, e.value::integer AS x
      FROM p, prefd_all_votes v,
           LATERAL jsonb_each(v.scores) sd (side, m),
           LATERAL jsonb_each_text(sd.m) e
     WHERE v.project_id = p.id AND NOT v.is_gold AND v.scores IS NOT NULL
       AND (p_category IS NULL OR v.category = p_category)
       AND (p_language IS NULL OR v.language = p_language)
       AND (p_since IS NULL OR v.created_at >= p_since)
       AND (p_until IS NULL OR v.created_at < p_until)),
  agg AS (
    SELECT model, criterion, count(*) AS n, avg(x)::double precision AS mean,
           1.96 * stddev_samp(x) / sqrt(count(*)) AS half
      FROM s GROUP BY model, criterion),
  per_model AS (
    SELECT m.name,
           jsonb_object_agg(a.criterion, jsonb_build_object(
             'mean', round(a.mean::numeric, 4),
             'ci', CASE WHEN a.half IS NULL THEN NULL
                        ELSE jsonb_build_array(round((a.mean - a.half)::numeric, 4),
                                               round((a.mean + a.half)::numeric, 4)) END,
             'n', a.n)) AS scores
      FROM agg a JOIN models m ON m.id = a.model
     GROUP BY m.name)
  SELECT jsonb_build_object(
           'criteria', p.criteria,
           'models', coalesce((SELECT jsonb_agg(jsonb_build_object('model', x.name, 'scores', x.scores)
                                                ORDER BY x.name) FROM per_model x), '[]'))
    FROM p
$$;
