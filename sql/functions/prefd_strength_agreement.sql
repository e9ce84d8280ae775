-- Agreement on the strength of preference (issue 14) in project p_slug, NULL when the project
-- does not take a strength: Krippendorff's alpha with the interval metric over comparisons with
-- two or more counted rated votes, each vote a value from -3 to 3: the strength (2 when not
-- given) towards the winning model (positive for the comparison's lower model id), 0 for a tie
-- or both bad. With m_u votes on unit u, s1_u and s2_u their sum and sum of squares, n = sum m_u:
--   D_o = (1/n) sum_u 2 (m_u s2_u - s1_u^2) / (m_u - 1),  D_e = 2 (n S2 - S1^2) / (n (n - 1)),
--   alpha = 1 - D_o / D_e (null when D_e is 0). One scan of the project's votes.
CREATE FUNCTION prefd_strength_agreement(p_slug text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH p AS (SELECT id FROM projects WHERE slug = p_slug AND strength),
  x AS (
    SELECT v.comparison_id AS u,
           CASE WHEN v.choice IN ('a', 'b') THEN
             coalesce(v.strength, 2) *
             CASE WHEN (v.choice = 'a') = (v.model_left < v.model_right) THEN 1 ELSE -1 END
           ELSE 0 END::double precision AS val
      FROM votes v, p WHERE v.project_id = p.id AND NOT v.is_gold AND NOT v.excluded),
  units AS (
    SELECT count(*)::double precision AS m, sum(val) AS s1, sum(val * val) AS s2
      FROM x GROUP BY u HAVING count(*) >= 2),
  t AS (
    SELECT count(*) AS nunits, sum(m) AS n, sum(s1) AS s1, sum(s2) AS s2,
           sum(2 * (m * s2 - s1 * s1) / (m - 1)) AS within FROM units)
  SELECT jsonb_build_object(
           'alpha_interval',
           CASE WHEN t.n > 1 AND t.n * t.s2 - t.s1 * t.s1 > 0 THEN
             round((1 - (t.within / t.n) / (2 * (t.n * t.s2 - t.s1 * t.s1) / (t.n * (t.n - 1))))::numeric, 4)
           END,
           'units', t.nunits)
    FROM p, t
$$;
