-- One page of the answers flagged in project p_project's rated votes (GET .../flags), most
-- flagged first: keyset on (votes DESC, response id) after response p_after (0: from the top;
-- its count is read as it is now), p_limit + 1 rows (page_key = the response id, item). Each
-- item: prompt_id, category, model, response (its first 300 characters), votes (the votes
-- flagging it), flags (count per flag), rationales (up to 20) and quotes (issue 14, up to 20,
-- when there are any). Cost: one scan of the project's votes.
CREATE FUNCTION prefd_flags_page(p_project bigint, p_limit integer, p_after bigint)
RETURNS TABLE (page_key bigint, item jsonb) LANGUAGE sql STABLE AS $$
  WITH f AS (
    SELECT v.resp_left AS resp, x AS flag, v.id AS vote, v.rationale
      FROM votes v, unnest(v.flags_left) x
     WHERE v.project_id = p_project AND NOT v.is_gold AND v.undone_at IS NULL
    UNION ALL
    SELECT v.resp_right, x, v.id, v.rationale
      FROM votes v, unnest(v.flags_right) x
     WHERE v.project_id = p_project AND NOT v.is_gold AND v.undone_at IS NULL),
  per AS (
    SELECT resp, count(DISTINCT vote) AS votes,
           array_agg(DISTINCT rationale) FILTER (WHERE rationale <> '') AS rationales
      FROM f GROUP BY resp),
  -- quoted passages (issue 14): "a" quotes the left answer
  q AS (
    SELECT v.resp_left AS resp, e
      FROM votes v, jsonb_array_elements(v.flag_quotes->'a') e
     WHERE v.project_id = p_project AND v.flag_quotes IS NOT NULL AND NOT v.is_gold
    UNION ALL
    SELECT v.resp_right, e
      FROM votes v, jsonb_array_elements(v.flag_quotes->'b') e
     WHERE v.project_id = p_project AND v.flag_quotes IS NOT NULL AND NOT v.is_gold),
  counts AS (
    SELECT resp, jsonb_object_agg(flag, n) AS flags
      FROM (SELECT resp, flag, count(*) AS n FROM f GROUP BY resp, flag) c GROUP BY resp),
  cursor_row AS (SELECT coalesce((SELECT votes FROM per WHERE resp = p_after), 0) AS votes),
  page AS (
    SELECT per.*, counts.flags FROM per JOIN counts USING (resp), cursor_row c
     WHERE p_after <= 0 OR per.votes < c.votes OR (per.votes = c.votes AND per.resp > p_after)
     ORDER BY per.votes DESC, per.resp LIMIT p_limit + 1)
  SELECT pg.resp,
         jsonb_build_object('prompt_id', i.ext_id, 'category', i.category, 'model', m.name,
                            'response', left(r.text, 300), 'votes', pg.votes, 'flags', pg.flags,
                            'rationales', coalesce(to_jsonb(pg.rationales[1:20]), '[]'))
         || coalesce((SELECT jsonb_build_object('quotes', jsonb_agg(qq.e))
                        FROM (SELECT q.e FROM q WHERE q.resp = pg.resp LIMIT 20) qq
                      HAVING count(*) > 0), '{}')
    FROM page pg
    JOIN responses r ON r.id = pg.resp
    JOIN items i ON i.id = r.item_id
    JOIN models m ON m.id = r.model_id
   ORDER BY pg.votes DESC, pg.resp
$$;
