-- Gives each rater of a batch the comparison to judge next, in one transaction. p_requests is a
-- JSON array of {i, slug, rater, token, cookie, cred}: i the caller's index, token the id a new
-- assignment gets, cookie and cred the credential to check again when prefd took the caller from
-- its cache (prefd_cred_role; p_roles: the roles the route is open to). No rater may appear
-- twice in one batch. Returns one row per request: status ok with the assignment, or none |
-- not_found | forbidden | inactive (with project_status) | unauthorized | role (with role) |
-- guidelines | not_qualified (prefd_gate; see the loop below).
--
-- The one a rater holds comes back while its lease runs. Otherwise, at the project's gold_rate,
-- a control pair the rater was never given (a random one); otherwise the first comparison in
-- the queue's order that the rater was never given (skipped ones included) and that no other
-- transaction holds at that instant:
--   1. fewest votes and open assignments (taken), so that every comparison gets its first
--      vote before any gets a second, up to the overlap;
--   2. the lowest turn of its model pair: each model pair's comparisons are numbered 0, 1, 2 ...
--      as they are uploaded (include/turns.h, which also spreads each prompt's comparisons
--      over the turns), so the pairs take turns;
--   3. a random key.
-- Under the project's schedule 'active', before that queue: a comparison of a model pair drawn
-- by the weights the servers store (prefd_pick_active; include/active.h states the rule), when
-- that pair has one the rater may take and the batch gave nobody else.
-- The raters of a batch take the queue's first comparisons in turn (by rater id), one each; a
-- comparison goes to a second rater of the batch only when nothing else is left for them.
--
-- Cost: a constant number of statements per batch and project. The queue is an index
-- (comparisons_queue) read from the project's queue head (queue_heads, where prefd_expire found
-- the queue's first comparison at most a second ago; from the start when nothing is found past
-- it, since a freed place may lie before it): a batch of n raters locks the first 2n + 8
-- comparisons no other transaction holds, and only a rater who was given all of those before
-- reads further. Nothing here counts the project: `remaining` is the places still open in the
-- project or the comparisons the rater was never given, whichever is fewer, plus the one on
-- screen; `done` the rater's votes in the project.
--
-- Merge joins, hash joins and sequential scans are off: every statement here starts from the
-- batch's few keys, but the generic plan is made once per connection from the statistics of the
-- moment, and with a project just uploaded (no assignments yet) the planner merged the batch with
-- an index scan of all comparisons (60 ms at a million) or hashed a scan of all assignments.
-- Nested loops over the keys' indexes keep each statement O(batch) whatever the statistics say.
--
-- Raters are served under advisory locks taken in the order of (project, rater), so that two
-- requests of one rater see each other's result and batches cannot deadlock.
CREATE FUNCTION prefd_nexts(p_requests jsonb, p_roles text[])
RETURNS TABLE (i integer, status text, token text, expires_at text, prompt text,
               left_text text, right_text text, guidelines_version integer, done bigint,
               remaining bigint, outcomes text[], flags text[], rationale text,
               project_status text, role text, extra jsonb)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_mergejoin = off
  SET enable_hashjoin = off SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
  pr projects%ROWTYPE;
  a assignments%ROWTYPE;
  c comparisons%ROWTYPE;
  -- every request: its place, rater, token, project, and why it cannot be served (NULL: it can)
  all_i integer[]; all_rater bigint[]; all_token text[]; all_project bigint[];
  all_verdict text[]; all_detail text[];
  -- the requests still to serve, of the project in hand, in rater order
  q_i integer[]; q_rater bigint[]; q_token text[];
  -- the queue's first comparisons: id and places left; "comparison:rater" of the batch's
  -- raters who had one of them before
  k_id bigint[]; k_free integer[]; k_used boolean[]; seen text[]; pass integer;
  -- what the batch hands out
  new_i integer[] := '{}'; new_cmp bigint[] := '{}'; new_rater bigint[] := '{}';
  new_token text[] := '{}'; new_gold boolean[] := '{}'; new_project bigint[] := '{}';
  new_asg bigint[];
  served integer[] := '{}'; given bigint[] := '{}';
  head_taken integer; head_turn integer;
  n integer; j integer; m integer; start integer; got boolean;
  r record;
  gate record; -- prefd_gate: guideline notice and qualification (issue 17)
BEGIN
  -- An assignment lost in a crash costs nothing (the rater asks again), so this transaction
  -- does not wait for its commit to reach disk; votes do.
  SET LOCAL synchronous_commit = off;

  -- Who may be served: the others are answered at once.
  SELECT array_agg(x.i), array_agg(x.rater), array_agg(x.token), array_agg(p.id),
         array_agg(CASE WHEN x.role IS NULL THEN 'unauthorized'
                        WHEN x.role <> '' AND NOT (x.role = ANY (p_roles)) THEN 'role'
                        WHEN p.id IS NULL THEN 'not_found'
                        WHEN NOT prefd_may_rate(p, x.rater) THEN 'forbidden' END),
         array_agg(CASE WHEN x.role <> '' AND NOT (x.role = ANY (p_roles)) THEN x.role END)
    INTO all_i, all_rater, all_token, all_project, all_verdict, all_detail
    FROM (SELECT y.*, CASE WHEN y.cred IS NULL THEN ''
                           ELSE prefd_cred_role(y.cookie, y.cred, y.rater) END AS role
            FROM jsonb_to_recordset(p_requests)
                   AS y (i integer, slug text, rater bigint, token text, cookie boolean,
                         cred text)
          OFFSET 0) x
    LEFT JOIN projects p ON p.slug = x.slug;
  RETURN QUERY SELECT u.i, u.verdict, NULL::text, NULL::text, NULL::text, NULL::text,
                      NULL::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::text[],
                      NULL::text[], NULL::text, NULL::text, u.detail, NULL::jsonb
                 FROM unnest(all_i, all_verdict, all_detail) AS u (i, verdict, detail)
                WHERE u.verdict IS NOT NULL;
  PERFORM pg_advisory_xact_lock((u.project & 2147483647)::integer, (u.rater & 2147483647)::integer)
     FROM unnest(all_project, all_rater, all_verdict) AS u (project, rater, verdict)
    WHERE u.verdict IS NULL ORDER BY u.project, u.rater;

  -- Held assignments: their lease runs, they come back; it ran out, they are closed.
  FOR r IN SELECT u.i, h.id, h.expires_at
             FROM unnest(all_i, all_project, all_rater, all_verdict) AS u (i, project, rater, verdict)
             JOIN assignments h ON h.project_id = u.project AND h.rater_id = u.rater
                               AND h.state = 'open'
            WHERE u.verdict IS NULL ORDER BY h.id LOOP
    IF r.expires_at > now() THEN
      served := served || r.i; given := given || r.id;
    ELSE
      SELECT * INTO a FROM assignments x WHERE x.id = r.id FOR UPDATE;
      IF a.state = 'open' THEN
        UPDATE assignments x SET state = 'expired', closed_at = now() WHERE x.id = a.id;
        PERFORM prefd_release(a.comparison_id);
      END IF;
    END IF;
  END LOOP;

  FOR pr IN SELECT p.* FROM projects p
             WHERE p.id IN (SELECT u.project FROM unnest(all_project, all_verdict) AS u (project, verdict)
                             WHERE u.verdict IS NULL)
             ORDER BY p.id LOOP
    PERFORM prefd_expire(pr.id);
    SELECT array_agg(u.i ORDER BY u.rater), array_agg(u.rater ORDER BY u.rater),
           array_agg(u.token ORDER BY u.rater)
      INTO q_i, q_rater, q_token
      FROM unnest(all_i, all_rater, all_token, all_project, all_verdict)
             AS u (i, rater, token, project, verdict)
     WHERE u.verdict IS NULL AND u.project = pr.id AND u.i <> ALL (served);
    CONTINUE WHEN q_i IS NULL;
    IF pr.status <> 'active' THEN
      RETURN QUERY SELECT u, 'inactive'::text, NULL::text, NULL::text, NULL::text, NULL::text,
                          NULL::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::text[],
                          NULL::text[], NULL::text, pr.status, NULL::text,
                          NULL::jsonb
                     FROM unnest(q_i) u;
      CONTINUE;
    END IF;
    n := cardinality(q_i);

    -- The queue's first comparisons, locked, and which of this batch's raters had them.
    SELECT h.taken, h.turn INTO head_taken, head_turn FROM queue_heads h WHERE h.project_id = pr.id;
    SELECT array_agg(x.id ORDER BY x.taken, x.turn, x.rnd),
           array_agg(pr.overlap - x.taken ORDER BY x.taken, x.turn, x.rnd)
      INTO k_id, k_free
      FROM (SELECT y.id, y.taken, y.turn, y.rnd FROM comparisons y
             WHERE y.project_id = pr.id AND y.gold IS NULL AND NOT y.filled
               AND (y.taken, y.turn) >= (coalesce(head_taken, 0), coalesce(head_turn, 0))
             ORDER BY y.taken, y.turn, y.rnd
             LIMIT 2 * n + 8
             FOR UPDATE SKIP LOCKED) x;
    k_id := coalesce(k_id, '{}'); k_free := coalesce(k_free, '{}');
    k_used := array_fill(false, ARRAY[cardinality(k_id)]);
    SELECT coalesce(array_agg(y.comparison_id || ':' || y.rater_id), '{}') INTO seen
      FROM assignments y WHERE y.comparison_id = ANY (k_id) AND y.rater_id = ANY (q_rater);

    FOR m IN 1 .. n LOOP
      got := false;
      c := NULL;
      -- Issue 17: a changed guideline to acknowledge, or a failed qualification, answer
      -- instead of work (retry time in expires_at; the version the rater knew in done); a
      -- pending qualification gives control pairs only.
      gate := prefd_gate(pr, q_rater[m]);
      IF gate.status IS NOT NULL THEN
        RETURN QUERY SELECT q_i[m], gate.status, NULL::text, gate.retry_at, NULL::text,
                            NULL::text, NULL::text, pr.guidelines_version, gate.known::bigint,
                            NULL::bigint, NULL::text[], NULL::text[], NULL::text, NULL::text,
                            NULL::text, NULL::jsonb;
        CONTINUE;
      END IF;
      IF gate.gold_only OR (pr.gold_rate > 0 AND random() < pr.gold_rate) THEN
        start := (random() * 2147483646)::integer;
        SELECT x.* INTO c FROM comparisons x
         WHERE x.project_id = pr.id AND x.gold IS NOT NULL AND NOT x.withdrawn AND x.rnd >= start
           AND NOT EXISTS (SELECT 1 FROM assignments y WHERE y.comparison_id = x.id
                             AND y.rater_id = q_rater[m])
         ORDER BY x.rnd LIMIT 1;
        IF NOT FOUND THEN
          SELECT x.* INTO c FROM comparisons x
           WHERE x.project_id = pr.id AND x.gold IS NOT NULL AND NOT x.withdrawn AND x.rnd < start
             AND NOT EXISTS (SELECT 1 FROM assignments y WHERE y.comparison_id = x.id
                               AND y.rater_id = q_rater[m])
           ORDER BY x.rnd LIMIT 1;
        END IF;
        IF c.id IS NOT NULL THEN
          new_gold := new_gold || true;
          got := true;
        END IF;
      END IF;
      IF NOT got AND NOT gate.gold_only AND pr.schedule = 'active' THEN
        -- active sampling: a comparison of a model pair drawn by its weight (prefd_pick_active),
        -- none the batch gave already; failing that, the queue's as under coverage
        c := prefd_pick_active(pr.id, q_rater[m], new_cmp);
        IF c.id IS NOT NULL THEN
          j := array_position(k_id, c.id);
          IF j IS NOT NULL THEN
            k_free[j] := k_free[j] - 1;
            k_used[j] := true;
          END IF;
          new_gold := new_gold || false;
          got := true;
        END IF;
      END IF;
      IF NOT got AND NOT gate.gold_only THEN
        -- the first of the queue's comparisons that this rater never had and that the batch
        -- gave nobody else; failing that (rare), the first one past them, read on; failing
        -- that, one of them with a place left
        FOR pass IN 1 .. 3 LOOP
          IF pass = 2 THEN
            c := prefd_pick(pr.id, q_rater[m], coalesce(head_taken, 0), coalesce(head_turn, 0), k_id);
            IF c.id IS NULL AND (head_taken, head_turn) > (0, 0) THEN
              c := prefd_pick(pr.id, q_rater[m], 0, 0, k_id);
            END IF;
            got := c.id IS NOT NULL;
            EXIT WHEN got;
            CONTINUE;
          END IF;
          FOR j IN 1 .. cardinality(k_id) LOOP
            CONTINUE WHEN k_free[j] <= 0 OR (pass = 1 AND k_used[j])
                          OR (k_id[j] || ':' || q_rater[m]) = ANY (seen);
            k_free[j] := k_free[j] - 1;
            k_used[j] := true;
            c.id := k_id[j];
            got := true;
            EXIT;
          END LOOP;
          EXIT WHEN got;
        END LOOP;
        IF got THEN
          new_gold := new_gold || false;
        END IF;
      END IF;
      IF NOT got THEN
        RETURN QUERY SELECT q_i[m], 'none'::text, NULL::text, NULL::text, NULL::text, NULL::text,
                            NULL::text, NULL::integer, NULL::bigint, NULL::bigint, NULL::text[],
                            NULL::text[], NULL::text, NULL::text, NULL::text, NULL::jsonb;
        CONTINUE;
      END IF;
      new_i := new_i || q_i[m]; new_cmp := new_cmp || c.id; new_rater := new_rater || q_rater[m];
      new_token := new_token || q_token[m]; new_project := new_project || pr.id;
    END LOOP;
  END LOOP;

  -- The new assignments and their places, then the counters (the lock order of prefd_expire).
  WITH made AS (
    INSERT INTO assignments (token, project_id, comparison_id, rater_id, left_is_lo, is_gold,
                             guidelines_version, expires_at)
    SELECT u.token, u.project, u.comparison, u.rater, random() < 0.5, u.gold,
           p.guidelines_version, now() + make_interval(secs => p.lease_seconds)
      FROM unnest(new_token, new_project, new_cmp, new_rater, new_gold)
             AS u (token, project, comparison, rater, gold)
      JOIN projects p ON p.id = u.project
    RETURNING id, token)
  SELECT array_agg(m.id ORDER BY u.k) INTO new_asg
    FROM unnest(new_token) WITH ORDINALITY AS u (token, k) JOIN made m ON m.token = u.token;
  served := served || new_i; given := given || coalesce(new_asg, '{}');
  UPDATE comparisons x
     SET taken = x.taken + t.n, filled = x.gold IS NULL AND x.taken + t.n >= p.overlap
    FROM (SELECT u.c, count(*) AS n FROM unnest(new_cmp) AS u (c) GROUP BY u.c) t, projects p
   WHERE x.id = t.c AND p.id = x.project_id;
  INSERT INTO project_counts AS k (project_id, shard, open, votes)
  SELECT u.project, prefd_shard(), -count(*), 0
    FROM unnest(new_project, new_gold) AS u (project, gold) WHERE NOT u.gold
   GROUP BY u.project ORDER BY u.project
  ON CONFLICT (project_id, shard) DO UPDATE SET open = k.open + EXCLUDED.open;
  INSERT INTO rater_given AS g (project_id, rater_id, given, controls)
  SELECT u.project, u.rater, count(*) FILTER (WHERE NOT u.gold), count(*) FILTER (WHERE u.gold)
    FROM unnest(new_project, new_rater, new_gold) AS u (project, rater, gold)
   GROUP BY u.project, u.rater ORDER BY u.project, u.rater
  ON CONFLICT (project_id, rater_id) DO UPDATE
    SET given = g.given + EXCLUDED.given, controls = g.controls + EXCLUDED.controls;

  RETURN QUERY
  SELECT s.i, 'ok'::text, x.token, prefd_ts(x.expires_at), it.prompt,
         CASE WHEN x.left_is_lo THEN lo.text ELSE hi.text END,
         CASE WHEN x.left_is_lo THEN hi.text ELSE lo.text END,
         x.guidelines_version, coalesce(v.votes, 0),
         1 + greatest(least(k.open, p.comparisons - coalesce(g.given, 0)), 0),
         p.outcomes, p.flags, p.rationale, p.status, NULL::text,
         -- issue 14: the conversation, whether the text is sensitive (marked at upload, or an
         -- answer flagged unsafe before), and the project's options the page needs
         jsonb_strip_nulls(jsonb_build_object(
           'messages', it.messages,
           'sensitive', CASE WHEN it.sensitive OR lo.unsafe OR hi.unsafe THEN true END,
           'strength', CASE WHEN p.strength THEN true END,
           'criteria', CASE WHEN p.criteria <> '[]' THEN p.criteria END,
           'rewrite', CASE WHEN p.rewrite <> 'off' THEN p.rewrite END,
           'reveal', CASE WHEN p.reveal THEN true END))
    FROM unnest(served, given) AS s (i, aid)
    JOIN assignments x ON x.id = s.aid
    JOIN projects p ON p.id = x.project_id
    JOIN comparisons cm ON cm.id = x.comparison_id
    JOIN items it ON it.id = cm.item_id
    JOIN responses lo ON lo.id = cm.resp_lo
    JOIN responses hi ON hi.id = cm.resp_hi
    LEFT JOIN rater_given g ON g.project_id = p.id AND g.rater_id = x.rater_id
    LEFT JOIN rater_votes v ON v.project_id = p.id AND v.rater_id = x.rater_id
    CROSS JOIN LATERAL (SELECT coalesce(sum(q.open), 0)::bigint AS open FROM project_counts q
                         WHERE q.project_id = p.id) k;
END
$$;
