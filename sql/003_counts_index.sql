-- 003_counts_index.sql - faster imports, and filtered rankings from an index in each process.
--
-- Measured on a million votes: the daily counts per (pair, category, language, day) of 002 hold
-- about one row per vote (pairs x cells x days is far sparser than the votes), so a filtered
-- ranking read as many rows as a scan of the votes, and keeping them cost an import most of its
-- time. Filtered rankings now come from an index each prefd process keeps in memory
-- (server/tally.c) and brings up to date by transaction id: rated votes and imports record the
-- transaction that wrote them, and a process reads only what committed since it last looked. The
-- unfiltered ranking still reads pair_totals, which the vote transaction keeps.
--
-- Imports now load with COPY: ids come from the vote sequence in the import's batches, the
-- import row records its id range, and its pair totals are written once at the end.

DROP FUNCTION prefd_pair_counts(bigint, text, text, timestamptz, timestamptz);
DROP FUNCTION prefd_votes_import(bigint, bigint, jsonb);
DROP VIEW prefd_counted_votes;
DROP TABLE pair_counts;

-- Adds (sign 1) or removes (sign -1) one vote's outcome to its pair's totals.
-- p_choice is relative to the screen: 'a' left, 'b' right.
CREATE OR REPLACE FUNCTION prefd_count_vote(p_project bigint, p_left bigint, p_right bigint,
                                            p_choice text, p_category text, p_language text,
                                            p_at timestamptz, p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  left_is_lo boolean := p_left < p_right;
BEGIN
  INSERT INTO pair_totals AS c (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad,
                                left_wins, right_wins)
  VALUES (p_project, least(p_left, p_right), greatest(p_left, p_right),
          CASE WHEN (p_choice = 'a' AND left_is_lo) OR (p_choice = 'b' AND NOT left_is_lo) THEN p_sign ELSE 0 END,
          CASE WHEN (p_choice = 'a' AND NOT left_is_lo) OR (p_choice = 'b' AND left_is_lo) THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'tie' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'both_bad' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'a' THEN p_sign ELSE 0 END,
          CASE WHEN p_choice = 'b' THEN p_sign ELSE 0 END)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET lo_wins = c.lo_wins + EXCLUDED.lo_wins, hi_wins = c.hi_wins + EXCLUDED.hi_wins,
        ties = c.ties + EXCLUDED.ties, both_bad = c.both_bad + EXCLUDED.both_bad,
        left_wins = c.left_wins + EXCLUDED.left_wins, right_wins = c.right_wins + EXCLUDED.right_wins;
END
$$;

-- The transaction that wrote a rated vote (the change feed of server/tally.c).
ALTER TABLE votes ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX votes_project_txid ON votes (project_id, txid);
CREATE INDEX votes_project_id ON votes (project_id, id);

ALTER TABLE imports
  ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN first_id bigint, -- the import's vote ids lie in [first_id, last_id]
  ADD COLUMN last_id bigint,
  ADD COLUMN votes bigint,    -- set when the import is complete
  ADD CHECK (first_id <= last_id);
CREATE INDEX imports_project_txid ON imports (project_id, txid);

-- One index on imported votes: every read goes by project and id.
DROP INDEX imported_votes_project_time;
DROP INDEX imported_votes_import;
ALTER TABLE imported_votes DROP CONSTRAINT imported_votes_pkey, ADD PRIMARY KEY (project_id, id);

-- Without an index on import_id, deleting an import finds its votes by its id range.
CREATE OR REPLACE FUNCTION prefd_import_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM imported_votes
   WHERE project_id = OLD.project_id AND id BETWEEN OLD.first_id AND OLD.last_id
     AND import_id = OLD.id;
  RETURN OLD;
END
$$;

-- Makes the models named in p_names (a JSON array of strings) exist in project p_project and
-- returns the id of each.
CREATE FUNCTION prefd_models_ensure(p_project bigint, p_names jsonb)
RETURNS TABLE (id bigint, name text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  INSERT INTO models (project_id, name)
  SELECT p_project, x FROM jsonb_array_elements_text(p_names) x
  ON CONFLICT (project_id, name) DO NOTHING;
  RETURN QUERY SELECT m.id, m.name FROM models m
                WHERE m.project_id = p_project
                  AND m.name IN (SELECT jsonb_array_elements_text(p_names));
END
$$;

-- Completes import p_import: its id range, its vote count, and its pair totals (a JSON array of
-- {lo, hi, lo_wins, hi_wins, ties, both_bad, left_wins, right_wins}) added to pair_totals.
CREATE FUNCTION prefd_import_finish(p_import bigint, p_first bigint, p_last bigint, p_votes bigint,
                                    p_pairs jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_project bigint;
BEGIN
  UPDATE imports SET first_id = p_first, last_id = p_last, votes = p_votes
   WHERE id = p_import RETURNING project_id INTO v_project;
  INSERT INTO pair_totals AS t (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad,
                                left_wins, right_wins)
  SELECT v_project, x.lo, x.hi, x.lo_wins, x.hi_wins, x.ties, x.both_bad, x.left_wins, x.right_wins
    FROM jsonb_to_recordset(p_pairs) AS x(lo bigint, hi bigint, lo_wins bigint, hi_wins bigint,
                                          ties bigint, both_bad bigint, left_wins bigint,
                                          right_wins bigint)
  ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
    SET lo_wins = t.lo_wins + EXCLUDED.lo_wins, hi_wins = t.hi_wins + EXCLUDED.hi_wins,
        ties = t.ties + EXCLUDED.ties, both_bad = t.both_bad + EXCLUDED.both_bad,
        left_wins = t.left_wins + EXCLUDED.left_wins, right_wins = t.right_wins + EXCLUDED.right_wins;
END
$$;

-- Every vote as exports and the index read it: rated votes (control pairs marked) and imported
-- votes, with the project's names for models.
CREATE VIEW prefd_all_votes AS
  SELECT v.project_id, v.id, v.created_at, 'rated'::text AS source, v.model_left, v.model_right,
         v.choice, v.category, v.language, v.prompt_ext, v.item_id, v.resp_left, v.resp_right,
         v.flags_left, v.flags_right, v.rationale, v.elapsed_ms, v.guidelines_version,
         v.rater_id, NULL::text AS rater_label, v.is_gold
    FROM votes v
  UNION ALL
  SELECT i.project_id, i.id, i.created_at, 'imported', i.model_left, i.model_right, i.choice,
         i.category, i.language, i.prompt_ext, i.item_id, NULL, NULL, '{}'::text[], '{}'::text[],
         '', NULL, NULL, NULL, i.rater_label, false
    FROM imported_votes i;
