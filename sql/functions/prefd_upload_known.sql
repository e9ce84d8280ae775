-- Which of the ids p_ids (a batch of an item upload into project p_project) are known already:
-- from an earlier line of this upload (line > 0, with that line's digest) or stored before
-- (line 0, with the stored digest). An index probe per id: the cost is the batch's.
CREATE FUNCTION prefd_upload_known(p_project bigint, p_ids text[])
RETURNS TABLE (ext_id text, line integer, digest text)
LANGUAGE sql STABLE AS $$
  SELECT x.id, coalesce(s.line, 0), coalesce(s.digest, encode(i.digest, 'hex'))
    FROM unnest(p_ids) x (id)
    LEFT JOIN upload_seen s ON s.ext_id = x.id
    LEFT JOIN LATERAL (SELECT y.digest FROM items y
                        WHERE y.project_id = p_project AND y.ext_id = x.id OFFSET 0) i
           ON s.line IS NULL
   WHERE s.line IS NOT NULL OR i.digest IS NOT NULL
$$;
