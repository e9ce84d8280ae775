-- 002_rankings.sql - imported votes, and the outcome counts that rankings read, whole or
-- filtered by category, language and time.

-- One POST .../votes/import: who brought which votes in.
CREATE TABLE imports (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  user_id    bigint REFERENCES users ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Historical votes (for example an existing arena log). They live apart from rated votes, which
-- carry an assignment, a comparison, responses and a rater, each with its foreign key: checked
-- row by row those keys cost more than the insert itself, and a million imported votes must
-- load in seconds. Here every statement checks its rows at once (prefd_imported_check): models
-- and matched items belong to the vote's project, and the import exists. Ids share the
-- sequence of rated votes, so a vote id is unique across both.
CREATE TABLE imported_votes (
  id          bigint PRIMARY KEY DEFAULT nextval('votes_id_seq'),
  project_id  bigint NOT NULL,
  import_id   bigint NOT NULL,
  model_left  bigint NOT NULL, -- model_a of the import: shown on the left
  model_right bigint NOT NULL,
  choice      text NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both_bad')),
  prompt_ext  text,            -- prompt_id as imported
  item_id     bigint,          -- the uploaded item with that id, if any
  rater_label text,            -- the rater as imported
  category    text NOT NULL DEFAULT '' CHECK (length(category) <= 100),
  language    text NOT NULL DEFAULT '' CHECK (length(language) <= 35),
  created_at  timestamptz NOT NULL,
  CHECK (model_left <> model_right)
);
CREATE INDEX imported_votes_project_time ON imported_votes (project_id, created_at, id);
CREATE INDEX imported_votes_import ON imported_votes (import_id);

-- Rated votes are only rated from now on (the import path has its own table).
ALTER TABLE votes ADD CONSTRAINT votes_rated_only CHECK (source = 'rated');

-- Every vote that counts in rankings: rated votes on ordinary comparisons and imported votes.
CREATE VIEW prefd_counted_votes AS
  SELECT project_id, model_left, model_right, choice, category, language, created_at
    FROM votes WHERE NOT is_gold
  UNION ALL
  SELECT project_id, model_left, model_right, choice, category, language, created_at
    FROM imported_votes;
