-- types.sql - the composite types functions return; applied before the functions.

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

CREATE TYPE prefd_vote_result AS (
  status  text,   -- created | same | not_found | conflict | gone | invalid
  vote_id bigint,
  message text,
  gold    text,   -- for a missed control pair: the expected choice as shown (a | b | tie)
  gold_reason text
);

