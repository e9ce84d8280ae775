-- 017_rater_work.sql - the work raters really do (issue 14): conversations, strength of
-- preference, scores per answer, rewrites, model reveal, sensitive content, flags on a passage.
-- Every option is off by default, so a project made before behaves as it did.

-- Project options: "strength" (a decided vote says by how much, 1..3), "criteria" (a list of
-- {name, scale, labels, required}: scores per answer), "rewrite" (off | optional |
-- required_when_both_bad), "reveal" (the vote's reply names the models), "explicit" (raters who
-- opted out of explicit content are not given its work).
ALTER TABLE projects
  ADD COLUMN strength boolean NOT NULL DEFAULT false,
  ADD COLUMN criteria jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(criteria) = 'array'),
  ADD COLUMN rewrite text NOT NULL DEFAULT 'off'
    CHECK (rewrite IN ('off', 'optional', 'required_when_both_bad')),
  ADD COLUMN reveal boolean NOT NULL DEFAULT false,
  ADD COLUMN explicit boolean NOT NULL DEFAULT false;

-- A conversation so far (the prompt is then its last user turn, so every reader of the prompt
-- keeps working), and the uploader's mark of sensitive content.
ALTER TABLE items
  ADD COLUMN messages jsonb CHECK (messages IS NULL OR jsonb_typeof(messages) = 'array'),
  ADD COLUMN sensitive boolean NOT NULL DEFAULT false;

-- The vote's extra parts, NULL when not given: strength 1..3 (decided votes only), scores
-- {"a": {criterion: n}, "b": {...}} as shown, the rewrite of the better answer (or a good one
-- when both were bad), and the quoted passages of flags {"a": [{"flag", "quote"}], "b": [...]}.
ALTER TABLE votes
  ADD COLUMN strength smallint CHECK (strength BETWEEN 1 AND 3),
  ADD COLUMN scores jsonb CHECK (scores IS NULL OR jsonb_typeof(scores) = 'object'),
  ADD COLUMN rewrite text CHECK (length(rewrite) <= 200000),
  ADD COLUMN flag_quotes jsonb CHECK (flag_quotes IS NULL OR jsonb_typeof(flag_quotes) = 'object');

-- Raters who opted out of projects marked explicit.
ALTER TABLE users ADD COLUMN no_explicit boolean NOT NULL DEFAULT false;

-- An answer a rater flagged unsafe: sensitive for the raters after (set by prefd_votes).
ALTER TABLE responses ADD COLUMN unsafe boolean NOT NULL DEFAULT false;

-- Exports read the new parts of a vote beside the rest (NULL for imported votes).
CREATE OR REPLACE VIEW prefd_all_votes AS
  SELECT v.project_id, v.id, v.created_at, 'rated'::text AS source, v.model_left, v.model_right,
         v.choice, v.category, v.language, v.prompt_ext, v.item_id, v.resp_left, v.resp_right,
         v.flags_left, v.flags_right, v.rationale, v.elapsed_ms, v.guidelines_version,
         v.rater_id, NULL::text AS rater_label, v.is_gold,
         v.strength, v.scores, v.rewrite, v.flag_quotes
    FROM votes v WHERE NOT v.excluded
  UNION ALL
  SELECT i.project_id, i.id, i.created_at, 'imported', i.model_left, i.model_right, i.choice,
         i.category, i.language, i.prompt_ext, i.item_id, NULL, NULL, '{}'::text[], '{}'::text[],
         '', NULL, NULL, NULL, i.rater_label, false, NULL::smallint, NULL::jsonb, NULL::text,
         NULL::jsonb
    FROM imported_votes i;
