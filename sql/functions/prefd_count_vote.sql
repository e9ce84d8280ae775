-- Adds (sign 1) or removes (sign -1) one vote's outcome to its pair's totals. Removal updates
-- in place: an INSERT ... ON CONFLICT would check the negative proposed row against the
-- totals' constraints before finding the conflict.
CREATE FUNCTION prefd_count_vote(p_project bigint, p_left bigint, p_right bigint,
                                            p_choice text, p_category text, p_language text,
                                            p_at timestamptz, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  left_is_lo boolean := p_left < p_right;
  lw integer := CASE WHEN (p_choice = 'a' AND left_is_lo) OR (p_choice = 'b' AND NOT left_is_lo) THEN p_sign ELSE 0 END;
  hw integer := CASE WHEN (p_choice = 'a' AND NOT left_is_lo) OR (p_choice = 'b' AND left_is_lo) THEN p_sign ELSE 0 END;
  t integer := CASE WHEN p_choice = 'tie' THEN p_sign ELSE 0 END;
  bb integer := CASE WHEN p_choice = 'both_bad' THEN p_sign ELSE 0 END;
  lft integer := CASE WHEN p_choice = 'a' THEN p_sign ELSE 0 END;
  rgt integer := CASE WHEN p_choice = 'b' THEN p_sign ELSE 0 END;
BEGIN
  IF p_sign < 0 THEN
    UPDATE pair_totals c
       SET lo_wins = c.lo_wins + lw, hi_wins = c.hi_wins + hw, ties = c.ties + t,
           both_bad = c.both_bad + bb, left_wins = c.left_wins + lft, right_wins = c.right_wins + rgt
     WHERE c.project_id = p_project AND c.model_lo = least(p_left, p_right)
       AND c.model_hi = greatest(p_left, p_right);
    IF NOT FOUND THEN
      RAISE EXCEPTION 'pair totals of models % and % are missing', p_left, p_right;
    END IF;
    RETURN;
  END IF;
  INSERT INTO pair_totals AS c (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad,
                                left_wins, right_wins)
  VALUES (p_project, least(p_left, p_right), greatest(p_left, p_right), lw, hw, t, bb, lft, rgt)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET lo_wins = c.lo_wins + EXCLUDED.lo_wins, hi_wins = c.hi_wins + EXCLUDED.hi_wins,
        ties = c.ties + EXCLUDED.ties, both_bad = c.both_bad + EXCLUDED.both_bad,
        left_wins = c.left_wins + EXCLUDED.left_wins, right_wins = c.right_wins + EXCLUDED.right_wins;
END
$$;
