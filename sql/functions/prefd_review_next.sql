-- The review a reviewer gets next in project p_project: a rated vote (not undone) by someone else, not yet
-- reviewed by them, the least reviewed first, then the oldest (an ordered index scan). NULL
-- when none.
--
-- Filters (issue 17; NULL for none), so that reviewers spend their time where errors are
-- likely: p_rater, the votes of that user only; p_filter
--   disagreement  votes on ordinary comparisons whose value (the winning model, or tie for tie
--                 and both bad) differs from the value more than half of the comparison's other
--                 votes chose;
--   gold_wrong    control pairs answered otherwise than their known answer (both bad counts as
--                 tie, as for control-pair feedback);
--   flagged       votes that raised a flag on either answer.
-- Cost: without filters, the first entries of the review queue's index; with them, the
-- project's votes in that order until one qualifies (each checked by its comparison's few
-- votes through assignments' unique index) — at worst a scan of the project's votes.
CREATE FUNCTION prefd_review_next(p_project bigint, p_reviewer bigint, p_rater bigint,
                                  p_filter text) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT v.id FROM votes v
   WHERE v.project_id = p_project AND v.is_gold = (p_filter IS NOT DISTINCT FROM 'gold_wrong')
     AND v.rater_id <> p_reviewer
     AND (p_rater IS NULL OR v.rater_id = p_rater)
     AND v.undone_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.vote_id = v.id AND r.reviewer_id = p_reviewer)
     AND (p_filter IS NULL
          OR (p_filter = 'flagged' AND cardinality(v.flags_left) + cardinality(v.flags_right) > 0)
          OR (p_filter = 'gold_wrong' AND prefd_gold_missed(v))
          OR (p_filter = 'disagreement' AND EXISTS (
                SELECT 1 FROM (
                  SELECT CASE o.choice WHEN 'a' THEN o.model_left WHEN 'b' THEN o.model_right
                                       ELSE 0 END AS val, count(*) AS n,
                         sum(count(*)) OVER () AS total
                    FROM assignments oa JOIN votes o ON o.assignment_id = oa.id
                   WHERE oa.comparison_id = v.comparison_id AND oa.state = 'voted'
                     AND o.id <> v.id
                   GROUP BY 1) m
                 WHERE 2 * m.n > m.total
                   AND m.val <> CASE v.choice WHEN 'a' THEN v.model_left
                                              WHEN 'b' THEN v.model_right ELSE 0 END)))
   ORDER BY v.reviews, v.id
   LIMIT 1
$$;
