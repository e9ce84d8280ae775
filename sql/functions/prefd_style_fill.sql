-- Stores answers' style features counted by prefd (stylefill.h): p_rows is [[id, length,
-- headers, lists, bold], ...]; only rows still without features are written. Returns the
-- projects of the answers written (their indexes reload once prefd_style_loaded raises them).
CREATE FUNCTION prefd_style_fill(p_rows jsonb)
RETURNS TABLE (project_id bigint) LANGUAGE sql AS $$
  WITH given AS (
    SELECT (e->>0)::bigint AS id,
           ARRAY[(e->>1)::integer, (e->>2)::integer, (e->>3)::integer, (e->>4)::integer] AS style
      FROM jsonb_array_elements(p_rows) e
  ), written AS (
    UPDATE responses r SET style = g.style FROM given g
     WHERE r.id = g.id AND r.style IS NULL
    RETURNING r.item_id
  )
  SELECT DISTINCT i.project_id FROM written w JOIN items i ON i.id = w.item_id
$$;
