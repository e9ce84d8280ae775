-- Records reviewer p_reviewer's verdict on vote p_vote. Status: created | same (identical
-- review again) | conflict (a different review exists) | not_found | forbidden (not a reviewer
-- of the vote's project) | own (one's own vote).
CREATE FUNCTION prefd_review(p_vote bigint, p_reviewer bigint, p_admin boolean, p_verdict text,
                             p_comment text, OUT status text, OUT review_id bigint)
LANGUAGE plpgsql AS $$
DECLARE v votes%ROWTYPE; w reviews%ROWTYPE;
BEGIN
  SELECT * INTO v FROM votes WHERE id = p_vote;
  IF NOT FOUND OR v.is_gold OR v.undone_at IS NOT NULL THEN status := 'not_found'; RETURN; END IF;
  IF NOT p_admin AND NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = v.project_id
                                   AND m.kind = 'reviewer' AND m.user_id = p_reviewer) THEN
    status := 'forbidden'; RETURN;
  END IF;
  IF v.rater_id = p_reviewer THEN status := 'own'; RETURN; END IF;
  INSERT INTO reviews (vote_id, reviewer_id, verdict, comment)
  VALUES (p_vote, p_reviewer, p_verdict, coalesce(p_comment, ''))
  ON CONFLICT (vote_id, reviewer_id) DO NOTHING RETURNING * INTO w;
  IF FOUND THEN
    UPDATE votes SET reviews = reviews + 1 WHERE id = p_vote;
    status := 'created'; review_id := w.id; RETURN;
  END IF;
  SELECT * INTO w FROM reviews WHERE vote_id = p_vote AND reviewer_id = p_reviewer;
  review_id := w.id;
  status := CASE WHEN w.verdict = p_verdict AND w.comment = coalesce(p_comment, '') THEN 'same' ELSE 'conflict' END;
END
$$;
