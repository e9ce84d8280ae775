-- 014_active_schedule.sql - active sampling (project option "schedule"): the weights of the
-- model pairs that `next` draws from, and an index to find a pair's next comparison in the
-- queue's order.
--
-- schedule 'coverage' (the default) is the queue of 006 unchanged. Under 'active' the servers
-- store, every few seconds, each model pair's share of the picks (server/active.c computes
-- them from the current fit; include/active.h states the rule) as cumulative bounds in [0, 1):
-- a pick draws u uniformly and takes the first pair whose bound is above u (one index probe),
-- then that pair's first comparison in the queue's order. The rows are written only by the
-- periodic refresh, never by `next` or a vote, so no row is shared by the raters' writes.
ALTER TABLE projects ADD COLUMN schedule text NOT NULL DEFAULT 'coverage'
  CHECK (schedule IN ('coverage', 'active'));

CREATE TABLE pair_weights (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  bound      double precision NOT NULL CHECK (bound > 0 AND bound <= 1),
  model_lo   bigint NOT NULL,
  model_hi   bigint NOT NULL,
  weight     double precision NOT NULL CHECK (weight >= 0),
  PRIMARY KEY (project_id, model_lo, model_hi)
);
CREATE INDEX pair_weights_bound ON pair_weights (project_id, bound);
-- When and from how many counted votes a project's weights were computed (by any process).
CREATE TABLE pair_weights_state (
  project_id  bigint PRIMARY KEY REFERENCES projects ON DELETE CASCADE,
  votes       double precision NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now()
);

-- A model pair's open comparisons in the queue's order (taken, turn, rnd).
CREATE INDEX comparisons_pair_queue ON comparisons (project_id, model_lo, model_hi, taken, turn, rnd)
  WHERE gold IS NULL AND NOT filled;
