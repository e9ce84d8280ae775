-- One page of project p_project's items (not deleted) for admins, in upload order: keyset on
-- items.id after p_after, p_limit + 1 rows (the extra one says another page follows), filtered
-- by p_q (NULL: all) found in the item's id or its prompt (case-insensitive substring). Rows
-- (page_key, item) as req_reply_page_rows reads them; each item: id, prompt, category,
-- language, gold, models (in upload order), votes (rated votes on its comparisons, undone ones
-- not counted), created_at. Cost: the page's rows, plus the rows the search passes over (a
-- search may read the whole project when it matches little).
CREATE FUNCTION prefd_items_page(p_project bigint, p_after bigint, p_limit integer, p_q text)
RETURNS TABLE (page_key bigint, item jsonb) LANGUAGE sql STABLE AS $$
  SELECT s.id, jsonb_build_object(
           'id', s.ext_id, 'prompt', s.prompt, 'category', s.category, 'language', s.language,
           'gold', s.gold,
           'models', coalesce((SELECT jsonb_agg(m.name ORDER BY r.position) FROM responses r
                                 JOIN models m ON m.id = r.model_id WHERE r.item_id = s.id), '[]'),
           'votes', (SELECT coalesce(sum(c.votes), 0) FROM comparisons c
                      WHERE c.project_id = s.project_id AND c.item_id = s.id),
           'created_at', prefd_ts(s.created_at))
    FROM (SELECT i.* FROM items i
           WHERE i.project_id = p_project AND i.id > p_after AND i.deleted_at IS NULL
             AND (p_q IS NULL OR strpos(lower(i.ext_id), lower(p_q)) > 0
                  OR strpos(lower(i.prompt), lower(p_q)) > 0)
           ORDER BY i.id LIMIT p_limit + 1) s
   ORDER BY s.id
$$;
