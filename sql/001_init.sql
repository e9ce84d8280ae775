-- 001_init.sql - accounts, projects, items, comparisons, assignments, votes and the counts the
-- rankings read. Applied once, inside a transaction, by prefd at start-up (see server/migrate.c).
--
-- The constraints are the invariants: one vote per assignment, one assignment per rater and
-- comparison (so nobody sees a comparison twice), at most one open assignment per rater and
-- project, item ids unique per project, the responses of an item from distinct models, roles,
-- states and choices from fixed sets.
--
-- Tables live in numbered migrations like this one; functions (and the triggers that call them)
-- live in sql/functions/, one file each, and are applied again after the migrations whenever
-- they change (see server/migrate.c). The one exception is prefd_valid_labels below: CHECK
-- constraints use it, so it is part of the tables.

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
