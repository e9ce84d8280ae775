-- Stores a batch of validated item lines (JSON array of
-- {line, id, prompt, category, language, metadata, gold, gold_reason, digest, responses}),
-- returning per line 'accepted', 'unchanged' or 'conflict'.
CREATE FUNCTION prefd_items_put(p_project bigint, p_batch jsonb)
RETURNS TABLE (line integer, item text, status text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  s record;
  v_item bigint;
  v_digest bytea;
  v_old bytea;
  v_model bigint;
BEGIN
  FOR r IN SELECT * FROM jsonb_to_recordset(p_batch)
             AS x(line integer, id text, prompt text, category text, language text,
                  metadata jsonb, gold text, gold_reason text, digest text, responses jsonb)
  LOOP
    v_digest := decode(r.digest, 'hex');
    INSERT INTO items (project_id, ext_id, prompt, category, language, metadata, gold, gold_reason, digest)
    VALUES (p_project, r.id, r.prompt, coalesce(r.category, ''), coalesce(r.language, ''),
            r.metadata, r.gold, r.gold_reason, v_digest)
    ON CONFLICT (project_id, ext_id) DO NOTHING
    RETURNING id INTO v_item;
    IF v_item IS NULL THEN
      SELECT digest INTO v_old FROM items WHERE project_id = p_project AND ext_id = r.id;
      line := r.line;
      item := r.id;
      status := CASE WHEN v_old = v_digest THEN 'unchanged' ELSE 'conflict' END;
      RETURN NEXT;
      CONTINUE;
    END IF;
    FOR s IN SELECT y.model, y.text, y.ord - 1 AS pos
               FROM ROWS FROM (jsonb_to_recordset(r.responses) AS (model text, text text))
                    WITH ORDINALITY AS y(model, text, ord)
    LOOP
      INSERT INTO models (project_id, name) VALUES (p_project, s.model)
      ON CONFLICT (project_id, name) DO NOTHING;
      SELECT id INTO v_model FROM models WHERE project_id = p_project AND name = s.model;
      INSERT INTO responses (item_id, model_id, position, text) VALUES (v_item, v_model, s.pos, s.text);
    END LOOP;
    INSERT INTO model_pairs (project_id, model_lo, model_hi)
    SELECT p_project, a.model_id, b.model_id
      FROM responses a JOIN responses b ON b.item_id = a.item_id AND a.model_id < b.model_id
     WHERE a.item_id = v_item
    ON CONFLICT DO NOTHING;
    INSERT INTO comparisons (project_id, item_id, resp_lo, resp_hi, model_lo, model_hi, gold)
    SELECT p_project, v_item, a.id, b.id, a.model_id, b.model_id,
           CASE r.gold WHEN 'tie' THEN 'tie'
                       -- model_a is the response at position 0
                       WHEN 'model_a' THEN CASE WHEN a.position = 0 THEN 'lo' ELSE 'hi' END
                       WHEN 'model_b' THEN CASE WHEN a.position = 1 THEN 'lo' ELSE 'hi' END
           END
      FROM responses a JOIN responses b ON b.item_id = a.item_id AND a.model_id < b.model_id
     WHERE a.item_id = v_item;
    line := r.line;
    item := r.id;
    status := 'accepted';
    RETURN NEXT;
  END LOOP;
END
$$;
