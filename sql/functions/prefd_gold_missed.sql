-- Whether vote v, on a control pair, missed its known answer (both bad counts as tie, as the
-- vote's feedback says). False for votes on ordinary comparisons. One lookup by key each.
CREATE FUNCTION prefd_gold_missed(v votes) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT CASE c.gold WHEN 'tie' THEN v.choice NOT IN ('tie', 'both_bad')
                                      WHEN 'lo' THEN v.choice <> CASE WHEN a.left_is_lo THEN 'a' ELSE 'b' END
                                      ELSE v.choice <> CASE WHEN a.left_is_lo THEN 'b' ELSE 'a' END END
                     FROM comparisons c JOIN assignments a ON a.id = v.assignment_id
                    WHERE c.id = v.comparison_id AND c.gold IS NOT NULL AND v.is_gold), false)
$$;
