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

CREATE FUNCTION prefd_imported_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_votes v
              WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = v.import_id AND i.project_id = v.project_id)
                 OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = v.model_left AND m.project_id = v.project_id)
                 OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = v.model_right AND m.project_id = v.project_id)
                 OR (v.item_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = v.item_id
                                                                AND i.project_id = v.project_id))) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
      MESSAGE = 'an imported vote names an import, model or item outside its project';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER imported_votes_check_insert AFTER INSERT ON imported_votes
  REFERENCING NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION prefd_imported_check();
CREATE TRIGGER imported_votes_check_update AFTER UPDATE ON imported_votes
  REFERENCING NEW TABLE AS new_votes FOR EACH STATEMENT EXECUTE FUNCTION prefd_imported_check();

-- Deleting an import (with its project) deletes its votes; a model or item referenced by votes
-- only goes with its project (deletes issued inside a cascade run at trigger depth > 0).
CREATE FUNCTION prefd_import_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM imported_votes WHERE import_id = OLD.id;
  RETURN OLD;
END
$$;
CREATE TRIGGER imports_delete_votes BEFORE DELETE ON imports
  FOR EACH ROW EXECUTE FUNCTION prefd_import_deleted();

CREATE FUNCTION prefd_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'models' AND EXISTS (SELECT 1 FROM imported_votes v
        WHERE v.project_id = OLD.project_id AND (v.model_left = OLD.id OR v.model_right = OLD.id)) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = 'the model has imported votes';
  END IF;
  IF TG_TABLE_NAME = 'items' AND EXISTS (SELECT 1 FROM imported_votes v WHERE v.item_id = OLD.id) THEN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = 'the item has imported votes';
  END IF;
  RETURN OLD;
END
$$;
CREATE TRIGGER models_keep_referenced BEFORE DELETE ON models
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION prefd_keep_referenced();
CREATE TRIGGER items_keep_referenced BEFORE DELETE ON items
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION prefd_keep_referenced();

-- Rated votes are only rated from now on (the import path has its own table).
ALTER TABLE votes ADD CONSTRAINT votes_rated_only CHECK (source = 'rated');

-- Every vote that counts in rankings: rated votes on ordinary comparisons and imported votes.
CREATE VIEW prefd_counted_votes AS
  SELECT project_id, model_left, model_right, choice, category, language, created_at
    FROM votes WHERE NOT is_gold
  UNION ALL
  SELECT project_id, model_left, model_right, choice, category, language, created_at
    FROM imported_votes;

-- Stores a batch of validated import lines (JSON array of {model_a, model_b, choice, prompt_id,
-- rater, created_at, category, language}) as import p_import of project p_project: models are
-- made on first sight, the votes inserted and the counts updated, all in one statement set.
-- Returns the number of votes stored.
CREATE FUNCTION prefd_votes_import(p_project bigint, p_import bigint, p_batch jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  INSERT INTO models (project_id, name)
  SELECT DISTINCT p_project, name
    FROM jsonb_to_recordset(p_batch) AS x(model_a text, model_b text),
         LATERAL (VALUES (x.model_a), (x.model_b)) s(name)
  ON CONFLICT (project_id, name) DO NOTHING;
  WITH rows AS (
    SELECT * FROM jsonb_to_recordset(p_batch) AS x(model_a text, model_b text, choice text,
      prompt_id text, rater text, created_at timestamptz, category text, language text)),
  ins AS (
    INSERT INTO imported_votes (project_id, import_id, model_left, model_right, choice, prompt_ext,
                                item_id, rater_label, category, language, created_at)
    SELECT p_project, p_import, ma.id, mb.id, r.choice, r.prompt_id, i.id, r.rater,
           coalesce(r.category, i.category, ''), coalesce(r.language, i.language, ''),
           coalesce(r.created_at, now())
      FROM rows r
      JOIN models ma ON ma.project_id = p_project AND ma.name = r.model_a
      JOIN models mb ON mb.project_id = p_project AND mb.name = r.model_b
      LEFT JOIN items i ON i.project_id = p_project AND i.ext_id = r.prompt_id
    RETURNING model_left, model_right, choice, category, language, created_at),
  counted AS (
    SELECT least(model_left, model_right) AS lo, greatest(model_left, model_right) AS hi,
           category, language, (created_at AT TIME ZONE 'UTC')::date AS day,
           count(*) FILTER (WHERE choice IN ('a', 'b') AND (choice = 'a') = (model_left < model_right)) AS lo_wins,
           count(*) FILTER (WHERE choice IN ('a', 'b') AND (choice = 'a') <> (model_left < model_right)) AS hi_wins,
           count(*) FILTER (WHERE choice = 'tie') AS ties,
           count(*) FILTER (WHERE choice = 'both_bad') AS both_bad,
           count(*) FILTER (WHERE choice = 'a') AS left_wins,
           count(*) FILTER (WHERE choice = 'b') AS right_wins
      FROM ins GROUP BY 1, 2, 3, 4, 5),
  daily AS (
    INSERT INTO pair_counts AS c (project_id, model_lo, model_hi, category, language, day,
                                  lo_wins, hi_wins, ties, both_bad, left_wins, right_wins)
    SELECT p_project, lo, hi, category, language, day, lo_wins, hi_wins, ties, both_bad, left_wins, right_wins
      FROM counted
    ON CONFLICT (project_id, category, language, day, model_lo, model_hi) DO UPDATE
      SET lo_wins = c.lo_wins + EXCLUDED.lo_wins, hi_wins = c.hi_wins + EXCLUDED.hi_wins,
          ties = c.ties + EXCLUDED.ties, both_bad = c.both_bad + EXCLUDED.both_bad,
          left_wins = c.left_wins + EXCLUDED.left_wins, right_wins = c.right_wins + EXCLUDED.right_wins
    RETURNING 1),
  totals AS (
    INSERT INTO pair_totals AS t (project_id, model_lo, model_hi, lo_wins, hi_wins, ties, both_bad, left_wins, right_wins)
    SELECT p_project, lo, hi, sum(lo_wins), sum(hi_wins), sum(ties), sum(both_bad), sum(left_wins), sum(right_wins)
      FROM counted GROUP BY lo, hi
    ON CONFLICT (project_id, model_lo, model_hi) DO UPDATE
      SET lo_wins = t.lo_wins + EXCLUDED.lo_wins, hi_wins = t.hi_wins + EXCLUDED.hi_wins,
          ties = t.ties + EXCLUDED.ties, both_bad = t.both_bad + EXCLUDED.both_bad,
          left_wins = t.left_wins + EXCLUDED.left_wins, right_wins = t.right_wins + EXCLUDED.right_wins
    RETURNING 1)
  SELECT (SELECT count(*) FROM ins) INTO n;
  RETURN n;
END
$$;

-- Outcome counts per model pair (lower model id first) of project p_project, over the votes that
-- count, optionally only of one category, one language, and created in [p_since, p_until).
-- Unfiltered it reads pair_totals. Filtered it sums the daily counts of the whole UTC days in the
-- range and adds the votes of the partial days at its ends, so that it never scans more than two
-- days of votes.
CREATE FUNCTION prefd_pair_counts(p_project bigint, p_category text, p_language text,
                                  p_since timestamptz, p_until timestamptz)
RETURNS TABLE (model_lo bigint, model_hi bigint, lo_wins bigint, hi_wins bigint, ties bigint,
               both_bad bigint, left_wins bigint, right_wins bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
  first_full date; -- first whole day in range
  end_full date;   -- day after the last whole day in range
BEGIN
  IF p_category IS NULL AND p_language IS NULL AND p_since IS NULL AND p_until IS NULL THEN
    RETURN QUERY SELECT t.model_lo, t.model_hi, t.lo_wins, t.hi_wins, t.ties, t.both_bad,
                        t.left_wins, t.right_wins
                   FROM pair_totals t WHERE t.project_id = p_project;
    RETURN;
  END IF;
  IF p_since IS NOT NULL THEN
    first_full := (p_since AT TIME ZONE 'UTC')::date;
    IF p_since > first_full::timestamp AT TIME ZONE 'UTC' THEN
      first_full := first_full + 1;
    END IF;
  END IF;
  IF p_until IS NOT NULL THEN
    end_full := (p_until AT TIME ZONE 'UTC')::date;
  END IF;
  RETURN QUERY
  SELECT x.model_lo, x.model_hi, sum(x.lo_wins)::bigint, sum(x.hi_wins)::bigint, sum(x.ties)::bigint,
         sum(x.both_bad)::bigint, sum(x.left_wins)::bigint, sum(x.right_wins)::bigint
    FROM (
      SELECT c.model_lo, c.model_hi, c.lo_wins, c.hi_wins, c.ties, c.both_bad, c.left_wins, c.right_wins
        FROM pair_counts c
       WHERE c.project_id = p_project
         AND (p_category IS NULL OR c.category = p_category)
         AND (p_language IS NULL OR c.language = p_language)
         AND (first_full IS NULL OR c.day >= first_full)
         AND (end_full IS NULL OR c.day < end_full)
      UNION ALL
      SELECT least(v.model_left, v.model_right), greatest(v.model_left, v.model_right),
             (v.choice IN ('a', 'b') AND (v.choice = 'a') = (v.model_left < v.model_right))::int,
             (v.choice IN ('a', 'b') AND (v.choice = 'a') <> (v.model_left < v.model_right))::int,
             (v.choice = 'tie')::int, (v.choice = 'both_bad')::int,
             (v.choice = 'a')::int, (v.choice = 'b')::int
        FROM prefd_counted_votes v
       WHERE v.project_id = p_project
         AND (p_category IS NULL OR v.category = p_category)
         AND (p_language IS NULL OR v.language = p_language)
         AND (p_since IS NULL OR v.created_at >= p_since)
         AND (p_until IS NULL OR v.created_at < p_until)
         AND (p_since IS NOT NULL OR p_until IS NOT NULL)
         AND ((first_full IS NOT NULL AND v.created_at < first_full::timestamp AT TIME ZONE 'UTC')
              OR (end_full IS NOT NULL AND v.created_at >= end_full::timestamp AT TIME ZONE 'UTC'))
    ) x
   GROUP BY x.model_lo, x.model_hi;
END
$$;
