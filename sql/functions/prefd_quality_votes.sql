-- Up to p_limit rated votes (not undone) of project p_project with ids above p_after, in id order, as the
-- quality statistics read them (server/qvotes.c): the comparison, the rater, the category, the
-- model chosen (0 for a tie or both bad), whether it is a control pair and answered as its
-- known answer, whether it chose the left answer, the seconds taken (-1 unknown), flags raised.
CREATE FUNCTION prefd_quality_votes(p_project bigint, p_after bigint, p_limit integer)
RETURNS TABLE (id bigint, comparison bigint, rater bigint, category text, chosen bigint,
               gold boolean, correct boolean, left_chosen boolean, seconds numeric, flags integer)
LANGUAGE sql STABLE AS $$
  SELECT v.id, v.comparison_id, v.rater_id, v.category,
         CASE v.choice WHEN 'a' THEN v.model_left WHEN 'b' THEN v.model_right ELSE 0 END,
         v.is_gold,
         coalesce(CASE c.gold WHEN 'tie' THEN v.choice IN ('tie', 'both_bad')
                              WHEN 'lo' THEN (v.choice = 'a' AND v.model_left = c.model_lo)
                                             OR (v.choice = 'b' AND v.model_right = c.model_lo)
                              WHEN 'hi' THEN (v.choice = 'a' AND v.model_left = c.model_hi)
                                             OR (v.choice = 'b' AND v.model_right = c.model_hi)
                  END, false),
         v.choice = 'a', coalesce(v.elapsed_ms / 1000.0, -1),
         cardinality(v.flags_left) + cardinality(v.flags_right)
    FROM votes v JOIN comparisons c ON c.id = v.comparison_id
   WHERE v.project_id = p_project AND v.id > p_after AND v.undone_at IS NULL
   ORDER BY v.id
   LIMIT p_limit
$$;
