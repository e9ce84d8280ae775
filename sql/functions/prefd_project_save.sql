CREATE FUNCTION prefd_project_save(p_slug text, p jsonb, p_create boolean)
RETURNS TABLE (status text, message text, project jsonb) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  pr projects%ROWTYPE;
  old_overlap integer;
  delta bigint;
  missing text;
  v_kind text;
BEGIN
  IF p_create THEN
    INSERT INTO projects (slug, title) VALUES (p_slug, p->>'title')
    ON CONFLICT (slug) DO NOTHING RETURNING * INTO pr;
    IF NOT FOUND THEN status := 'exists'; RETURN NEXT; RETURN; END IF;
    INSERT INTO guidelines (project_id, version, text) VALUES (pr.id, 1, coalesce(p->>'guidelines', ''));
    INSERT INTO queue_heads (project_id) VALUES (pr.id);
  ELSE
    SELECT * INTO pr FROM projects WHERE slug = p_slug FOR NO KEY UPDATE;
    IF NOT FOUND THEN status := 'not_found'; RETURN NEXT; RETURN; END IF;
    old_overlap := pr.overlap;
  END IF;
  IF NOT p_create AND p ? 'guidelines' AND p->>'guidelines' IS DISTINCT FROM pr.guidelines THEN
    pr.guidelines_version := pr.guidelines_version + 1;
    INSERT INTO guidelines (project_id, version, text) VALUES (pr.id, pr.guidelines_version, p->>'guidelines');
  END IF;
  UPDATE projects SET
    title = coalesce(p->>'title', title),
    guidelines = coalesce(p->>'guidelines', guidelines),
    guidelines_version = pr.guidelines_version,
    outcomes = CASE WHEN p ? 'outcomes' THEN ARRAY(SELECT jsonb_array_elements_text(p->'outcomes')) ELSE outcomes END,
    flags = CASE WHEN p ? 'flags' THEN ARRAY(SELECT jsonb_array_elements_text(p->'flags')) ELSE flags END,
    rationale = coalesce(p->>'rationale', rationale),
    schedule = coalesce(p->>'schedule', schedule),
    overlap = coalesce((p->>'overlap')::integer, overlap),
    lease_seconds = coalesce((p->>'lease_seconds')::integer, lease_seconds),
    gold_rate = coalesce((p->>'gold_rate')::double precision, gold_rate),
    status = coalesce(p->>'status', status),
    qc_min_seconds = coalesce((p->>'qc_min_seconds')::double precision, qc_min_seconds),
    qc_min_gold_accuracy = coalesce((p->>'qc_min_gold_accuracy')::double precision, qc_min_gold_accuracy),
    strength = coalesce((p->>'strength')::boolean, strength),
    criteria = CASE WHEN p ? 'criteria' THEN p->'criteria' ELSE criteria END,
    rewrite = coalesce(p->>'rewrite', rewrite),
    reveal = coalesce((p->>'reveal')::boolean, reveal),
    explicit = coalesce((p->>'explicit')::boolean, explicit),
    qual_gold = CASE WHEN NOT p ? 'qualification' THEN qual_gold
                     ELSE coalesce((p->'qualification'->>'gold')::integer, 0) END,
    qual_min_accuracy = CASE WHEN jsonb_typeof(p->'qualification') = 'object'
                             THEN coalesce((p->'qualification'->>'min_accuracy')::double precision, 0.8)
                             ELSE qual_min_accuracy END,
    qual_retry_hours = CASE WHEN jsonb_typeof(p->'qualification') = 'object'
                            THEN coalesce((p->'qualification'->>'retry_after_hours')::double precision, 24)
                            ELSE qual_retry_hours END,
    raters_all = CASE WHEN p ? 'raters' THEN p->'raters' = '"all"'::jsonb ELSE raters_all END,
    updated_at = now()
  WHERE id = pr.id RETURNING * INTO pr;
  -- A new overlap moves comparisons into or out of the queue, and changes the open places.
  IF old_overlap IS DISTINCT FROM pr.overlap AND NOT p_create THEN
    UPDATE comparisons c SET filled = c.taken >= pr.overlap
     WHERE c.project_id = pr.id AND c.gold IS NULL AND c.filled <> (c.taken >= pr.overlap);
    SELECT coalesce(sum(greatest(pr.overlap - c.taken, 0) - greatest(old_overlap - c.taken, 0)), 0)
      INTO delta
      FROM comparisons c
     WHERE c.project_id = pr.id AND c.gold IS NULL;
    UPDATE queue_heads SET taken = 0, turn = 0 WHERE project_id = pr.id;
    PERFORM prefd_counts_add(pr.id, delta, 0);
  END IF;
  FOREACH v_kind IN ARRAY ARRAY['rater', 'reviewer'] LOOP
    CONTINUE WHEN NOT p ? (v_kind || 's');
    DELETE FROM project_members m WHERE m.project_id = pr.id AND m.kind = v_kind;
    CONTINUE WHEN jsonb_typeof(p->(v_kind || 's')) <> 'array';
    SELECT x INTO missing FROM jsonb_array_elements_text(p->(v_kind || 's')) x
     WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.name = x) LIMIT 1;
    IF missing IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = format('no user named "%s"', missing);
    END IF;
    INSERT INTO project_members (project_id, user_id, kind)
    SELECT pr.id, u.id, v_kind FROM users u
     WHERE u.name IN (SELECT jsonb_array_elements_text(p->(v_kind || 's')));
  END LOOP;
  status := 'ok';
  project := prefd_project_json(pr, true);
  RETURN NEXT;
END
$$;
