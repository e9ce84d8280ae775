-- Ids for p_items new items and p_responses new responses of an upload batch, from their
-- sequences: each kind as its first id and count when the ids form one run (the usual case,
-- `list` NULL), else with the whole list, so that the uploader does not read one row per id.
CREATE FUNCTION prefd_upload_ids(p_items bigint, p_responses bigint)
RETURNS TABLE (kind text, first bigint, n bigint, list bigint[])
LANGUAGE sql AS $$
  WITH i AS (SELECT nextval('items_id_seq') AS id FROM generate_series(1, p_items)),
       r AS (SELECT nextval('responses_id_seq') AS id FROM generate_series(1, p_responses))
  SELECT 'items', min(id), count(*),
         CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL ELSE array_agg(id ORDER BY id) END
    FROM i
  UNION ALL
  SELECT 'responses', min(id), count(*),
         CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL ELSE array_agg(id ORDER BY id) END
    FROM r
$$;
