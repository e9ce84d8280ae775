-- 016_rater_learning.sql - raters learn: qualification on control pairs before ordinary work,
-- review verdicts that reach the rater (read, answered once), and acknowledged guideline
-- changes.

-- Qualification (project option "qualification"): qual_gold control pairs first (0: none),
-- then ordinary comparisons only for a rater whose accuracy on them reaches qual_min_accuracy;
-- a rater who fails may try again after qual_retry_hours.
ALTER TABLE projects
  ADD COLUMN qual_gold integer NOT NULL DEFAULT 0 CHECK (qual_gold BETWEEN 0 AND 1000),
  ADD COLUMN qual_min_accuracy double precision NOT NULL DEFAULT 0.8
    CHECK (qual_min_accuracy BETWEEN 0 AND 1),
  ADD COLUMN qual_retry_hours double precision NOT NULL DEFAULT 24
    CHECK (qual_retry_hours BETWEEN 0 AND 8760);

-- One row per rater and project once qualification applied to them: the current attempt
-- (answered and right control pairs since it began), its state, and when a failed rater may
-- try again. `next` reads it by its key (constant cost); the vote on a control pair updates it.
CREATE TABLE qualifications (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'qualified', 'failed')),
  attempt    integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  answered   integer NOT NULL DEFAULT 0 CHECK (answered >= 0),
  correct    integer NOT NULL DEFAULT 0 CHECK (correct >= 0),
  retry_at   timestamptz,
  by_admin   bigint REFERENCES users ON DELETE SET NULL, -- set when an admin decided the state
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, rater_id)
);

-- Every change of a qualification: passed, failed, retried (a new attempt after the wait),
-- and an admin's qualify or reset, with who and why.
CREATE TABLE qualification_events (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  event      text NOT NULL CHECK (event IN ('passed', 'failed', 'retried', 'qualified', 'reset')),
  answered   integer NOT NULL,
  correct    integer NOT NULL,
  by_admin   bigint REFERENCES users ON DELETE SET NULL,
  reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qualification_events_rater ON qualification_events (project_id, rater_id, id);

-- Review feedback: the rater's one reply, and when the rater first read the review.
ALTER TABLE reviews
  ADD COLUMN reply      text CHECK (length(reply) BETWEEN 1 AND 5000),
  ADD COLUMN replied_at timestamptz,
  ADD COLUMN read_at    timestamptz;
-- A rater's reviewed votes, newest review first (GET /me/reviews): votes with a review only.
CREATE INDEX votes_reviewed ON votes (rater_id, project_id) WHERE reviews > 0;

-- The guidelines version each rater last knew in each project: set to the current one when
-- the rater is first given work there, raised when they acknowledge a change. `next` reads it
-- by its key.
CREATE TABLE guideline_known (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  version    integer NOT NULL,
  PRIMARY KEY (project_id, rater_id)
);
-- Every acknowledgement, with the version acknowledged.
CREATE TABLE guideline_acks (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  version    integer NOT NULL,
  from_version integer NOT NULL,
  acked_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, rater_id, version)
);

-- Raters who took part before this migration knew the guidelines of now.
INSERT INTO guideline_known (project_id, rater_id, version)
SELECT g.project_id, g.rater_id, p.guidelines_version
  FROM rater_given g JOIN projects p ON p.id = g.project_id;
