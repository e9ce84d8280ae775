-- 006_rating_queue.sql - the rating loop at any project size: `next` reads one index in order
-- and stops at the first comparison the rater may take; no row is shared by all raters.
--
-- Measured on a million comparisons: the pick of 001 read and sorted every open comparison of
-- the project on every call (seconds), its coverage counters on items and model pairs were rows
-- every rater updated, and the foreign keys of votes and assignments locked the project's row
-- and its models' rows (FOR KEY SHARE) in every transaction.

-- The queue: an index over the comparisons still below the overlap, in the order `next` hands
-- them out (sql/functions/prefd_next.sql states the rule): fewest votes and open assignments,
-- then the model pair's turn, then a random key. `filled` keeps a comparison at its overlap out
-- of the index; `turn` numbers the comparisons of each model pair 0, 1, 2 ... as they are
-- uploaded (model_pairs.comparisons is the next number).
ALTER TABLE comparisons
  ADD COLUMN turn integer NOT NULL DEFAULT 0 CHECK (turn >= 0),
  ADD COLUMN rnd integer NOT NULL DEFAULT (random() * 2147483646)::integer,
  ADD COLUMN filled boolean NOT NULL DEFAULT false;
ALTER TABLE model_pairs ADD COLUMN comparisons integer NOT NULL DEFAULT 0 CHECK (comparisons >= 0);

UPDATE comparisons c SET filled = c.taken >= p.overlap FROM projects p WHERE p.id = c.project_id;
UPDATE comparisons c SET turn = x.turn
  FROM (SELECT id, (row_number() OVER (PARTITION BY project_id, model_lo, model_hi ORDER BY random()) - 1)::integer AS turn
          FROM comparisons WHERE gold IS NULL) x
 WHERE x.id = c.id;
UPDATE model_pairs mp SET comparisons = x.n
  FROM (SELECT project_id, model_lo, model_hi, count(*) AS n FROM comparisons WHERE gold IS NULL
         GROUP BY 1, 2, 3) x
 WHERE x.project_id = mp.project_id AND x.model_lo = mp.model_lo AND x.model_hi = mp.model_hi;

DROP INDEX comparisons_open;
DROP INDEX comparisons_gold;
CREATE INDEX comparisons_queue ON comparisons (project_id, taken, turn, rnd)
  WHERE gold IS NULL AND NOT filled;
CREATE INDEX comparisons_gold ON comparisons (project_id, rnd) WHERE gold IS NOT NULL;

-- The coverage counters every rater updated are gone: the queue's order keeps coverage even.
ALTER TABLE items DROP COLUMN taken;
ALTER TABLE model_pairs DROP COLUMN taken;

-- Counts that progress reads instead of counting the project. Each process's transactions
-- write the shard of their database connection (pg_backend_pid() % 16), so concurrent raters do
-- not queue on one row; a shard may go below zero, the sum is exact.
ALTER TABLE projects ADD COLUMN comparisons bigint NOT NULL DEFAULT 0; -- ordinary ones
UPDATE projects p SET comparisons = (SELECT count(*) FROM comparisons c WHERE c.project_id = p.id
                                        AND c.gold IS NULL);
CREATE TABLE project_counts (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  shard      smallint NOT NULL CHECK (shard >= 0),
  open       bigint NOT NULL DEFAULT 0, -- places below the overlap of ordinary comparisons
  votes      bigint NOT NULL DEFAULT 0, -- votes on ordinary comparisons
  PRIMARY KEY (project_id, shard)
);
INSERT INTO project_counts (project_id, shard, open, votes)
SELECT p.id, 0, coalesce(sum(greatest(p.overlap - c.taken, 0)), 0), coalesce(sum(c.votes), 0)
  FROM projects p LEFT JOIN comparisons c ON c.project_id = p.id AND c.gold IS NULL
 GROUP BY p.id;

-- Per rater and project: ordinary comparisons given (written by next only) and votes cast
-- (written by vote only), so that neither waits for the other.
CREATE TABLE rater_given (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  given      bigint NOT NULL DEFAULT 0 CHECK (given >= 0),    -- ordinary comparisons
  controls   bigint NOT NULL DEFAULT 0 CHECK (controls >= 0), -- control pairs
  PRIMARY KEY (project_id, rater_id)
);
CREATE TABLE rater_votes (
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  rater_id   bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  votes      bigint NOT NULL DEFAULT 0 CHECK (votes >= 0), -- control pairs included
  PRIMARY KEY (project_id, rater_id)
);
INSERT INTO rater_given (project_id, rater_id, given, controls)
SELECT project_id, rater_id, count(*) FILTER (WHERE NOT is_gold), count(*) FILTER (WHERE is_gold)
  FROM assignments GROUP BY 1, 2;
INSERT INTO rater_votes (project_id, rater_id, votes)
SELECT project_id, rater_id, count(*) FROM votes GROUP BY 1, 2;

-- Pair totals split into shards the same way.
ALTER TABLE pair_totals ADD COLUMN shard smallint NOT NULL DEFAULT 0 CHECK (shard >= 0),
  DROP CONSTRAINT pair_totals_pkey,
  DROP CONSTRAINT pair_totals_lo_wins_check, DROP CONSTRAINT pair_totals_hi_wins_check,
  DROP CONSTRAINT pair_totals_ties_check, DROP CONSTRAINT pair_totals_both_bad_check,
  DROP CONSTRAINT pair_totals_left_wins_check, DROP CONSTRAINT pair_totals_right_wins_check,
  ADD PRIMARY KEY (project_id, model_lo, model_hi, shard);

-- Foreign keys that named the project's row or its models' rows from every vote and
-- assignment: each check locks the row it names (FOR KEY SHARE), so every rater's transaction
-- locked the same few rows, and every check is a query of its own on the rating loop's path.
-- What they guarded holds by construction (the rating functions copy these values from the rows
-- they have just read and locked), and deletion still reaches everything: a project's items go
-- with it (a foreign key), and an item takes its responses, comparisons, assignments and votes
-- with it (the trigger of sql/functions/prefd_items_deleted.sql).
ALTER TABLE votes
  DROP CONSTRAINT votes_project_id_fkey,
  DROP CONSTRAINT votes_project_id_model_left_fkey,
  DROP CONSTRAINT votes_project_id_model_right_fkey,
  DROP CONSTRAINT votes_comparison_id_fkey,
  DROP CONSTRAINT votes_item_id_fkey,
  DROP CONSTRAINT votes_resp_left_fkey,
  DROP CONSTRAINT votes_resp_right_fkey,
  DROP CONSTRAINT votes_rater_id_fkey,
  DROP CONSTRAINT votes_assignment_id_fkey;
ALTER TABLE assignments
  DROP CONSTRAINT assignments_project_id_fkey,
  DROP CONSTRAINT assignments_comparison_id_fkey,
  DROP CONSTRAINT assignments_rater_id_fkey;

-- Uploads write responses and comparisons by the hundred thousand (prefd_items_store derives
-- every comparison from the responses it inserts in the same statement set): checked row by row,
-- their foreign keys cost more than the rows. Deleting an item still takes its responses and
-- comparisons with it (the trigger of sql/functions/prefd_items_deleted.sql), and with them
-- their assignments and votes (foreign keys on those, which are written one at a time).
ALTER TABLE comparisons
  DROP CONSTRAINT comparisons_item_id_resp_lo_fkey,
  DROP CONSTRAINT comparisons_item_id_resp_hi_fkey,
  DROP CONSTRAINT comparisons_project_id_item_id_fkey,
  DROP CONSTRAINT comparisons_project_id_model_lo_model_hi_fkey;
ALTER TABLE responses
  DROP CONSTRAINT responses_item_id_fkey,
  DROP CONSTRAINT responses_model_id_fkey,
  DROP CONSTRAINT responses_item_id_id_key;
ALTER TABLE items DROP CONSTRAINT items_project_id_id_key;
-- Every row an upload writes costs an entry in each index of its table, and at a million
-- comparisons those entries are most of the upload's time. Responses and comparisons are read
-- by id (their primary keys) and, only to delete an item or change a project's overlap, by item
-- or project: for that, a BRIN index (a few bytes per 128 pages, hardly any work to keep: an
-- upload writes a project's rows together) narrows the scan to the pages of the project's rows.
-- The unique indexes that only repeated what the upload checks (a prompt's models are distinct,
-- its positions are 0, 1, 2 ...) go.
ALTER TABLE responses
  DROP CONSTRAINT responses_item_id_position_key,
  DROP CONSTRAINT responses_item_id_model_id_key;
CREATE INDEX responses_items ON responses USING brin (item_id);
ALTER TABLE comparisons DROP CONSTRAINT comparisons_item_id_model_lo_model_hi_key;
CREATE INDEX comparisons_items ON comparisons USING brin (project_id, item_id);

-- A vote's flags: lower-case labels, checked without a function call (prefd_valid_labels, a SQL
-- function with a subquery, is parsed and planned again for every row it checks). prefd_vote
-- removes repeated flags.
ALTER TABLE votes
  DROP CONSTRAINT votes_flags_left_check,
  DROP CONSTRAINT votes_flags_right_check,
  ADD CONSTRAINT votes_flags_left_check
    CHECK (array_to_string(flags_left, ' ') ~ '^([a-z][a-z0-9_]{0,31}( |$))*$'),
  ADD CONSTRAINT votes_flags_right_check
    CHECK (array_to_string(flags_right, ' ') ~ '^([a-z][a-z0-9_]{0,31}( |$))*$');

-- Where the queue of each project starts: no ordinary comparison below its overlap has a key
-- (taken, turn) below this one. Taken comparisons leave the queue's index only when VACUUM
-- reaches them; until then every reader of the index would step over them from its start.
-- `next` starts at this key instead. prefd_expire raises it (at most once a second per
-- project, by whoever holds the project's expiry lock), a comparison whose place is freed
-- lowers it, an upload or a new overlap sets it back to the start.
CREATE TABLE queue_heads (
  project_id bigint PRIMARY KEY REFERENCES projects ON DELETE CASCADE,
  taken      integer NOT NULL DEFAULT 0,
  turn       integer NOT NULL DEFAULT 0,
  checked_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO queue_heads (project_id) SELECT id FROM projects;

-- Indexes the vote and assignment writes kept up for reads that have other ways now: a rater's
-- progress is in rater_given and rater_votes, the raters who took part too; exports filter
-- time on the project's votes in id order. Skips per rater stay quick to count.
DROP INDEX assignments_rater;
DROP INDEX assignments_expiry; -- a project's open assignments: one per rater (assignments_one_open)
CREATE INDEX assignments_skipped ON assignments (project_id, rater_id) WHERE state = 'skipped';
DROP INDEX votes_project_time;
DROP INDEX votes_rater;
