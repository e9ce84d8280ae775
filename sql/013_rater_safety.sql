-- 013_rater_safety.sql - undone votes and deleted items and projects (issue 12).
--
-- A vote its rater undid keeps its row, marked undone_at/undone_by and detached from its
-- assignment (which was reopened for a new vote): it counts nowhere (rankings, progress,
-- agreement, rater statistics, reviews) and exports leave it out.
ALTER TABLE votes ADD COLUMN undone_at timestamptz,
  ADD COLUMN undone_by bigint REFERENCES users,
  ADD COLUMN undone_assignment bigint, -- the assignment it was cast on
  ADD CONSTRAINT votes_undone_by CHECK ((undone_at IS NULL) = (undone_by IS NULL));
CREATE INDEX votes_undone ON votes (project_id) WHERE undone_at IS NOT NULL;
-- a rated vote has its assignment, unless it was undone
ALTER TABLE votes DROP CONSTRAINT votes_check1,
  ADD CONSTRAINT votes_assignment CHECK (source = 'imported' OR assignment_id IS NOT NULL
                                         OR undone_at IS NOT NULL);
-- a project's categories and languages, read by skipping from value to value (prefd_facets)
CREATE INDEX items_category ON items (project_id, category);
CREATE INDEX items_language ON items (project_id, language);
-- A deleted project keeps all its rows (its raters' votes above all); it is closed, its slug
-- gets a suffix (so the name is free again and no path finds it) and it is listed nowhere.
ALTER TABLE projects ADD COLUMN deleted_at timestamptz,
  ADD COLUMN deleted_by bigint REFERENCES users,
  ADD COLUMN deleted_slug text; -- the slug it had
-- A deleted item keeps its rows too: it is marked, its comparisons withdrawn from the queue,
-- its votes kept and excluded from rankings (an exclusion each, reason "item ... deleted").
ALTER TABLE items ADD COLUMN deleted_at timestamptz,
  ADD COLUMN deleted_by bigint REFERENCES users;
ALTER TABLE comparisons ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;
