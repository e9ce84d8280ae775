-- Deletes item p_ext of project p_project for admin p_by, keeping its rows: the item is marked
-- (deleted_at, deleted_by); its comparisons are withdrawn (filled, never given again, control
-- pairs included; their open assignments closed and their places taken out of the open count);
-- its rated votes are kept (rater statistics still see the work) and excluded from rankings and
-- exports, one exclusion each (reason "item <id> deleted", by p_by). Returns (status ok |
-- not_found, deleted_at, votes kept, votes newly excluded).
--
-- Lock order: the assignments, the comparisons, then the counters (as prefd_expire).
CREATE FUNCTION prefd_item_delete(p_project bigint, p_ext text, p_by bigint)
RETURNS TABLE (status text, deleted_at text, votes bigint, excluded bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE it items%ROWTYPE; v_overlap integer; v_free bigint; v_cmp bigint; n_ex bigint := 0;
        n_votes bigint; r record; changed boolean := false;
BEGIN
  SELECT * INTO it FROM items x WHERE x.project_id = p_project AND x.ext_id = p_ext
     AND x.deleted_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::bigint, NULL::bigint;
    RETURN;
  END IF;
  SELECT p.overlap INTO v_overlap FROM projects p WHERE p.id = p_project;
  PERFORM 1 FROM assignments a JOIN comparisons c ON c.id = a.comparison_id
   WHERE c.project_id = p_project AND c.item_id = it.id AND a.state = 'open'
   ORDER BY a.id FOR UPDATE OF a;
  PERFORM 1 FROM comparisons c WHERE c.project_id = p_project AND c.item_id = it.id
   ORDER BY c.id FOR UPDATE;
  -- the open places and the ordinary comparisons it held leave the counts (as counted now)
  SELECT coalesce(sum(greatest(v_overlap - c.taken, 0)), 0), count(*) INTO v_free, v_cmp
    FROM comparisons c
   WHERE c.project_id = p_project AND c.item_id = it.id AND c.gold IS NULL AND NOT c.withdrawn;
  -- open assignments closed, their places given back to the comparison before it goes
  UPDATE assignments a SET state = 'expired', closed_at = now()
    FROM comparisons c
   WHERE a.comparison_id = c.id AND c.project_id = p_project AND c.item_id = it.id
     AND a.state = 'open';
  UPDATE comparisons c SET taken = (SELECT count(*) FROM assignments a WHERE a.comparison_id = c.id
                                       AND a.state IN ('open', 'voted'))
   WHERE c.project_id = p_project AND c.item_id = it.id;
  UPDATE comparisons c SET withdrawn = true, filled = true
   WHERE c.project_id = p_project AND c.item_id = it.id;
  UPDATE projects p SET comparisons = p.comparisons - v_cmp WHERE p.id = p_project;
  IF v_free > 0 THEN
    PERFORM prefd_counts_add(p_project, -v_free, 0);
  END IF;
  -- the votes: kept, excluded
  FOR r IN SELECT v.id FROM votes v
            WHERE v.project_id = p_project AND v.item_id = it.id AND v.undone_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.vote_id = v.id
                                AND e.undone_at IS NULL)
            ORDER BY v.id LOOP
    INSERT INTO exclusions (project_id, vote_id, reason, created_by)
    VALUES (p_project, r.id, format('item %s deleted', left(p_ext, 180)), p_by);
    changed := prefd_vote_recount(r.id) OR changed;
    n_ex := n_ex + 1;
  END LOOP;
  IF changed THEN
    UPDATE projects SET counts_epoch = counts_epoch + 1 WHERE id = p_project;
  END IF;
  SELECT count(*) INTO n_votes FROM votes v
   WHERE v.project_id = p_project AND v.item_id = it.id AND v.undone_at IS NULL;
  UPDATE items x SET deleted_at = now(), deleted_by = p_by WHERE x.id = it.id;
  RETURN QUERY SELECT 'ok'::text, prefd_ts(now()), n_votes, n_ex;
END
$$;
