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

DROP VIEW prefd_counted_votes;
DROP TABLE pair_counts;

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
