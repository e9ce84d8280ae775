-- The reviews of rater p_rater's votes in project p_slug (issue 17), newest first: a page of
-- p_limit + 1 (the extra row says another page follows) below review id p_before (0: from the
-- newest). Each row is the vote as the rater saw it (sides as shown, no model names), the
-- verdict and comment, the reviewer as their pseudonym, the rater's reply, and whether the
-- rater had read the review before; the reviews returned are marked read. One row with found
-- false and nothing else when the rater may not see the project. unread: the rater's unread
-- reviews in the project after this page was read.
-- Cost: the rater's reviewed votes in the project (votes_reviewed) and their reviews.
CREATE FUNCTION prefd_my_reviews(p_slug text, p_rater bigint, p_limit integer, p_before bigint)
RETURNS TABLE (found boolean, review_id bigint, vote_id bigint, created_at text, prompt text,
               left_text text, right_text text, choice text, flags_a json, flags_b json,
               rationale text, verdict text, comment text, reviewer text, reply text,
               replied_at text, was_read boolean, outcomes json, unread bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE pr projects%ROWTYPE; ids bigint[]; n_unread bigint;
BEGIN
  SELECT * INTO pr FROM projects p WHERE p.slug = p_slug;
  IF NOT FOUND OR NOT prefd_may_see(pr, p_rater, false) THEN
    RETURN QUERY SELECT false, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
                        NULL::text, NULL::text, NULL::json, NULL::json, NULL::text, NULL::text,
                        NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::json,
                        NULL::bigint;
    RETURN;
  END IF;
  SELECT array_agg(x.id ORDER BY x.id DESC) INTO ids
    FROM (SELECT w.id FROM votes v JOIN reviews w ON w.vote_id = v.id
           WHERE v.rater_id = p_rater AND v.project_id = pr.id AND v.reviews > 0
             AND (p_before <= 0 OR w.id < p_before)
           ORDER BY w.id DESC LIMIT p_limit + 1) x;
  ids := coalesce(ids, '{}');
  RETURN QUERY
  SELECT true, w.id, v.id, prefd_ts(w.created_at), it.prompt, rl.text, rr.text, v.choice,
         to_json(v.flags_left), to_json(v.flags_right), v.rationale, w.verdict, w.comment,
         u.pseudonym, w.reply, prefd_ts(w.replied_at), w.read_at IS NOT NULL,
         to_json(pr.outcomes), NULL::bigint
    FROM unnest(ids) WITH ORDINALITY AS k (id, o)
    JOIN reviews w ON w.id = k.id
    JOIN votes v ON v.id = w.vote_id
    JOIN users u ON u.id = w.reviewer_id
    LEFT JOIN items it ON it.id = v.item_id
    LEFT JOIN responses rl ON rl.id = v.resp_left
    LEFT JOIN responses rr ON rr.id = v.resp_right
   ORDER BY k.o;
  UPDATE reviews w SET read_at = now()
   WHERE w.id = ANY (ids[1:p_limit]) AND w.read_at IS NULL;
  SELECT count(*) INTO n_unread FROM votes v JOIN reviews w ON w.vote_id = v.id
   WHERE v.rater_id = p_rater AND v.project_id = pr.id AND v.reviews > 0 AND w.read_at IS NULL;
  -- the count comes last, as a row of its own
  RETURN QUERY SELECT true, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::text,
                      NULL::text, NULL::text, NULL::json, NULL::json, NULL::text, NULL::text,
                      NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean, NULL::json,
                      n_unread;
END
$$;
