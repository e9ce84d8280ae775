-- For a vote p_choice on assignment p_a: when it is a control pair answered otherwise than
-- expected, the expected choice as the rater saw the sides (a | b | tie) and the reason.
CREATE FUNCTION prefd_gold_missed(p_a assignments, p_choice text, OUT gold text, OUT gold_reason text)
LANGUAGE sql STABLE AS $$
  SELECT e.expected, i.gold_reason
    FROM comparisons c JOIN items i ON i.id = c.item_id,
         LATERAL (SELECT CASE c.gold WHEN 'tie' THEN 'tie'
                                     WHEN 'lo' THEN CASE WHEN p_a.left_is_lo THEN 'a' ELSE 'b' END
                                     ELSE CASE WHEN p_a.left_is_lo THEN 'b' ELSE 'a' END END) e (expected)
   WHERE c.id = p_a.comparison_id AND c.gold IS NOT NULL
     AND e.expected <> p_choice AND NOT (e.expected = 'tie' AND p_choice = 'both_bad')
$$;
