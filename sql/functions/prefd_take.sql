-- Changes the work counters of comparisons, their prompts and their model pairs together.
-- Rows are locked in one global order (comparisons, then items, then model pairs, each by key)
-- so that concurrent assignment, expiry and votes cannot deadlock.
CREATE FUNCTION prefd_take(p_comparisons bigint[], p_delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record; c comparisons%ROWTYPE;
BEGIN
  IF cardinality(p_comparisons) = 1 THEN
    UPDATE comparisons SET taken = taken + p_delta WHERE id = p_comparisons[1] RETURNING * INTO c;
    IF c.gold IS NULL THEN
      UPDATE items SET taken = taken + p_delta WHERE id = c.item_id;
      UPDATE model_pairs SET taken = taken + p_delta
       WHERE project_id = c.project_id AND model_lo = c.model_lo AND model_hi = c.model_hi;
    END IF;
    RETURN;
  END IF;
  FOR r IN SELECT x AS id, count(*) AS n FROM unnest(p_comparisons) x GROUP BY x ORDER BY x LOOP
    UPDATE comparisons SET taken = taken + p_delta * r.n WHERE id = r.id;
  END LOOP;
  -- control pairs are shown to everyone and are not part of the coverage
  FOR r IN SELECT c.item_id, count(*) AS n FROM unnest(p_comparisons) x JOIN comparisons c ON c.id = x
            WHERE c.gold IS NULL GROUP BY c.item_id ORDER BY c.item_id LOOP
    UPDATE items SET taken = taken + p_delta * r.n WHERE id = r.item_id;
  END LOOP;
  FOR r IN SELECT c.project_id, c.model_lo, c.model_hi, count(*) AS n
             FROM unnest(p_comparisons) x JOIN comparisons c ON c.id = x
            WHERE c.gold IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LOOP
    UPDATE model_pairs SET taken = taken + p_delta * r.n
     WHERE project_id = r.project_id AND model_lo = r.model_lo AND model_hi = r.model_hi;
  END LOOP;
END
$$;
