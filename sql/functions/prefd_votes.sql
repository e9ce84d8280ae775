-- Records a batch of votes, each a rater's vote on one of their assignments, in one
-- transaction: p_votes is a JSON array of {i, token, rater, choice, flags_left, flags_right,
-- rationale, elapsed, strength, scores, rewrite, quotes, cookie, cred} (i: the caller's index; cookie and cred: the credential to
-- check again when prefd took the caller from its cache, see prefd_cred_role; p_roles: the roles
-- the route is open to). No token may appear twice in one batch. Returns one row per vote:
--   created    stored (vote_id), with the expected answer of a missed control pair (gold,
--              gold_reason, as the rater saw the sides: a | b | tie);
--   same       the identical vote again: the same vote_id (and gold answer);
--   conflict   a different vote was stored, or the assignment was skipped (message);
--   gone       the lease ran out and someone else took its place;
--   invalid    a choice, flag or rationale the project does not take (message);
--   not_found  no such assignment of this rater;
--   unauthorized / role   the credential check failed (role: message is the caller's role).
-- An invalid vote names its field (field); a created or same vote of a project with "reveal"
-- names the models as shown (models: {"a", "b"}).
-- The parts of issue 14: a strength only on a decided vote of a project with "strength", scores
-- only of the project's criteria (1..scale, required ones for both answers), a rewrite only when
-- the project takes one ("required_when_both_bad": a both_bad vote needs it). A vote flagging an
-- answer unsafe marks that answer sensitive for later raters.
-- Votes cast by a rater under a standing exclusion are excluded from the start.
--
-- Cost: a few statements for the whole batch. Rows are locked in the order every rating function
-- keeps (see prefd_expire): the assignments (by id), their comparisons (by id), then the
-- counters (and the answers flagged unsafe, by id); so concurrent batches, assignments and skips
-- cannot deadlock.
-- Merge joins, hash joins and sequential scans are off: every statement here starts from the
-- batch's few keys, but the generic plan is made once per connection from the statistics of the
-- moment, and with a project just uploaded (no assignments yet) the planner merged the batch with
-- an index scan of all comparisons (60 ms at a million) or hashed a scan of all assignments.
-- Nested loops over the keys' indexes keep each statement O(batch) whatever the statistics say.
CREATE FUNCTION prefd_votes(p_votes jsonb, p_roles text[])
RETURNS TABLE (i integer, status text, vote_id bigint, message text, gold text, gold_reason text,
               field text, models jsonb)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_mergejoin = off
  SET enable_hashjoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
  tokens text[] := ARRAY(SELECT x->>'token' FROM jsonb_array_elements(p_votes) x);
  r record;
BEGIN
  PERFORM 1 FROM assignments a WHERE a.token = ANY (tokens) ORDER BY a.id FOR UPDATE;
  PERFORM 1 FROM comparisons c
   WHERE c.id IN (SELECT a.comparison_id FROM assignments a WHERE a.token = ANY (tokens)
                     AND a.state IN ('open', 'expired'))
   ORDER BY c.id FOR UPDATE;
  -- A lease that ran out still takes its vote while nobody else took its place: an open one
  -- still holds it; a closed one takes it again (prefd_retake), else the vote is "gone".
  FOR r IN SELECT a.id FROM assignments a
            WHERE a.state = 'expired'
              AND (a.token, a.rater_id) IN (SELECT x->>'token', (x->>'rater')::bigint
                                              FROM jsonb_array_elements(p_votes) x)
            ORDER BY a.id LOOP
    PERFORM prefd_retake(r.id);
  END LOOP;
  -- Answers about to be flagged unsafe (marked sensitive below), locked after the comparisons,
  -- in id order, so that two batches flagging the same answers cannot deadlock.
  IF p_votes @? '$[*] ? (@.flags_left[*] == "unsafe" || @.flags_right[*] == "unsafe")' THEN
    PERFORM 1 FROM responses rs
     WHERE rs.id IN (SELECT CASE WHEN (a.left_is_lo AND x.side = 'l') OR (NOT a.left_is_lo AND x.side = 'r')
                                 THEN c.resp_lo ELSE c.resp_hi END
                       FROM jsonb_array_elements(p_votes) v
                       CROSS JOIN LATERAL (SELECT 'l' AS side WHERE v->'flags_left' ? 'unsafe'
                                           UNION ALL SELECT 'r' WHERE v->'flags_right' ? 'unsafe') x
                       JOIN assignments a ON a.token = v->>'token' AND a.state = 'open'
                       JOIN comparisons c ON c.id = a.comparison_id)
     ORDER BY rs.id FOR UPDATE;
  END IF;

  RETURN QUERY
  WITH input AS MATERIALIZED (
    SELECT x.i, x.token, x.rater, x.choice,
           ARRAY(SELECT DISTINCT f FROM unnest(x.flags_left) f ORDER BY 1) AS fl,
           ARRAY(SELECT DISTINCT f FROM unnest(x.flags_right) f ORDER BY 1) AS fr,
           coalesce(x.rationale, '') AS rationale, x.elapsed, x.strength, x.scores, x.rewrite,
           x.quotes,
           CASE WHEN x.cred IS NULL THEN '' ELSE prefd_cred_role(x.cookie, x.cred, x.rater) END
             AS role
      FROM jsonb_to_recordset(p_votes) AS x (i integer, token text, rater bigint, choice text,
                                             flags_left text[], flags_right text[],
                                             rationale text, elapsed integer,
                                             strength smallint, scores jsonb, rewrite text,
                                             quotes jsonb, cookie boolean, cred text)),
  -- everything known of each vote's assignment
  j AS (
    SELECT n.*, a.id AS aid, a.state, a.left_is_lo, a.guidelines_version AS gv, a.project_id,
           a.comparison_id, p.outcomes, p.flags AS offered, p.rationale AS rule,
           p.strength AS takes_strength, p.criteria, p.rewrite AS takes_rewrite, p.reveal,
           c.resp_lo, c.resp_hi, c.model_lo, c.model_hi, c.gold AS known, c.item_id,
           it.ext_id, it.category, it.language, it.gold_reason AS reason,
           ov.id AS old_id,
           ov.choice = n.choice AND ov.flags_left = n.fl AND ov.flags_right = n.fr
             AND ov.rationale = n.rationale AND ov.elapsed_ms IS NOT DISTINCT FROM n.elapsed
             AND ov.strength IS NOT DISTINCT FROM n.strength
             AND ov.scores IS NOT DISTINCT FROM n.scores
             AND ov.rewrite IS NOT DISTINCT FROM n.rewrite
             AND ov.flag_quotes IS NOT DISTINCT FROM n.quotes
             AS same,
           EXISTS (SELECT 1 FROM exclusions e WHERE e.project_id = a.project_id
                     AND e.rater_id = n.rater AND e.undone_at IS NULL) AS excluded,
           (SELECT f FROM unnest(n.fl || n.fr) f WHERE NOT (f = ANY (p.flags)) LIMIT 1) AS bad_flag,
           -- the first score the project does not take: "side.criterion"
           (SELECT sd.side || '.' || e.k
              FROM jsonb_each(coalesce(n.scores, '{}')) sd (side, m),
                   LATERAL jsonb_each(sd.m) e (k, val)
              LEFT JOIN LATERAL (SELECT cr FROM jsonb_array_elements(p.criteria) cr
                                  WHERE cr->>'name' = e.k) c ON true
             WHERE c.cr IS NULL OR e.val::integer > (c.cr->>'scale')::integer LIMIT 1) AS bad_score,
           -- the first required score missing: "side.criterion"
           (SELECT sd.side || '.' || (cr->>'name')
              FROM jsonb_array_elements(p.criteria) cr, unnest(ARRAY['a', 'b']) sd (side)
             WHERE (cr->>'required')::boolean
               AND NOT coalesce(n.scores->sd.side ? (cr->>'name'), false) LIMIT 1) AS missing_score
      FROM input n
      LEFT JOIN assignments a ON a.token = n.token AND a.rater_id = n.rater
      LEFT JOIN projects p ON p.id = a.project_id
      LEFT JOIN comparisons c ON c.id = a.comparison_id
      LEFT JOIN items it ON it.id = c.item_id
      -- the vote already cast on it: one probe of the unique index per element (a subquery the
      -- planner may not flatten, so that stale statistics cannot turn it into a scan of votes)
      LEFT JOIN LATERAL (SELECT * FROM votes v0
                          WHERE v0.assignment_id = a.id AND a.state = 'voted' OFFSET 0) ov ON true),
  s AS (
    SELECT j.*,
           CASE WHEN j.role IS NULL THEN 'unauthorized'
                WHEN j.role <> '' AND NOT (j.role = ANY (p_roles)) THEN 'role'
                WHEN j.aid IS NULL THEN 'not_found'
                WHEN j.state = 'voted' THEN CASE WHEN j.same THEN 'same' ELSE 'conflict' END
                WHEN j.state = 'skipped' THEN 'skipped'
                WHEN j.state = 'expired' THEN 'gone'
                WHEN NOT (j.choice = ANY (j.outcomes)) THEN 'bad_choice'
                WHEN j.bad_flag IS NOT NULL THEN 'bad_flag'
                WHEN j.rule = 'required' AND btrim(j.rationale) = '' THEN 'no_rationale'
                WHEN j.rule = 'off' AND j.rationale <> '' THEN 'no_rationales'
                WHEN j.strength IS NOT NULL AND NOT j.takes_strength THEN 'no_strength'
                WHEN j.strength IS NOT NULL AND j.choice NOT IN ('a', 'b') THEN 'tie_strength'
                WHEN j.scores IS NOT NULL AND j.criteria = '[]' THEN 'no_scores'
                WHEN j.bad_score IS NOT NULL THEN 'bad_score'
                WHEN j.missing_score IS NOT NULL THEN 'missing_score'
                WHEN j.rewrite IS NOT NULL AND j.takes_rewrite = 'off' THEN 'no_rewrite'
                WHEN j.takes_rewrite = 'required_when_both_bad' AND j.choice = 'both_bad'
                     AND btrim(coalesce(j.rewrite, '')) = '' THEN 'need_rewrite'
                ELSE 'created' END AS outcome,
           CASE j.known WHEN 'tie' THEN 'tie'
                        WHEN 'lo' THEN CASE WHEN j.left_is_lo THEN 'a' ELSE 'b' END
                        WHEN 'hi' THEN CASE WHEN j.left_is_lo THEN 'b' ELSE 'a' END END
             AS expected,
           CASE WHEN j.left_is_lo THEN j.model_lo ELSE j.model_hi END AS m_left,
           CASE WHEN j.left_is_lo THEN j.model_hi ELSE j.model_lo END AS m_right
      FROM j),
  ins AS (
    INSERT INTO votes (project_id, source, assignment_id, comparison_id, item_id, prompt_ext,
                       model_left, model_right, resp_left, resp_right, choice, flags_left,
                       flags_right, rationale, elapsed_ms, guidelines_version, rater_id,
                       category, language, is_gold, excluded, strength, scores, rewrite,
                       flag_quotes)
    SELECT s.project_id, 'rated', s.aid, s.comparison_id, s.item_id, s.ext_id, s.m_left,
           s.m_right, CASE WHEN s.left_is_lo THEN s.resp_lo ELSE s.resp_hi END,
           CASE WHEN s.left_is_lo THEN s.resp_hi ELSE s.resp_lo END, s.choice, s.fl, s.fr,
           s.rationale, s.elapsed, s.gv, s.rater, s.category, s.language, s.known IS NOT NULL,
           s.excluded, s.strength, s.scores, s.rewrite, s.quotes
      FROM s WHERE s.outcome = 'created' ORDER BY s.aid
    RETURNING id, assignment_id),
  closed AS (
    UPDATE assignments a SET state = 'voted', closed_at = now()
      FROM s WHERE s.outcome = 'created' AND a.id = s.aid),
  counted AS (
    UPDATE comparisons c SET votes = c.votes + x.n
      FROM (SELECT s.comparison_id, count(*) AS n FROM s WHERE s.outcome = 'created'
             GROUP BY s.comparison_id) x
     WHERE c.id = x.comparison_id),
  totals AS (
    INSERT INTO pair_totals AS t (project_id, model_lo, model_hi, shard, lo_wins, hi_wins, ties,
                                  both_bad, left_wins, right_wins)
    SELECT s.project_id, s.model_lo, s.model_hi, prefd_shard(),
           count(*) FILTER (WHERE s.choice IN ('a', 'b') AND (s.choice = 'a') = s.left_is_lo),
           count(*) FILTER (WHERE s.choice IN ('a', 'b') AND (s.choice = 'a') <> s.left_is_lo),
           count(*) FILTER (WHERE s.choice = 'tie'), count(*) FILTER (WHERE s.choice = 'both_bad'),
           count(*) FILTER (WHERE s.choice = 'a'), count(*) FILTER (WHERE s.choice = 'b')
      FROM s WHERE s.outcome = 'created' AND s.known IS NULL AND NOT s.excluded
     GROUP BY s.project_id, s.model_lo, s.model_hi
     ORDER BY s.project_id, s.model_lo, s.model_hi
    ON CONFLICT (project_id, model_lo, model_hi, shard) DO UPDATE
      SET lo_wins = t.lo_wins + EXCLUDED.lo_wins, hi_wins = t.hi_wins + EXCLUDED.hi_wins,
          ties = t.ties + EXCLUDED.ties, both_bad = t.both_bad + EXCLUDED.both_bad,
          left_wins = t.left_wins + EXCLUDED.left_wins,
          right_wins = t.right_wins + EXCLUDED.right_wins),
  places AS (
    INSERT INTO project_counts AS k (project_id, shard, open, votes)
    SELECT s.project_id, prefd_shard(), 0, count(*)
      FROM s WHERE s.outcome = 'created' AND s.known IS NULL
     GROUP BY s.project_id ORDER BY s.project_id
    ON CONFLICT (project_id, shard) DO UPDATE SET votes = k.votes + EXCLUDED.votes),
  unsafe AS (
    UPDATE responses rs SET unsafe = true
      FROM s WHERE s.outcome = 'created' AND NOT rs.unsafe
       AND ((rs.id = CASE WHEN s.left_is_lo THEN s.resp_lo ELSE s.resp_hi END
             AND 'unsafe' = ANY (s.fl))
         OR (rs.id = CASE WHEN s.left_is_lo THEN s.resp_hi ELSE s.resp_lo END
             AND 'unsafe' = ANY (s.fr)))),
  raters AS (
    INSERT INTO rater_votes AS v (project_id, rater_id, votes)
    SELECT s.project_id, s.rater, count(*) FROM s WHERE s.outcome = 'created'
     GROUP BY s.project_id, s.rater ORDER BY s.project_id, s.rater
    ON CONFLICT (project_id, rater_id) DO UPDATE SET votes = v.votes + EXCLUDED.votes),
  -- Issue 17: a control pair answered during a pending qualification counts towards it; the
  -- last of the project's qual_gold decides it (prefd_gate reads the outcome).
  qualified AS (
    UPDATE qualifications q
       SET answered = q.answered + 1, correct = q.correct + s.ok::integer,
           state = CASE WHEN q.answered + 1 < p.qual_gold THEN 'pending'
                        WHEN (q.correct + s.ok::integer)::double precision / (q.answered + 1)
                             >= p.qual_min_accuracy THEN 'qualified' ELSE 'failed' END,
           retry_at = CASE WHEN q.answered + 1 >= p.qual_gold
                                AND (q.correct + s.ok::integer)::double precision
                                    / (q.answered + 1) < p.qual_min_accuracy
                           THEN now() + make_interval(secs => p.qual_retry_hours * 3600) END,
           updated_at = now()
      FROM (SELECT s.project_id, s.rater,
                   (s.expected = s.choice OR (s.expected = 'tie' AND s.choice = 'both_bad'))
                     AS ok
              FROM s WHERE s.outcome = 'created' AND s.known IS NOT NULL) s, projects p
     WHERE q.project_id = s.project_id AND q.rater_id = s.rater AND q.state = 'pending'
       AND p.id = s.project_id
    RETURNING q.project_id, q.rater_id, q.state, q.answered, q.correct),
  decided AS (
    INSERT INTO qualification_events (project_id, rater_id, event, answered, correct)
    SELECT d.project_id, d.rater_id, CASE d.state WHEN 'qualified' THEN 'passed' ELSE 'failed' END,
           d.answered, d.correct
      FROM qualified d WHERE d.state <> 'pending')
  SELECT s.i,
         CASE WHEN s.outcome = 'skipped' THEN 'conflict'
              WHEN s.outcome IN ('bad_choice', 'bad_flag', 'no_rationale', 'no_rationales',
                                 'no_strength', 'tie_strength', 'no_scores', 'bad_score',
                                 'missing_score', 'no_rewrite', 'need_rewrite') THEN 'invalid'
              ELSE s.outcome END,
         coalesce(ins.id, s.old_id),
         CASE s.outcome
           WHEN 'role' THEN s.role
           WHEN 'conflict' THEN 'a different vote was already recorded for this assignment'
           WHEN 'skipped' THEN 'this assignment was skipped'
           WHEN 'gone' THEN 'the assignment expired; ask for the next comparison'
           WHEN 'bad_choice' THEN format('choice "%s" is not offered by this project (offered: %s)',
                                         s.choice, array_to_string(s.outcomes, ', '))
           WHEN 'bad_flag' THEN format('flag "%s" is not offered by this project (offered: %s)',
                                       s.bad_flag, array_to_string(s.offered, ', '))
           WHEN 'no_rationale' THEN 'this project requires a rationale'
           WHEN 'no_rationales' THEN 'this project does not take rationales'
           WHEN 'no_strength' THEN '"strength": this project does not take a strength'
           WHEN 'tie_strength' THEN format('"strength" goes with a decided vote (a or b), not %s',
                                           s.choice)
           WHEN 'no_scores' THEN '"scores": this project has no criteria'
           WHEN 'bad_score' THEN format('"scores": %s is not a criterion of this project or is '
                                        'above its scale (criteria: %s)', s.bad_score,
                                        (SELECT string_agg(format('%s 1..%s', cr->>'name',
                                                                  cr->>'scale'), ', ')
                                           FROM jsonb_array_elements(s.criteria) cr))
           WHEN 'missing_score' THEN format('"scores": %s is required', s.missing_score)
           WHEN 'no_rewrite' THEN '"rewrite": this project does not take rewrites'
           WHEN 'need_rewrite' THEN '"rewrite" is required when both answers are bad' END,
         CASE WHEN s.outcome IN ('created', 'same') AND s.expected <> s.choice
                   AND NOT (s.expected = 'tie' AND s.choice = 'both_bad') THEN s.expected END,
         CASE WHEN s.outcome IN ('created', 'same') AND s.expected <> s.choice
                   AND NOT (s.expected = 'tie' AND s.choice = 'both_bad') THEN s.reason END,
         CASE s.outcome WHEN 'bad_choice' THEN 'choice' WHEN 'bad_flag' THEN 'flags'
                        WHEN 'no_rationale' THEN 'rationale' WHEN 'no_rationales' THEN 'rationale'
                        WHEN 'no_strength' THEN 'strength' WHEN 'tie_strength' THEN 'strength'
                        WHEN 'no_scores' THEN 'scores' WHEN 'bad_score' THEN 'scores'
                        WHEN 'missing_score' THEN 'scores' WHEN 'no_rewrite' THEN 'rewrite'
                        WHEN 'need_rewrite' THEN 'rewrite' END,
         CASE WHEN s.reveal AND s.outcome IN ('created', 'same') THEN
           jsonb_build_object('a', (SELECT m.name FROM models m WHERE m.id = s.m_left),
                              'b', (SELECT m.name FROM models m WHERE m.id = s.m_right)) END
    FROM s LEFT JOIN ins ON ins.assignment_id = s.aid
   ORDER BY s.i;
END
$$;
