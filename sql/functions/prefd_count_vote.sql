-- Adds (sign 1) or removes (sign -1) one vote's outcome to its pair's totals, in this
-- connection's shard. p_choice is relative to the screen: 'a' left, 'b' right.
CREATE FUNCTION prefd_count_vote(p_project bigint, p_left bigint, p_right bigint, p_choice text,
                                 p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  decided boolean := p_choice IN ('a', 'b');
  lo_won boolean := (p_choice = 'a') = (p_left < p_right);
BEGIN
  INSERT INTO pair_totals AS c (project_id, model_lo, model_hi, shard, lo_wins, hi_wins, ties,
                                both_bad, left_wins, right_wins)
  VALUES (p_project, least(p_left, p_right), greatest(p_left, p_right), prefd_shard(),
          CASE WHEN decided AND lo_won THEN p_sign ELSE 0 END,
          CASE WHEN decided AND NOT lo_won THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'tie' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'both_bad' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'a' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'b' THEN p_sign ELSE 0 END)
  ON CONFLICT (project_id, model_lo, model_hi, shard) DO UPDATE
    SET lo_wins = c.lo_wins + EXCLUDED.lo_wins, hi_wins = c.hi_wins + EXCLUDED.hi_wins,
        ties = c.ties + EXCLUDED.ties, both_bad = c.both_bad + EXCLUDED.both_bad,
        left_wins = c.left_wins + EXCLUDED.left_wins, right_wins = c.right_wins + EXCLUDED.right_wins;
END
$$;
