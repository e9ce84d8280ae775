-- 004_quality.sql - quality control: exclusions from rankings, reviews of votes, and the
-- thresholds that mark suspicious raters.

-- Thresholds per project for the warnings of GET .../raters.
ALTER TABLE projects
  ADD COLUMN qc_min_seconds double precision NOT NULL DEFAULT 4
    CHECK (qc_min_seconds >= 0 AND qc_min_seconds <= 3600),
  ADD COLUMN qc_min_gold_accuracy double precision NOT NULL DEFAULT 0.7
    CHECK (qc_min_gold_accuracy >= 0 AND qc_min_gold_accuracy <= 1),
  -- Bumped whenever votes stop or start counting without being inserted (exclusions): every
  -- process's vote index (server/tally.c) then reloads the project.
  ADD COLUMN counts_epoch bigint NOT NULL DEFAULT 0;

-- A rated vote left out of rankings (its rater's votes or this vote excluded), and how many
-- reviews it has (the review queue serves the least reviewed first).
ALTER TABLE votes ADD COLUMN excluded boolean NOT NULL DEFAULT false,
  ADD COLUMN reviews integer NOT NULL DEFAULT 0 CHECK (reviews >= 0);
CREATE INDEX votes_review_queue ON votes (project_id, reviews, id) WHERE NOT is_gold;

-- Decisions to leave a rater's votes (all of them, also later ones) or one vote out of a
-- project's rankings: who decided, why, and who undid it.
CREATE TABLE exclusions (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint REFERENCES users ON DELETE CASCADE,
  vote_id    bigint REFERENCES votes ON DELETE CASCADE,
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  created_by bigint REFERENCES users ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  undone_by  bigint REFERENCES users ON DELETE SET NULL,
  undone_at  timestamptz,
  CHECK ((rater_id IS NULL) <> (vote_id IS NULL))
);
-- One standing exclusion per rater or vote.
CREATE UNIQUE INDEX exclusions_rater ON exclusions (project_id, rater_id) WHERE undone_at IS NULL AND rater_id IS NOT NULL;
CREATE UNIQUE INDEX exclusions_vote ON exclusions (vote_id) WHERE undone_at IS NULL AND vote_id IS NOT NULL;

-- A reviewer's verdict on another rater's vote.
CREATE TABLE reviews (
  id          bigserial PRIMARY KEY,
  vote_id     bigint NOT NULL REFERENCES votes ON DELETE CASCADE,
  reviewer_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  verdict     text NOT NULL CHECK (verdict IN ('agree', 'disagree')),
  comment     text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (vote_id, reviewer_id)
);
CREATE INDEX reviews_reviewer ON reviews (reviewer_id);

-- Adds (sign 1) or removes (sign -1) one vote's outcome to its pair's totals. Removal updates
-- in place: an INSERT ... ON CONFLICT would check the negative proposed row against the
-- totals' constraints before finding the conflict.
CREATE OR REPLACE FUNCTION prefd_count_vote(p_project bigint, p_left bigint, p_right bigint,
                                            p_choice text, p_category text, p_language text,
                                            p_at timestamptz, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  left_is_lo boolean := p_left < p_right;
  lw integer := CASE WHEN (p_choice = 'a' AND left_is_lo) OR (p_choice = 'b' AND NOT left_is_lo) THEN p_sign ELSE 0 END;
  hw integer := CASE WHEN (p_choice = 'a' AND NOT left_is_lo) OR (p_choice = 'b' AND left_is_lo) THEN p_sign ELSE 0 END;
  t integer := CASE WHEN p_choice = 'tie' THEN p_sign ELSE 0 END;
  bb integer := CASE WHEN p_choice = 'both_bad' THEN p_sign ELSE 0 END;
  lft integer := CASE WHEN p_choice = 'a' THEN p_sign ELSE 0 END;
  rgt integer := CASE WHEN p_choice = 'b' THEN p_sign ELSE 0 END;
BEGIN
  IF p_sign < 0 THEN
    UPDATE pair_totals c
       SET lo_wins = c.lo_wins + lw, hi_wins = c.hi_wins + hw, ties = c.ties + t,
           both_bad = c.both_bad + bb, left_wins = c.left_wins + lft, right_wins = c.right_wins + rgt
     WHERE c.project_id = p_project AND c.model_lo = least(p_left, p_right)
       AND c.model_hi = greatest(p_left, p_right);
    IF NOT FOUND THEN
      RAISE EXCEPTION 'pair totals of models % and % are missing', p_left, p_right;
    END IF;
    RETURN;
  END IF;
  INSERT INTO pair_totals AS c (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad,
                                left_wins, right_wins)
  VALUES (p_project, least(p_left, p_right), greatest(p_left, p_right), lw, hw, t, bb, lft, rgt)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET lo_wins = c.lo_wins + EXCLUDED.lo_wins, hi_wins = c.hi_wins + EXCLUDED.hi_wins,
        ties = c.ties + EXCLUDED.ties, both_bad = c.both_bad + EXCLUDED.both_bad,
        left_wins = c.left_wins + EXCLUDED.left_wins, right_wins = c.right_wins + EXCLUDED.right_wins;
END
$$;

-- Sets whether vote p_vote counts in rankings (from its exclusions), moving its outcome in or
-- out of the pair totals. Returns true when that changed.
CREATE FUNCTION prefd_vote_recount(p_vote bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE v votes%ROWTYPE; should boolean;
BEGIN
  SELECT * INTO v FROM votes WHERE id = p_vote FOR UPDATE;
  IF NOT FOUND THEN RETURN false; END IF;
  should := EXISTS (SELECT 1 FROM exclusions e WHERE e.undone_at IS NULL AND e.project_id = v.project_id
                      AND (e.vote_id = v.id OR e.rater_id = v.rater_id));
  IF should = v.excluded THEN RETURN false; END IF;
  UPDATE votes SET excluded = should WHERE id = v.id;
  IF NOT v.is_gold THEN
    PERFORM prefd_count_vote(v.project_id, v.model_left, v.model_right, v.choice, v.category,
                             v.language, v.created_at, CASE WHEN should THEN -1 ELSE 1 END);
  END IF;
  RETURN true;
END
$$;

-- Adds (p_undo NULL) or undoes exclusion p_undo and recounts the votes it touches; bumps the
-- project's counts epoch when any vote changed. Returns the exclusion, NULL when there is
-- nothing to undo.
CREATE FUNCTION prefd_exclusion(p_project bigint, p_rater bigint, p_vote bigint, p_reason text,
                                p_by bigint, p_undo bigint) RETURNS exclusions
LANGUAGE plpgsql AS $$
DECLARE ex exclusions%ROWTYPE; changed boolean := false; vid bigint;
BEGIN
  IF p_undo IS NOT NULL THEN
    UPDATE exclusions SET undone_at = now(), undone_by = p_by
     WHERE id = p_undo AND project_id = p_project AND undone_at IS NULL RETURNING * INTO ex;
    IF NOT FOUND THEN RETURN NULL; END IF;
  ELSE
    INSERT INTO exclusions (project_id, rater_id, vote_id, reason, created_by)
    VALUES (p_project, p_rater, p_vote, p_reason, p_by) RETURNING * INTO ex;
  END IF;
  FOR vid IN SELECT id FROM votes
              WHERE project_id = p_project
                AND ((ex.vote_id IS NOT NULL AND id = ex.vote_id) OR (ex.rater_id IS NOT NULL AND rater_id = ex.rater_id))
              ORDER BY id LOOP
    changed := prefd_vote_recount(vid) OR changed;
  END LOOP;
  IF changed THEN
    UPDATE projects SET counts_epoch = counts_epoch + 1 WHERE id = p_project;
  END IF;
  RETURN ex;
END
$$;

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

-- Votes cast by a rater under a standing exclusion are excluded from the start; a repeated
-- vote on a missed control pair gets the expected answer again.
CREATE OR REPLACE FUNCTION prefd_vote(p_token text, p_rater bigint, p_choice text, p_flags_left text[],
                                      p_flags_right text[], p_rationale text, p_elapsed integer)
RETURNS prefd_vote_result LANGUAGE plpgsql AS $$
DECLARE
  a assignments%ROWTYPE;
  p projects%ROWTYPE;
  c comparisons%ROWTYPE;
  v votes%ROWTYPE;
  i items%ROWTYPE;
  r_left bigint; r_right bigint; m_left bigint; m_right bigint;
  out prefd_vote_result;
  bad text;
  excluded boolean;
BEGIN
  SELECT * INTO a FROM assignments WHERE token = p_token FOR UPDATE;
  IF NOT FOUND OR a.rater_id <> p_rater THEN
    out.status := 'not_found'; RETURN out;
  END IF;
  p_flags_left := ARRAY(SELECT DISTINCT x FROM unnest(p_flags_left) x ORDER BY 1);
  p_flags_right := ARRAY(SELECT DISTINCT x FROM unnest(p_flags_right) x ORDER BY 1);
  p_rationale := coalesce(p_rationale, '');
  IF a.state = 'voted' THEN
    SELECT * INTO v FROM votes WHERE assignment_id = a.id;
    IF v.choice = p_choice AND v.flags_left = p_flags_left AND v.flags_right = p_flags_right
       AND v.rationale = p_rationale AND v.elapsed_ms IS NOT DISTINCT FROM p_elapsed THEN
      out.status := 'same'; out.vote_id := v.id;
      SELECT g.gold, g.gold_reason INTO out.gold, out.gold_reason FROM prefd_gold_missed(a, p_choice) g;
      RETURN out;
    END IF;
    out.status := 'conflict';
    out.message := 'a different vote was already recorded for this assignment';
    RETURN out;
  END IF;
  IF a.state = 'skipped' THEN
    out.status := 'conflict'; out.message := 'this assignment was skipped'; RETURN out;
  END IF;
  IF a.state = 'expired' OR a.expires_at <= now() THEN
    IF a.state = 'open' THEN
      UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = a.id;
      PERFORM prefd_take(ARRAY[a.comparison_id], -1);
    END IF;
    out.status := 'gone'; out.message := 'the assignment expired; ask for the next comparison';
    RETURN out;
  END IF;
  SELECT * INTO p FROM projects WHERE id = a.project_id;
  IF NOT (p_choice = ANY (p.outcomes)) THEN
    out.status := 'invalid';
    out.message := format('choice "%s" is not offered by this project (offered: %s)', p_choice, array_to_string(p.outcomes, ', '));
    RETURN out;
  END IF;
  SELECT x INTO bad FROM unnest(p_flags_left || p_flags_right) x WHERE NOT (x = ANY (p.flags)) LIMIT 1;
  IF bad IS NOT NULL THEN
    out.status := 'invalid';
    out.message := format('flag "%s" is not offered by this project (offered: %s)', bad, array_to_string(p.flags, ', '));
    RETURN out;
  END IF;
  IF p.rationale = 'required' AND btrim(p_rationale) = '' THEN
    out.status := 'invalid'; out.message := 'this project requires a rationale'; RETURN out;
  END IF;
  IF p.rationale = 'off' AND p_rationale <> '' THEN
    out.status := 'invalid'; out.message := 'this project does not take rationales'; RETURN out;
  END IF;
  SELECT * INTO c FROM comparisons WHERE id = a.comparison_id;
  SELECT * INTO i FROM items WHERE id = c.item_id;
  IF a.left_is_lo THEN
    r_left := c.resp_lo; r_right := c.resp_hi; m_left := c.model_lo; m_right := c.model_hi;
  ELSE
    r_left := c.resp_hi; r_right := c.resp_lo; m_left := c.model_hi; m_right := c.model_lo;
  END IF;
  excluded := EXISTS (SELECT 1 FROM exclusions e WHERE e.project_id = p.id AND e.rater_id = p_rater
                        AND e.undone_at IS NULL);
  INSERT INTO votes (project_id, source, assignment_id, comparison_id, item_id, prompt_ext,
                     model_left, model_right, resp_left, resp_right, choice, flags_left,
                     flags_right, rationale, elapsed_ms, guidelines_version, rater_id, category,
                     language, is_gold, excluded)
  VALUES (p.id, 'rated', a.id, c.id, i.id, i.ext_id, m_left, m_right, r_left, r_right, p_choice,
          p_flags_left, p_flags_right, p_rationale, p_elapsed, a.guidelines_version, p_rater,
          i.category, i.language, c.gold IS NOT NULL, excluded)
  RETURNING * INTO v;
  UPDATE assignments SET state = 'voted', closed_at = now() WHERE id = a.id;
  UPDATE comparisons SET votes = votes + 1 WHERE id = c.id;
  IF c.gold IS NULL THEN
    IF NOT excluded THEN
      PERFORM prefd_count_vote(p.id, m_left, m_right, p_choice, i.category, i.language, v.created_at, 1);
    END IF;
  ELSE
    -- A control pair: tell the rater the expected answer (as shown on screen) when missed.
    SELECT g.gold, g.gold_reason INTO out.gold, out.gold_reason FROM prefd_gold_missed(a, p_choice) g;
  END IF;
  out.status := 'created';
  out.vote_id := v.id;
  RETURN out;
END
$$;

-- Exports and the index leave excluded votes out.
CREATE OR REPLACE VIEW prefd_all_votes AS
  SELECT v.project_id, v.id, v.created_at, 'rated'::text AS source, v.model_left, v.model_right,
         v.choice, v.category, v.language, v.prompt_ext, v.item_id, v.resp_left, v.resp_right,
         v.flags_left, v.flags_right, v.rationale, v.elapsed_ms, v.guidelines_version,
         v.rater_id, NULL::text AS rater_label, v.is_gold
    FROM votes v WHERE NOT v.excluded
  UNION ALL
  SELECT i.project_id, i.id, i.created_at, 'imported', i.model_left, i.model_right, i.choice,
         i.category, i.language, i.prompt_ext, i.item_id, NULL, NULL, '{}'::text[], '{}'::text[],
         '', NULL, NULL, NULL, i.rater_label, false
    FROM imported_votes i;

-- The review a reviewer gets next in project p_project: a rated vote by someone else, not yet
-- reviewed by them, the least reviewed first, then the oldest (an ordered index scan). NULL
-- when none.
CREATE FUNCTION prefd_review_next(p_project bigint, p_reviewer bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT v.id FROM votes v
   WHERE v.project_id = p_project AND NOT v.is_gold AND v.rater_id <> p_reviewer
     AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.vote_id = v.id AND r.reviewer_id = p_reviewer)
   ORDER BY v.reviews, v.id
   LIMIT 1
$$;

-- Projects carry their quality thresholds (shown to staff, set by admins).
CREATE OR REPLACE FUNCTION prefd_project_json(p projects, p_full boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'slug', p.slug, 'title', p.title, 'guidelines', p.guidelines,
    'guidelines_version', p.guidelines_version, 'outcomes', to_jsonb(p.outcomes),
    'flags', to_jsonb(p.flags), 'rationale', p.rationale, 'overlap', p.overlap,
    'lease_seconds', p.lease_seconds, 'gold_rate', p.gold_rate, 'status', p.status,
    'created_at', prefd_ts(p.created_at), 'updated_at', prefd_ts(p.updated_at))
  || CASE WHEN p_full THEN jsonb_build_object(
    'qc_min_seconds', p.qc_min_seconds, 'qc_min_gold_accuracy', p.qc_min_gold_accuracy,
    'raters', CASE WHEN p.raters_all THEN to_jsonb('all'::text)
                   ELSE coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                                   JOIN users u ON u.id = m.user_id
                                  WHERE m.project_id = p.id AND m.kind = 'rater'), '[]') END,
    'reviewers', coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                            JOIN users u ON u.id = m.user_id
                           WHERE m.project_id = p.id AND m.kind = 'reviewer'), '[]'))
  ELSE '{}'::jsonb END
$$;

-- Whether user p_user may review votes of project p (admins always may).
CREATE FUNCTION prefd_may_review(p projects, p_user bigint, p_admin boolean) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_admin OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id
                              AND m.kind = 'reviewer' AND m.user_id = p_user)
$$;

-- A project as user p_user sees it: with what they may do there.
CREATE FUNCTION prefd_project_for(p projects, p_user bigint, p_staff boolean, p_admin boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT prefd_project_json(p, p_staff)
         || jsonb_build_object('may_rate', prefd_may_rate(p, p_user),
                               'may_review', prefd_may_review(p, p_user, p_admin))
$$;

CREATE OR REPLACE FUNCTION prefd_project_save(p_slug text, p jsonb, p_create boolean)
RETURNS TABLE (status text, message text, project jsonb) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  pr projects%ROWTYPE;
  missing text;
  v_kind text;
BEGIN
  IF p_create THEN
    INSERT INTO projects (slug, title) VALUES (p_slug, p->>'title')
    ON CONFLICT (slug) DO NOTHING RETURNING * INTO pr;
    IF NOT FOUND THEN status := 'exists'; RETURN NEXT; RETURN; END IF;
    INSERT INTO guidelines (project_id, version, text) VALUES (pr.id, 1, coalesce(p->>'guidelines', ''));
  ELSE
    SELECT * INTO pr FROM projects WHERE slug = p_slug FOR UPDATE;
    IF NOT FOUND THEN status := 'not_found'; RETURN NEXT; RETURN; END IF;
  END IF;
  IF NOT p_create AND p ? 'guidelines' AND p->>'guidelines' IS DISTINCT FROM pr.guidelines THEN
    pr.guidelines_version := pr.guidelines_version + 1;
    INSERT INTO guidelines (project_id, version, text) VALUES (pr.id, pr.guidelines_version, p->>'guidelines');
  END IF;
  UPDATE projects SET
    title = coalesce(p->>'title', title),
    guidelines = coalesce(p->>'guidelines', guidelines),
    guidelines_version = pr.guidelines_version,
    outcomes = CASE WHEN p ? 'outcomes' THEN ARRAY(SELECT jsonb_array_elements_text(p->'outcomes')) ELSE outcomes END,
    flags = CASE WHEN p ? 'flags' THEN ARRAY(SELECT jsonb_array_elements_text(p->'flags')) ELSE flags END,
    rationale = coalesce(p->>'rationale', rationale),
    overlap = coalesce((p->>'overlap')::integer, overlap),
    lease_seconds = coalesce((p->>'lease_seconds')::integer, lease_seconds),
    gold_rate = coalesce((p->>'gold_rate')::double precision, gold_rate),
    status = coalesce(p->>'status', status),
    qc_min_seconds = coalesce((p->>'qc_min_seconds')::double precision, qc_min_seconds),
    qc_min_gold_accuracy = coalesce((p->>'qc_min_gold_accuracy')::double precision, qc_min_gold_accuracy),
    raters_all = CASE WHEN p ? 'raters' THEN p->'raters' = '"all"'::jsonb ELSE raters_all END,
    updated_at = now()
  WHERE id = pr.id RETURNING * INTO pr;
  FOREACH v_kind IN ARRAY ARRAY['rater', 'reviewer'] LOOP
    CONTINUE WHEN NOT p ? (v_kind || 's');
    DELETE FROM project_members m WHERE m.project_id = pr.id AND m.kind = v_kind;
    CONTINUE WHEN jsonb_typeof(p->(v_kind || 's')) <> 'array';
    SELECT x INTO missing FROM jsonb_array_elements_text(p->(v_kind || 's')) x
     WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.name = x) LIMIT 1;
    IF missing IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'P0002', MESSAGE = format('no user named "%s"', missing);
    END IF;
    INSERT INTO project_members (project_id, user_id, kind)
    SELECT pr.id, u.id, v_kind FROM users u
     WHERE u.name IN (SELECT jsonb_array_elements_text(p->(v_kind || 's')));
  END LOOP;
  status := 'ok';
  project := prefd_project_json(pr, true);
  RETURN NEXT;
END
$$;

-- Records reviewer p_reviewer's verdict on vote p_vote. Status: created | same (identical
-- review again) | conflict (a different review exists) | not_found | forbidden (not a reviewer
-- of the vote's project) | own (one's own vote).
CREATE FUNCTION prefd_review(p_vote bigint, p_reviewer bigint, p_admin boolean, p_verdict text,
                             p_comment text, OUT status text, OUT review_id bigint)
LANGUAGE plpgsql AS $$
DECLARE v votes%ROWTYPE; w reviews%ROWTYPE;
BEGIN
  SELECT * INTO v FROM votes WHERE id = p_vote;
  IF NOT FOUND OR v.is_gold THEN status := 'not_found'; RETURN; END IF;
  IF NOT p_admin AND NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = v.project_id
                                   AND m.kind = 'reviewer' AND m.user_id = p_reviewer) THEN
    status := 'forbidden'; RETURN;
  END IF;
  IF v.rater_id = p_reviewer THEN status := 'own'; RETURN; END IF;
  INSERT INTO reviews (vote_id, reviewer_id, verdict, comment)
  VALUES (p_vote, p_reviewer, p_verdict, coalesce(p_comment, ''))
  ON CONFLICT (vote_id, reviewer_id) DO NOTHING RETURNING * INTO w;
  IF FOUND THEN
    UPDATE votes SET reviews = reviews + 1 WHERE id = p_vote;
    status := 'created'; review_id := w.id; RETURN;
  END IF;
  SELECT * INTO w FROM reviews WHERE vote_id = p_vote AND reviewer_id = p_reviewer;
  review_id := w.id;
  status := CASE WHEN w.verdict = p_verdict AND w.comment = coalesce(p_comment, '') THEN 'same' ELSE 'conflict' END;
END
$$;
