-- Up to p_limit votes of import p_import into project p_project with ids in (p_after, p_last], in
-- id order, for the in-memory vote index (server/tally_sync.c): the models shown left and right,
-- the choice, category, language, the time in microseconds since 1970 and both answers' style
-- features (none for a vote that names no item). Cost: a primary-key range; each style lookup goes
-- through the unique (item_id, model_id) index, whatever the statistics say.
CREATE FUNCTION prefd_tally_imported(p_project bigint, p_import bigint, p_after bigint,
                                     p_last bigint, p_limit integer)
RETURNS TABLE (id bigint, model_left bigint, model_right bigint, choice text, category text,
               language text, at_us bigint, style_a text, style_b text)
LANGUAGE sql STABLE AS $$
  SELECT iv.id, iv.model_left, iv.model_right, iv.choice, iv.category, iv.language,
         (extract(epoch FROM iv.created_at) * 1000000)::bigint,
         CASE WHEN iv.item_id IS NOT NULL
              THEN (SELECT r.style FROM responses r
                     WHERE r.item_id = iv.item_id AND r.model_id = iv.model_left)::text END,
         CASE WHEN iv.item_id IS NOT NULL
              THEN (SELECT r.style FROM responses r
                     WHERE r.item_id = iv.item_id AND r.model_id = iv.model_right)::text END
    FROM imported_votes iv
   WHERE iv.project_id = p_project
     AND iv.import_id = p_import
     AND iv.id > p_after
     AND iv.id <= p_last
   ORDER BY iv.id
   LIMIT p_limit
$$;
