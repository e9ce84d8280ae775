-- The review a reviewer gets next in project p_project: a rated vote (not undone) by someone else, not yet
-- reviewed by them, the least reviewed first, then the oldest (an ordered index scan). NULL
-- when none.
CREATE FUNCTION prefd_review_next(p_project bigint, p_reviewer bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT v.id FROM votes v
   WHERE v.project_id = p_project AND NOT v.is_gold AND v.rater_id <> p_reviewer
     AND v.undone_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.vote_id = v.id AND r.reviewer_id = p_reviewer)
   ORDER BY v.reviews, v.id
   LIMIT 1
$$;
