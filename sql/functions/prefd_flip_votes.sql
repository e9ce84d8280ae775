-- The votes behind a leaderboard's fragility sets (server/api_rankings.c): for each cell of
-- p_cells, a JSON array of {cell, lo, hi, winner, n} (winner the model id that won, NULL for a
-- tie), the n most recent counted votes of that pair and outcome under the leaderboard's filters
-- (the same votes the vote index counts: rated votes that are neither control pairs nor excluded,
-- and imported votes). A "both bad" vote is a tie when p_bad_is_tie. Times are microseconds since
-- 1970 (UTC), since inclusive, until exclusive. One scan of the project's counted votes.
CREATE FUNCTION prefd_flip_votes(p_project bigint, p_cells jsonb, p_category text,
                                 p_language text, p_since_us bigint, p_until_us bigint,
                                 p_bad_is_tie boolean)
RETURNS TABLE (cell integer, vote_id bigint)
LANGUAGE sql STABLE AS $$
  WITH c AS (
    SELECT * FROM jsonb_to_recordset(p_cells) AS x(cell integer, lo bigint, hi bigint, winner bigint, n integer)
  ), lim AS (
    SELECT CASE WHEN p_since_us IS NULL THEN NULL
                ELSE timestamptz 'epoch' + p_since_us * interval '1 microsecond' END AS since,
           CASE WHEN p_until_us IS NULL THEN NULL
                ELSE timestamptz 'epoch' + p_until_us * interval '1 microsecond' END AS until
  ), v AS (
    SELECT v.id, v.model_left, v.model_right, v.choice, v.category, v.language, v.created_at
      FROM votes v
     WHERE v.project_id = p_project AND NOT v.is_gold AND NOT v.excluded
    UNION ALL
    SELECT i.id, i.model_left, i.model_right, i.choice, i.category, i.language, i.created_at
      FROM imported_votes i
     WHERE i.project_id = p_project
  ), m AS (
    SELECT c.cell, v.id, c.n, row_number() OVER (PARTITION BY c.cell ORDER BY v.id DESC) AS k
      FROM v CROSS JOIN lim
      JOIN c ON least(v.model_left, v.model_right) = c.lo AND greatest(v.model_left, v.model_right) = c.hi
     WHERE (p_category IS NULL OR v.category = p_category)
       AND (p_language IS NULL OR v.language = p_language)
       AND (lim.since IS NULL OR v.created_at >= lim.since)
       AND (lim.until IS NULL OR v.created_at < lim.until)
       AND CASE WHEN c.winner IS NULL THEN v.choice = 'tie' OR (p_bad_is_tie AND v.choice = 'both_bad')
                ELSE (v.choice = 'a' AND v.model_left = c.winner)
                     OR (v.choice = 'b' AND v.model_right = c.winner) END
  )
  SELECT m.cell, m.id FROM m WHERE m.k <= m.n ORDER BY m.cell, m.id DESC
$$;
