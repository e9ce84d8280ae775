-- What the in-memory vote index (server/tally_sync.c) reads to follow project p_project: one row
-- 'x' (id: the snapshot's xmin, a: the project's counts_epoch), then up to p_limit counted rated
-- votes written at or after the transaction mark p_mark with ids above p_after, in id order ('v':
-- id, a/b the models shown left/right, the choice, category, language, at_us the time in
-- microseconds since 1970, txid, who the rater, style_a/style_b the answers' style features,
-- strength), then, on the first chunk only (p_after = 0), the imports committed since the mark
-- ('i': id, a/b their first and last vote ids, txid, who their vote count). One statement, one
-- snapshot (a STABLE function runs in its caller's): the xmin and the rows agree. Cost: index
-- ranges on (project_id, txid) of votes and imports; the style lookups by primary key.
CREATE FUNCTION prefd_tally_feed(p_project bigint, p_mark xid8, p_after bigint, p_limit integer)
RETURNS TABLE (kind text, id text, a bigint, b bigint, choice text, category text,
               language text, at_us bigint, txid text, who bigint, style_a text, style_b text,
               strength smallint)
LANGUAGE sql STABLE AS $$
  (SELECT 'x', pg_snapshot_xmin(pg_current_snapshot())::text,
          (SELECT p.counts_epoch FROM projects p WHERE p.id = p_project), NULL::bigint,
          NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::bigint,
          NULL::text, NULL::text, NULL::smallint)
  UNION ALL
  (SELECT 'v', v.id::text, v.model_left, v.model_right, v.choice, v.category, v.language,
          (extract(epoch FROM v.created_at) * 1000000)::bigint, v.txid::text, v.rater_id,
          (SELECT r.style FROM responses r WHERE r.id = v.resp_left)::text,
          (SELECT r.style FROM responses r WHERE r.id = v.resp_right)::text,
          v.strength
     FROM votes v
    WHERE v.project_id = p_project
      AND v.txid >= p_mark
      AND v.id > p_after
      AND NOT v.is_gold
      AND NOT v.excluded
    ORDER BY v.id
    LIMIT p_limit)
  UNION ALL
  (SELECT 'i', i.id::text, i.first_id, i.last_id, NULL, NULL, NULL, NULL, i.txid::text,
          i.votes::bigint, NULL, NULL, NULL
     FROM imports i
    WHERE i.project_id = p_project
      AND i.txid >= p_mark
      AND i.votes > 0
      AND p_after = 0)
$$;
