-- One uploaded item as staff see it (GET .../items/{id}): its fields and its answers in upload
-- order, each with its style features (style.h; null until computed). No row when the project
-- is not visible to the caller; item is null when the project has no such item.
CREATE FUNCTION prefd_item_get(p_slug text, p_ext text, p_user bigint, p_staff boolean)
RETURNS TABLE (item jsonb) LANGUAGE sql STABLE AS $$
  SELECT (SELECT jsonb_build_object(
            'id', i.ext_id, 'prompt', i.prompt, 'category', i.category, 'language', i.language,
            'metadata', i.metadata, 'gold', i.gold, 'gold_reason', i.gold_reason,
            'created_at', prefd_ts(i.created_at),
            'responses', (SELECT jsonb_agg(jsonb_build_object(
                              'model', m.name, 'position', r.position, 'text', r.text,
                              'style', CASE WHEN r.style IS NULL THEN NULL ELSE jsonb_build_object(
                                'length', r.style[1], 'headers', r.style[2],
                                'lists', r.style[3], 'bold', r.style[4]) END)
                            ORDER BY r.position)
                            FROM responses r JOIN models m ON m.id = r.model_id
                           WHERE r.item_id = i.id))
            FROM items i WHERE i.project_id = p.id AND i.ext_id = p_ext)
    FROM projects p
   WHERE p.slug = p_slug AND prefd_may_see(p, p_user, p_staff)
$$;
