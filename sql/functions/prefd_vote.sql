-- Votes cast by a rater under a standing exclusion are excluded from the start; a repeated
-- vote on a missed control pair gets the expected answer again.
CREATE FUNCTION prefd_vote(p_token text, p_rater bigint, p_choice text, p_flags_left text[],
                                      p_flags_right text[], p_rationale text, p_elapsed integer)
RETURNS prefd_vote_result LANGUAGE plpgsql AS $$
DECLARE
  a assignments%ROWTYPE;
  p projects%ROWTYPE;
  c comparisons%ROWTYPE;
  v votes%ROWTYPE;
  i items%ROWTYPE;
  r_left bigint; r_right bigint; m_left bigint; m_right bigint;
  out prefd_vote_result;
  bad text;
  excluded boolean;
BEGIN
  SELECT * INTO a FROM assignments WHERE token = p_token FOR UPDATE;
  IF NOT FOUND OR a.rater_id <> p_rater THEN
    out.status := 'not_found'; RETURN out;
  END IF;
  p_flags_left := ARRAY(SELECT DISTINCT x FROM unnest(p_flags_left) x ORDER BY 1);
  p_flags_right := ARRAY(SELECT DISTINCT x FROM unnest(p_flags_right) x ORDER BY 1);
  p_rationale := coalesce(p_rationale, '');
  IF a.state = 'voted' THEN
    SELECT * INTO v FROM votes WHERE assignment_id = a.id;
    IF v.choice = p_choice AND v.flags_left = p_flags_left AND v.flags_right = p_flags_right
       AND v.rationale = p_rationale AND v.elapsed_ms IS NOT DISTINCT FROM p_elapsed THEN
      out.status := 'same'; out.vote_id := v.id;
      SELECT g.gold, g.gold_reason INTO out.gold, out.gold_reason FROM prefd_gold_missed(a, p_choice) g;
      RETURN out;
    END IF;
    out.status := 'conflict';
    out.message := 'a different vote was already recorded for this assignment';
    RETURN out;
  END IF;
  IF a.state = 'skipped' THEN
    out.status := 'conflict'; out.message := 'this assignment was skipped'; RETURN out;
  END IF;
  IF a.state = 'expired' OR a.expires_at <= now() THEN
    IF a.state = 'open' THEN
      UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = a.id;
      PERFORM prefd_take(ARRAY[a.comparison_id], -1);
    END IF;
    out.status := 'gone'; out.message := 'the assignment expired; ask for the next comparison';
    RETURN out;
  END IF;
  SELECT * INTO p FROM projects WHERE id = a.project_id;
  IF NOT (p_choice = ANY (p.outcomes)) THEN
    out.status := 'invalid';
    out.message := format('choice "%s" is not offered by this project (offered: %s)', p_choice, array_to_string(p.outcomes, ', '));
    RETURN out;
  END IF;
  SELECT x INTO bad FROM unnest(p_flags_left || p_flags_right) x WHERE NOT (x = ANY (p.flags)) LIMIT 1;
  IF bad IS NOT NULL THEN
    out.status := 'invalid';
    out.message := format('flag "%s" is not offered by this project (offered: %s)', bad, array_to_string(p.flags, ', '));
    RETURN out;
  END IF;
  IF p.rationale = 'required' AND btrim(p_rationale) = '' THEN
    out.status := 'invalid'; out.message := 'this project requires a rationale'; RETURN out;
  END IF;
  IF p.rationale = 'off' AND p_rationale <> '' THEN
    out.status := 'invalid'; out.message := 'this project does not take rationales'; RETURN out;
  END IF;
  SELECT * INTO c FROM comparisons WHERE id = a.comparison_id;
  SELECT * INTO i FROM items WHERE id = c.item_id;
  IF a.left_is_lo THEN
    r_left := c.resp_lo; r_right := c.resp_hi; m_left := c.model_lo; m_right := c.model_hi;
  ELSE
    r_left := c.resp_hi; r_right := c.resp_lo; m_left := c.model_hi; m_right := c.model_lo;
  END IF;
  excluded := EXISTS (SELECT 1 FROM exclusions e WHERE e.project_id = p.id AND e.rater_id = p_rater
                        AND e.undone_at IS NULL);
  INSERT INTO votes (project_id, source, assignment_id, comparison_id, item_id, prompt_ext,
                     model_left, model_right, resp_left, resp_right, choice, flags_left,
                     flags_right, rationale, elapsed_ms, guidelines_version, rater_id, category,
                     language, is_gold, excluded)
  VALUES (p.id, 'rated', a.id, c.id, i.id, i.ext_id, m_left, m_right, r_left, r_right, p_choice,
          p_flags_left, p_flags_right, p_rationale, p_elapsed, a.guidelines_version, p_rater,
          i.category, i.language, c.gold IS NOT NULL, excluded)
  RETURNING * INTO v;
  UPDATE assignments SET state = 'voted', closed_at = now() WHERE id = a.id;
  UPDATE comparisons SET votes = votes + 1 WHERE id = c.id;
  IF c.gold IS NULL THEN
    IF NOT excluded THEN
      PERFORM prefd_count_vote(p.id, m_left, m_right, p_choice, i.category, i.language, v.created_at, 1);
    END IF;
  ELSE
    -- A control pair: tell the rater the expected answer (as shown on screen) when missed.
    SELECT g.gold, g.gold_reason INTO out.gold, out.gold_reason FROM prefd_gold_missed(a, p_choice) g;
  END IF;
  out.status := 'created';
  out.vote_id := v.id;
  RETURN out;
END
$$;
