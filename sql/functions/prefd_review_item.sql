-- What GET /projects/{slug}/review/next shows reviewer p_reviewer in project p_slug: whether
-- they may review there (p_admin, or a reviewer of the project), and the vote prefd_review_next
-- picks (p_rater: only that user's votes, by name, none when no such user; p_filter: see
-- prefd_review_next) as its rater saw it: prompt, left and right answers as shown, choice,
-- flags, rationale, the project's outcomes, the vote's reviews so far and the parts of issue 14
-- it has (strength, scores, rewrite, flag quotes, messages). The vote's columns are NULL when
-- there is nothing to review; no row when the project does not exist.
CREATE FUNCTION prefd_review_item(p_slug text, p_reviewer bigint, p_admin boolean,
                                  p_rater text, p_filter text)
RETURNS TABLE (allowed boolean, vote_id bigint, prompt text, left_text text, right_text text,
               choice text, flags_left json, flags_right json, rationale text, outcomes json,
               reviews integer, extra jsonb)
LANGUAGE sql AS $$
  WITH p AS (SELECT * FROM projects WHERE slug = p_slug),
  a AS (SELECT p_admin OR EXISTS (SELECT 1 FROM project_members m, p
                                   WHERE m.project_id = p.id AND m.kind = 'reviewer'
                                     AND m.user_id = p_reviewer) AS allowed),
  n AS (SELECT CASE WHEN a.allowed
                    THEN prefd_review_next(p.id, p_reviewer,
                                           CASE WHEN p_rater IS NOT NULL
                                                THEN coalesce((SELECT u.id FROM users u
                                                                WHERE u.name = p_rater), -1) END,
                                           p_filter) END AS vote
          FROM p, a)
  SELECT a.allowed, v.id, i.prompt, rl.text, rr.text, v.choice,
         to_json(v.flags_left), to_json(v.flags_right), v.rationale, to_json(p.outcomes),
         v.reviews,
         jsonb_strip_nulls(jsonb_build_object('strength', v.strength, 'scores', v.scores,
                                              'rewrite', v.rewrite, 'flag_quotes', v.flag_quotes,
                                              'messages', i.messages))
    FROM p CROSS JOIN a CROSS JOIN n
    LEFT JOIN votes v ON v.id = n.vote
    LEFT JOIN items i ON i.id = v.item_id
    LEFT JOIN responses rl ON rl.id = v.resp_left
    LEFT JOIN responses rr ON rr.id = v.resp_right
$$;
