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
