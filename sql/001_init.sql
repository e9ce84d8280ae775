-- 001_init.sql - accounts, projects, items, comparisons, assignments, votes and the counts the
-- rankings read. Applied once, inside a transaction, by prefd at start-up (see server/migrate.c).
--
-- The constraints are the invariants: one vote per assignment, one assignment per rater and
-- comparison (so nobody sees a comparison twice), at most one open assignment per rater and
-- project, item ids unique per project, the responses of an item from distinct models, roles,
-- states and choices from fixed sets.

CREATE FUNCTION prefd_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A name of a flag or model-free label: lower-case identifier.
CREATE FUNCTION prefd_valid_labels(a text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(bool_and(x ~ '^[a-z][a-z0-9_]{0,31}$'), true)
     AND cardinality(a) = (SELECT count(DISTINCT x) FROM unnest(a) x)
    FROM unnest(a) x
$$;

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
  role          text NOT NULL CHECK (role IN ('admin', 'analyst', 'rater')),
  password_hash text CHECK (password_hash IS NULL OR password_hash LIKE 'scrypt$%'),
  disabled      boolean NOT NULL DEFAULT false,
  -- stable pseudonymous id shown in exports instead of the name
  pseudonym     text NOT NULL UNIQUE DEFAULT ('r-' || substr(md5(gen_random_uuid()::text), 1, 12)),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- API tokens: only the SHA-256 of the token is kept. One token per user: a new one replaces it.
CREATE TABLE api_tokens (
  hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
  user_id    bigint NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Browser sessions: the SHA-256 of the cookie value, and the CSRF token for state changes.
CREATE TABLE sessions (
  hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  csrf       text NOT NULL CHECK (length(csrf) >= 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE projects (
  id                 bigserial PRIMARY KEY,
  slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  guidelines         text NOT NULL DEFAULT '',
  guidelines_version integer NOT NULL DEFAULT 1 CHECK (guidelines_version >= 1),
  outcomes           text[] NOT NULL DEFAULT '{a,b,tie,both_bad}'
                     CHECK (outcomes <@ '{a,b,tie,both_bad}' AND outcomes @> '{a,b}'
                            AND prefd_valid_labels(outcomes)),
  flags              text[] NOT NULL DEFAULT '{unsafe,factually_wrong,biased,off_topic,refusal}'
                     CHECK (cardinality(flags) <= 32 AND prefd_valid_labels(flags)),
  rationale          text NOT NULL DEFAULT 'optional' CHECK (rationale IN ('off', 'optional', 'required')),
  overlap            integer NOT NULL DEFAULT 1 CHECK (overlap BETWEEN 1 AND 100),
  lease_seconds      integer NOT NULL DEFAULT 600 CHECK (lease_seconds BETWEEN 10 AND 86400),
  raters_all         boolean NOT NULL DEFAULT true,
  gold_rate          double precision NOT NULL DEFAULT 0 CHECK (gold_rate >= 0 AND gold_rate <= 1),
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'closed')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Every version of a project's guidelines; votes record the version they were cast under.
CREATE TABLE guidelines (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  version    integer NOT NULL CHECK (version >= 1),
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, version)
);

-- Raters named by a project (when raters_all is false) and its reviewers.
CREATE TABLE project_members (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('rater', 'reviewer')),
  PRIMARY KEY (project_id, kind, user_id)
);

CREATE TABLE models (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  UNIQUE (project_id, name),
  UNIQUE (project_id, id)
);

CREATE TABLE items (
  id          bigserial PRIMARY KEY,
  project_id  bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  ext_id      text NOT NULL CHECK (length(ext_id) BETWEEN 1 AND 200),
  prompt      text NOT NULL CHECK (prompt <> ''),
  category    text NOT NULL DEFAULT '' CHECK (length(category) <= 100),
  language    text NOT NULL DEFAULT '' CHECK (length(language) <= 35),
  metadata    jsonb,
  gold        text CHECK (gold IN ('model_a', 'model_b', 'tie')),
  gold_reason text,
  digest      bytea NOT NULL CHECK (length(digest) = 32), -- SHA-256 of the canonical line
  taken       integer NOT NULL DEFAULT 0 CHECK (taken >= 0), -- open + voted assignments
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, ext_id),
  UNIQUE (project_id, id)
);

CREATE TABLE responses (
  id       bigserial PRIMARY KEY,
  item_id  bigint NOT NULL REFERENCES items ON DELETE CASCADE,
  model_id bigint NOT NULL REFERENCES models,
  position integer NOT NULL CHECK (position >= 0),
  text     text NOT NULL,
  UNIQUE (item_id, model_id),
  UNIQUE (item_id, position),
  UNIQUE (item_id, id)
);

-- Per project and model pair (lower model id first): how much work is out on that pair.
CREATE TABLE model_pairs (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  model_lo   bigint NOT NULL,
  model_hi   bigint NOT NULL,
  taken      integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
  PRIMARY KEY (project_id, model_lo, model_hi),
  FOREIGN KEY (project_id, model_lo) REFERENCES models (project_id, id),
  FOREIGN KEY (project_id, model_hi) REFERENCES models (project_id, id),
  CHECK (model_lo < model_hi)
);

-- A comparison: one prompt with two of its responses, the lower model id's response as "lo".
CREATE TABLE comparisons (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL,
  item_id    bigint NOT NULL,
  resp_lo    bigint NOT NULL,
  resp_hi    bigint NOT NULL,
  model_lo   bigint NOT NULL,
  model_hi   bigint NOT NULL,
  gold       text CHECK (gold IN ('lo', 'hi', 'tie')), -- known answer of a control pair
  taken      integer NOT NULL DEFAULT 0 CHECK (taken >= 0), -- open + voted assignments
  votes      integer NOT NULL DEFAULT 0 CHECK (votes >= 0 AND votes <= taken),
  FOREIGN KEY (project_id, item_id) REFERENCES items (project_id, id) ON DELETE CASCADE,
  FOREIGN KEY (item_id, resp_lo) REFERENCES responses (item_id, id),
  FOREIGN KEY (item_id, resp_hi) REFERENCES responses (item_id, id),
  FOREIGN KEY (project_id, model_lo, model_hi) REFERENCES model_pairs,
  CHECK (model_lo < model_hi),
  UNIQUE (item_id, model_lo, model_hi)
);
CREATE INDEX comparisons_open ON comparisons (project_id, taken) WHERE gold IS NULL;
CREATE INDEX comparisons_gold ON comparisons (project_id) WHERE gold IS NOT NULL;

CREATE TABLE assignments (
  id                 bigserial PRIMARY KEY,
  token              text NOT NULL UNIQUE CHECK (length(token) >= 22),
  project_id         bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  comparison_id      bigint NOT NULL REFERENCES comparisons ON DELETE CASCADE,
  rater_id           bigint NOT NULL REFERENCES users,
  left_is_lo         boolean NOT NULL, -- which response was shown on the left
  is_gold            boolean NOT NULL DEFAULT false,
  guidelines_version integer NOT NULL,
  state              text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'voted', 'skipped', 'expired')),
  issued_at          timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  closed_at          timestamptz,
  skip_reason        text CHECK (length(skip_reason) <= 2000),
  UNIQUE (comparison_id, rater_id),
  CHECK (expires_at > issued_at),
  CHECK ((state = 'open') = (closed_at IS NULL))
);
CREATE UNIQUE INDEX assignments_one_open ON assignments (project_id, rater_id) WHERE state = 'open';
CREATE INDEX assignments_expiry ON assignments (project_id, expires_at) WHERE state = 'open';
CREATE INDEX assignments_rater ON assignments (rater_id, project_id, state);

CREATE TABLE votes (
  id                 bigserial PRIMARY KEY,
  project_id         bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  source             text NOT NULL CHECK (source IN ('rated', 'imported')),
  assignment_id      bigint UNIQUE REFERENCES assignments ON DELETE CASCADE,
  comparison_id      bigint REFERENCES comparisons ON DELETE CASCADE,
  item_id            bigint REFERENCES items ON DELETE CASCADE,
  prompt_ext         text, -- prompt_id as imported, or the item's id
  model_left         bigint NOT NULL,
  model_right        bigint NOT NULL,
  resp_left          bigint REFERENCES responses,
  resp_right         bigint REFERENCES responses,
  choice             text NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
  flags_left         text[] NOT NULL DEFAULT '{}' CHECK (prefd_valid_labels(flags_left)),
  flags_right        text[] NOT NULL DEFAULT '{}' CHECK (prefd_valid_labels(flags_right)),
  rationale          text NOT NULL DEFAULT '' CHECK (length(rationale) <= 20000),
  elapsed_ms         integer CHECK (elapsed_ms >= 0),
  guidelines_version integer,
  rater_id           bigint REFERENCES users,
  rater_label        text, -- the rater of an imported vote, as given
  category           text NOT NULL DEFAULT '',
  language           text NOT NULL DEFAULT '',
  is_gold            boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (project_id, model_left) REFERENCES models (project_id, id),
  FOREIGN KEY (project_id, model_right) REFERENCES models (project_id, id),
  CHECK (model_left <> model_right),
  CHECK ((source = 'rated') = (assignment_id IS NOT NULL)),
  CHECK (source = 'imported' OR (rater_id IS NOT NULL AND comparison_id IS NOT NULL
         AND resp_left IS NOT NULL AND resp_right IS NOT NULL AND guidelines_version IS NOT NULL))
);
CREATE INDEX votes_project_time ON votes (project_id, created_at, id);
CREATE INDEX votes_rater ON votes (rater_id, project_id) WHERE rater_id IS NOT NULL;

-- Outcome counts per model pair (lower model id first), kept by the vote transaction itself so
-- rankings never rescan votes. pair_totals is the whole project; pair_counts is split by
-- category, language and UTC day for filtered rankings. Control-pair votes are not counted.
CREATE TABLE pair_totals (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  model_lo   bigint NOT NULL,
  model_hi   bigint NOT NULL,
  lo_wins    bigint NOT NULL DEFAULT 0 CHECK (lo_wins >= 0),
  hi_wins    bigint NOT NULL DEFAULT 0 CHECK (hi_wins >= 0),
  ties       bigint NOT NULL DEFAULT 0 CHECK (ties >= 0),
  both_bad   bigint NOT NULL DEFAULT 0 CHECK (both_bad >= 0),
  left_wins  bigint NOT NULL DEFAULT 0 CHECK (left_wins >= 0),  -- decided for the left answer
  right_wins bigint NOT NULL DEFAULT 0 CHECK (right_wins >= 0),
  PRIMARY KEY (project_id, model_lo, model_hi),
  CHECK (model_lo < model_hi)
);

CREATE TABLE pair_counts (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  model_lo   bigint NOT NULL,
  model_hi   bigint NOT NULL,
  category   text NOT NULL,
  language   text NOT NULL,
  day        date NOT NULL,
  lo_wins    bigint NOT NULL DEFAULT 0 CHECK (lo_wins >= 0),
  hi_wins    bigint NOT NULL DEFAULT 0 CHECK (hi_wins >= 0),
  ties       bigint NOT NULL DEFAULT 0 CHECK (ties >= 0),
  both_bad   bigint NOT NULL DEFAULT 0 CHECK (both_bad >= 0),
  left_wins  bigint NOT NULL DEFAULT 0 CHECK (left_wins >= 0),
  right_wins bigint NOT NULL DEFAULT 0 CHECK (right_wins >= 0),
  PRIMARY KEY (project_id, category, language, day, model_lo, model_hi),
  CHECK (model_lo < model_hi)
);

-- Adds (sign 1) or removes (sign -1) one vote's outcome to the counts.
-- p_choice is relative to the screen: 'a' left, 'b' right.
CREATE FUNCTION prefd_count_vote(p_project bigint, p_left bigint, p_right bigint, p_choice text,
                                 p_category text, p_language text, p_at timestamptz, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lo bigint := least(p_left, p_right);
  hi bigint := greatest(p_left, p_right);
  left_is_lo boolean := p_left < p_right;
  lw integer := 0; hw integer := 0; t integer := 0; bb integer := 0; lft integer := 0; rgt integer := 0;
BEGIN
  IF p_choice = 'a' THEN
    lft := p_sign;
    IF left_is_lo THEN lw := p_sign; ELSE hw := p_sign; END IF;
  ELSIF p_choice = 'b' THEN
    rgt := p_sign;
    IF left_is_lo THEN hw := p_sign; ELSE lw := p_sign; END IF;
  ELSIF p_choice = 'tie' THEN
    t := p_sign;
  ELSE
    bb := p_sign;
  END IF;
  INSERT INTO pair_totals AS c (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad, left_wins, right_wins)
  VALUES (p_project, lo, hi, lw, hw, t, bb, lft, rgt)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET lo_wins = c.lo_wins + lw, hi_wins = c.hi_wins + hw, ties = c.ties + t,
        both_bad = c.both_bad + bb, left_wins = c.left_wins + lft, right_wins = c.right_wins + rgt;
  INSERT INTO pair_counts AS c (project_id, model_lo, model_hi, category, language, day,
                                lo_wins, hi_wins, ties, both_bad, left_wins, right_wins)
  VALUES (p_project, lo, hi, p_category, p_language, (p_at AT TIME ZONE 'UTC')::date, lw, hw, t, bb, lft, rgt)
  ON CONFLICT (project_id, category, language, day, model_lo, model_hi) DO UPDATE
    SET lo_wins = c.lo_wins + lw, hi_wins = c.hi_wins + hw, ties = c.ties + t,
        both_bad = c.both_bad + bb, left_wins = c.left_wins + lft, right_wins = c.right_wins + rgt;
END
$$;

-- Changes the work counters of comparisons, their prompts and their model pairs together.
-- Rows are locked in one global order (comparisons, then items, then model pairs, each by key)
-- so that concurrent assignment, expiry and votes cannot deadlock.
CREATE FUNCTION prefd_take(p_comparisons bigint[], p_delta integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE r record; c comparisons%ROWTYPE;
BEGIN
  IF cardinality(p_comparisons) = 1 THEN
    UPDATE comparisons SET taken = taken + p_delta WHERE id = p_comparisons[1] RETURNING * INTO c;
    IF c.gold IS NULL THEN
      UPDATE items SET taken = taken + p_delta WHERE id = c.item_id;
      UPDATE model_pairs SET taken = taken + p_delta
       WHERE project_id = c.project_id AND model_lo = c.model_lo AND model_hi = c.model_hi;
    END IF;
    RETURN;
  END IF;
  FOR r IN SELECT x AS id, count(*) AS n FROM unnest(p_comparisons) x GROUP BY x ORDER BY x LOOP
    UPDATE comparisons SET taken = taken + p_delta * r.n WHERE id = r.id;
  END LOOP;
  -- control pairs are shown to everyone and are not part of the coverage
  FOR r IN SELECT c.item_id, count(*) AS n FROM unnest(p_comparisons) x JOIN comparisons c ON c.id = x
            WHERE c.gold IS NULL GROUP BY c.item_id ORDER BY c.item_id LOOP
    UPDATE items SET taken = taken + p_delta * r.n WHERE id = r.item_id;
  END LOOP;
  FOR r IN SELECT c.project_id, c.model_lo, c.model_hi, count(*) AS n
             FROM unnest(p_comparisons) x JOIN comparisons c ON c.id = x
            WHERE c.gold IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 LOOP
    UPDATE model_pairs SET taken = taken + p_delta * r.n
     WHERE project_id = r.project_id AND model_lo = r.model_lo AND model_hi = r.model_hi;
  END LOOP;
END
$$;

-- Closes the project's open assignments whose lease ran out and frees their places. One
-- transaction at a time does this per project; the others go on without waiting.
CREATE FUNCTION prefd_expire(p_project bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended('prefd_expire', p_project)) THEN
    RETURN 0;
  END IF;
  WITH e AS (
    UPDATE assignments SET state = 'expired', closed_at = now()
     WHERE id IN (SELECT id FROM assignments
                   WHERE project_id = p_project AND state = 'open' AND expires_at <= now()
                   ORDER BY id FOR UPDATE SKIP LOCKED)
    RETURNING comparison_id)
  SELECT array_agg(comparison_id) INTO ids FROM e;
  IF ids IS NULL THEN RETURN 0; END IF;
  PERFORM prefd_take(ids, -1);
  RETURN cardinality(ids);
END
$$;

CREATE FUNCTION prefd_may_rate(p projects, p_user bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p.raters_all OR EXISTS (SELECT 1 FROM project_members m
                                  WHERE m.project_id = p.id AND m.kind = 'rater' AND m.user_id = p_user)
$$;

-- The assignment a rater sees: texts ordered left/right, no model names, no response ids.
CREATE TYPE prefd_assignment AS (
  status             text,   -- ok | none | not_found | forbidden | inactive
  token              text,
  expires_at         text,
  prompt             text,
  left_text          text,
  right_text         text,
  guidelines_version integer,
  done               bigint,
  remaining          bigint,
  outcomes           text[],
  flags              text[],
  rationale          text,
  project_status     text
);

-- The rater's view of assignment a; p_remaining is what is left for the rater after it.
CREATE FUNCTION prefd_assignment_of(a assignments, p projects, p_remaining bigint)
RETURNS prefd_assignment LANGUAGE plpgsql STABLE AS $$
DECLARE
  out prefd_assignment;
  c comparisons%ROWTYPE;
  t_lo text; t_hi text;
BEGIN
  SELECT * INTO c FROM comparisons WHERE id = a.comparison_id;
  SELECT text INTO t_lo FROM responses WHERE id = c.resp_lo;
  SELECT text INTO t_hi FROM responses WHERE id = c.resp_hi;
  out.status := 'ok';
  out.token := a.token;
  out.expires_at := prefd_ts(a.expires_at);
  SELECT prompt INTO out.prompt FROM items WHERE id = c.item_id;
  out.left_text := CASE WHEN a.left_is_lo THEN t_lo ELSE t_hi END;
  out.right_text := CASE WHEN a.left_is_lo THEN t_hi ELSE t_lo END;
  out.guidelines_version := a.guidelines_version;
  SELECT count(*) INTO out.done FROM assignments
   WHERE project_id = p.id AND rater_id = a.rater_id AND state = 'voted';
  out.remaining := p_remaining;
  out.outcomes := p.outcomes;
  out.flags := p.flags;
  out.rationale := p.rationale;
  out.project_status := p.status;
  RETURN out;
END
$$;

-- "Not seen by this rater" is written as NOT IN over the rater's assignments, which PostgreSQL
-- runs as one hashed set: linear in what the rater has seen, whatever the statistics say.
--
-- Gives rater p_rater the comparison to judge next in project p_slug: the one it holds if its
-- lease runs, else a new one it has never been given, below the overlap, on the model pair and
-- prompt with the least work out (random among equals), or a control pair at the project's
-- gold_rate. p_token is the id a new assignment gets.
CREATE FUNCTION prefd_next(p_slug text, p_rater bigint, p_token text)
RETURNS prefd_assignment LANGUAGE plpgsql AS $$
DECLARE
  p projects%ROWTYPE;
  a assignments%ROWTYPE;
  c comparisons%ROWTYPE;
  out prefd_assignment;
  remaining bigint;
BEGIN
  -- An assignment lost in a crash costs nothing (the rater asks again), so this transaction
  -- does not wait for its commit to reach disk; votes do.
  SET LOCAL synchronous_commit = off;
  SELECT * INTO p FROM projects WHERE slug = p_slug;
  IF NOT FOUND THEN out.status := 'not_found'; RETURN out; END IF;
  IF NOT prefd_may_rate(p, p_rater) THEN out.status := 'forbidden'; RETURN out; END IF;
  -- One decision at a time per rater and project: concurrent calls see each other's result.
  PERFORM pg_advisory_xact_lock(hashtextextended('prefd_next:' || p.id || ':' || p_rater, 0));
  PERFORM prefd_expire(p.id);
  SELECT * INTO a FROM assignments
   WHERE project_id = p.id AND rater_id = p_rater AND state = 'open';
  -- What is left for this rater, counted before any row is locked.
  SELECT count(*) INTO remaining FROM comparisons x
   WHERE x.project_id = p.id AND x.gold IS NULL AND x.taken < p.overlap
     AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id);
  IF a.id IS NOT NULL THEN
    RETURN prefd_assignment_of(a, p, remaining);
  END IF;
  IF p.status <> 'active' THEN out.status := 'inactive'; out.project_status := p.status; RETURN out; END IF;

  IF p.gold_rate > 0 AND random() < p.gold_rate THEN
    SELECT x.* INTO c FROM comparisons x
     WHERE x.project_id = p.id AND x.gold IS NOT NULL
       AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id)
     ORDER BY random() LIMIT 1;
  END IF;
  IF c.id IS NULL THEN
    SELECT x.* INTO c FROM comparisons x
      JOIN items i ON i.id = x.item_id
      JOIN model_pairs mp ON mp.project_id = x.project_id AND mp.model_lo = x.model_lo AND mp.model_hi = x.model_hi
     WHERE x.project_id = p.id AND x.gold IS NULL AND x.taken < p.overlap
       AND x.id NOT IN (SELECT y.comparison_id FROM assignments y WHERE y.rater_id = p_rater AND y.project_id = p.id)
     ORDER BY mp.taken, i.taken, random()
     LIMIT 1
     FOR UPDATE OF x SKIP LOCKED;
  END IF;
  IF c.id IS NULL THEN
    out.status := 'none';
    RETURN out;
  END IF;
  INSERT INTO assignments (token, project_id, comparison_id, rater_id, left_is_lo, is_gold,
                           guidelines_version, expires_at)
  VALUES (p_token, p.id, c.id, p_rater, random() < 0.5, c.gold IS NOT NULL, p.guidelines_version,
          now() + make_interval(secs => p.lease_seconds))
  RETURNING * INTO a;
  PERFORM prefd_take(ARRAY[c.id], 1);
  RETURN prefd_assignment_of(a, p, greatest(remaining - CASE WHEN c.gold IS NULL THEN 1 ELSE 0 END, 0));
END
$$;

CREATE TYPE prefd_vote_result AS (
  status  text,   -- created | same | not_found | conflict | gone | invalid
  vote_id bigint,
  message text,
  gold    text,   -- for a missed control pair: the expected choice as shown (a | b | tie)
  gold_reason text
);

-- Records rater p_rater's vote on assignment p_token. Identical repeats return the same vote;
-- the vote, the assignment's state and the counts commit together.
CREATE FUNCTION prefd_vote(p_token text, p_rater bigint, p_choice text, p_flags_left text[],
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
      out.status := 'same'; out.vote_id := v.id; RETURN out;
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
  INSERT INTO votes (project_id, source, assignment_id, comparison_id, item_id, prompt_ext,
                     model_left, model_right, resp_left, resp_right, choice, flags_left,
                     flags_right, rationale, elapsed_ms, guidelines_version, rater_id, category,
                     language, is_gold)
  VALUES (p.id, 'rated', a.id, c.id, i.id, i.ext_id, m_left, m_right, r_left, r_right, p_choice,
          p_flags_left, p_flags_right, p_rationale, p_elapsed, a.guidelines_version, p_rater,
          i.category, i.language, c.gold IS NOT NULL)
  RETURNING * INTO v;
  UPDATE assignments SET state = 'voted', closed_at = now() WHERE id = a.id;
  UPDATE comparisons SET votes = votes + 1 WHERE id = c.id;
  IF c.gold IS NULL THEN
    PERFORM prefd_count_vote(p.id, m_left, m_right, p_choice, i.category, i.language, v.created_at, 1);
  ELSE
    -- A control pair: tell the rater the expected answer (as shown on screen) when missed.
    out.gold := CASE c.gold WHEN 'tie' THEN 'tie'
                            WHEN 'lo' THEN CASE WHEN a.left_is_lo THEN 'a' ELSE 'b' END
                            ELSE CASE WHEN a.left_is_lo THEN 'b' ELSE 'a' END END;
    IF out.gold = p_choice OR (out.gold = 'tie' AND p_choice = 'both_bad') THEN
      out.gold := NULL;
    ELSE
      out.gold_reason := i.gold_reason;
    END IF;
  END IF;
  out.status := 'created';
  out.vote_id := v.id;
  RETURN out;
END
$$;

-- Rater p_rater skips assignment p_token: it never comes back to them and frees its place.
CREATE FUNCTION prefd_skip(p_token text, p_rater bigint, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE a assignments%ROWTYPE;
BEGIN
  SELECT * INTO a FROM assignments WHERE token = p_token FOR UPDATE;
  IF NOT FOUND OR a.rater_id <> p_rater THEN RETURN 'not_found'; END IF;
  IF a.state = 'skipped' THEN RETURN 'ok'; END IF;
  IF a.state = 'voted' THEN RETURN 'conflict'; END IF;
  IF a.state = 'expired' OR a.expires_at <= now() THEN
    IF a.state = 'open' THEN
      UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = a.id;
      PERFORM prefd_take(ARRAY[a.comparison_id], -1);
    END IF;
    RETURN 'gone';
  END IF;
  UPDATE assignments SET state = 'skipped', closed_at = now(), skip_reason = p_reason WHERE id = a.id;
  PERFORM prefd_take(ARRAY[a.comparison_id], -1);
  RETURN 'ok';
END
$$;

-- Stores a batch of validated item lines (JSON array of
-- {line, id, prompt, category, language, metadata, gold, gold_reason, digest, responses}),
-- returning per line 'accepted', 'unchanged' or 'conflict'.
CREATE FUNCTION prefd_items_put(p_project bigint, p_batch jsonb)
RETURNS TABLE (line integer, item text, status text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  r record;
  s record;
  v_item bigint;
  v_digest bytea;
  v_old bytea;
  v_model bigint;
BEGIN
  FOR r IN SELECT * FROM jsonb_to_recordset(p_batch)
             AS x(line integer, id text, prompt text, category text, language text,
                  metadata jsonb, gold text, gold_reason text, digest text, responses jsonb)
  LOOP
    v_digest := decode(r.digest, 'hex');
    INSERT INTO items (project_id, ext_id, prompt, category, language, metadata, gold, gold_reason, digest)
    VALUES (p_project, r.id, r.prompt, coalesce(r.category, ''), coalesce(r.language, ''),
            r.metadata, r.gold, r.gold_reason, v_digest)
    ON CONFLICT (project_id, ext_id) DO NOTHING
    RETURNING id INTO v_item;
    IF v_item IS NULL THEN
      SELECT digest INTO v_old FROM items WHERE project_id = p_project AND ext_id = r.id;
      line := r.line;
      item := r.id;
      status := CASE WHEN v_old = v_digest THEN 'unchanged' ELSE 'conflict' END;
      RETURN NEXT;
      CONTINUE;
    END IF;
    FOR s IN SELECT y.model, y.text, y.ord - 1 AS pos
               FROM ROWS FROM (jsonb_to_recordset(r.responses) AS (model text, text text))
                    WITH ORDINALITY AS y(model, text, ord)
    LOOP
      INSERT INTO models (project_id, name) VALUES (p_project, s.model)
      ON CONFLICT (project_id, name) DO NOTHING;
      SELECT id INTO v_model FROM models WHERE project_id = p_project AND name = s.model;
      INSERT INTO responses (item_id, model_id, position, text) VALUES (v_item, v_model, s.pos, s.text);
    END LOOP;
    INSERT INTO model_pairs (project_id, model_lo, model_hi)
    SELECT p_project, a.model_id, b.model_id
      FROM responses a JOIN responses b ON b.item_id = a.item_id AND a.model_id < b.model_id
     WHERE a.item_id = v_item
    ON CONFLICT DO NOTHING;
    INSERT INTO comparisons (project_id, item_id, resp_lo, resp_hi, model_lo, model_hi, gold)
    SELECT p_project, v_item, a.id, b.id, a.model_id, b.model_id,
           CASE r.gold WHEN 'tie' THEN 'tie'
                       -- model_a is the response at position 0
                       WHEN 'model_a' THEN CASE WHEN a.position = 0 THEN 'lo' ELSE 'hi' END
                       WHEN 'model_b' THEN CASE WHEN a.position = 1 THEN 'lo' ELSE 'hi' END
           END
      FROM responses a JOIN responses b ON b.item_id = a.item_id AND a.model_id < b.model_id
     WHERE a.item_id = v_item;
    line := r.line;
    item := r.id;
    status := 'accepted';
    RETURN NEXT;
  END LOOP;
END
$$;

CREATE FUNCTION prefd_project_json(p projects, p_full boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'slug', p.slug, 'title', p.title, 'guidelines', p.guidelines,
    'guidelines_version', p.guidelines_version, 'outcomes', to_jsonb(p.outcomes),
    'flags', to_jsonb(p.flags), 'rationale', p.rationale, 'overlap', p.overlap,
    'lease_seconds', p.lease_seconds, 'gold_rate', p.gold_rate, 'status', p.status,
    'created_at', prefd_ts(p.created_at), 'updated_at', prefd_ts(p.updated_at))
  || CASE WHEN p_full THEN jsonb_build_object(
    'raters', CASE WHEN p.raters_all THEN to_jsonb('all'::text)
                   ELSE coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                                   JOIN users u ON u.id = m.user_id
                                  WHERE m.project_id = p.id AND m.kind = 'rater'), '[]') END,
    'reviewers', coalesce((SELECT jsonb_agg(u.name ORDER BY u.name) FROM project_members m
                            JOIN users u ON u.id = m.user_id
                           WHERE m.project_id = p.id AND m.kind = 'reviewer'), '[]'))
  ELSE '{}'::jsonb END
$$;

-- Changes a user (NULL leaves a field alone). Refuses to leave the service without an enabled
-- admin; a new password or disabling ends the user's browser sessions.
CREATE FUNCTION prefd_user_update(p_name text, p_role text, p_hash text, p_disabled boolean)
RETURNS TABLE (status text, id bigint, name text, role text, disabled boolean, created_at text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE u users%ROWTYPE; admins bigint;
BEGIN
  -- Lock the enabled admins so that two admins cannot demote each other at once.
  PERFORM 1 FROM users x WHERE x.role = 'admin' AND NOT x.disabled FOR UPDATE;
  SELECT * INTO u FROM users x WHERE x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN status := 'not_found'; RETURN NEXT; RETURN; END IF;
  IF u.role = 'admin' AND NOT u.disabled
     AND (coalesce(p_role, 'admin') <> 'admin' OR coalesce(p_disabled, false)) THEN
    SELECT count(*) INTO admins FROM users x WHERE x.role = 'admin' AND NOT x.disabled;
    IF admins <= 1 THEN status := 'last_admin'; RETURN NEXT; RETURN; END IF;
  END IF;
  UPDATE users x SET role = coalesce(p_role, x.role),
                     password_hash = coalesce(p_hash, x.password_hash),
                     disabled = coalesce(p_disabled, x.disabled)
   WHERE x.id = u.id RETURNING * INTO u;
  IF p_hash IS NOT NULL OR coalesce(p_disabled, false) THEN
    DELETE FROM sessions s WHERE s.user_id = u.id;
  END IF;
  status := 'ok'; id := u.id; name := u.name; role := u.role; disabled := u.disabled;
  created_at := prefd_ts(u.created_at);
  RETURN NEXT;
END
$$;

-- Creates (p_create) or changes project p_slug from the validated fields of p, which may hold
-- title, guidelines, outcomes, flags, rationale, overlap, lease_seconds, gold_rate, status,
-- raters ("all" or user names) and reviewers (user names). A changed guidelines text gets the
-- next version. Returns status ok | not_found | exists | unknown_user (message: the name).
CREATE FUNCTION prefd_project_save(p_slug text, p jsonb, p_create boolean)
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
