-- The distinct non-empty categories and languages of project p_project's items, sorted, as
-- {"categories": [...], "languages": [...]}. Each list is read by jumping through the index from
-- one value to the next (items_category, items_language): O(values × log items), not a scan.
CREATE FUNCTION prefd_facets(p_project bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE
  cats (v) AS (
    (SELECT i.category FROM items i WHERE i.project_id = p_project AND i.category > ''
      ORDER BY i.category LIMIT 1)
    UNION ALL
    SELECT (SELECT i.category FROM items i WHERE i.project_id = p_project AND i.category > c.v
             ORDER BY i.category LIMIT 1)
      FROM cats c WHERE c.v IS NOT NULL),
  langs (v) AS (
    (SELECT i.language FROM items i WHERE i.project_id = p_project AND i.language > ''
      ORDER BY i.language LIMIT 1)
    UNION ALL
    SELECT (SELECT i.language FROM items i WHERE i.project_id = p_project AND i.language > l.v
             ORDER BY i.language LIMIT 1)
      FROM langs l WHERE l.v IS NOT NULL)
  SELECT jsonb_build_object(
    'categories', coalesce((SELECT jsonb_agg(v ORDER BY v) FROM cats WHERE v IS NOT NULL), '[]'),
    'languages', coalesce((SELECT jsonb_agg(v ORDER BY v) FROM langs WHERE v IS NOT NULL), '[]'))
$$;
