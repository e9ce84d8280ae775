-- The reviews reviewer p_reviewer gave in project p_slug (issue 17), newest first, a page of
-- p_limit + 1 below review id p_before (0: from the newest), with the rater's reply: so the
-- reviewer sees the answers. No rows when the project does not exist. Cost: the reviewer's
-- reviews (reviews_reviewer).
CREATE FUNCTION prefd_given_reviews(p_slug text, p_reviewer bigint, p_limit integer,
                                    p_before bigint)
RETURNS TABLE (review_id bigint, vote_id bigint, verdict text, comment text, created_at text,
               reply text, replied_at text)
LANGUAGE sql STABLE AS $$
  SELECT w.id, w.vote_id, w.verdict, w.comment, prefd_ts(w.created_at), w.reply,
         prefd_ts(w.replied_at)
    FROM reviews w JOIN votes v ON v.id = w.vote_id JOIN projects p ON p.id = v.project_id
   WHERE w.reviewer_id = p_reviewer AND p.slug = p_slug AND (p_before <= 0 OR w.id < p_before)
   ORDER BY w.id DESC LIMIT p_limit + 1
$$;
