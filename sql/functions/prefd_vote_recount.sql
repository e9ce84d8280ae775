-- Sets whether vote p_vote counts in rankings (from its exclusions, and whether its rater undid
-- it), moving its outcome in or
-- out of the pair totals. Returns true when that changed.
CREATE FUNCTION prefd_vote_recount(p_vote bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE v votes%ROWTYPE; should boolean;
BEGIN
  SELECT * INTO v FROM votes WHERE id = p_vote FOR UPDATE;
  IF NOT FOUND THEN RETURN false; END IF;
  should := v.undone_at IS NOT NULL OR EXISTS (SELECT 1 FROM exclusions e WHERE e.undone_at IS NULL AND e.project_id = v.project_id
                      AND (e.vote_id = v.id OR e.rater_id = v.rater_id));
  IF should = v.excluded THEN RETURN false; END IF;
  UPDATE votes SET excluded = should WHERE id = v.id;
  IF NOT v.is_gold THEN
    PERFORM prefd_count_vote(v.project_id, v.model_left, v.model_right, v.choice,
                             CASE WHEN should THEN -1 ELSE 1 END);
  END IF;
  RETURN true;
END
$$;
