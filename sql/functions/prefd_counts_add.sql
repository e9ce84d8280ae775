-- Adds to project p_project's counts of open places and of votes on ordinary comparisons, in
-- this connection's shard. (PL/pgSQL, not SQL: a SQL function called from PL/pgSQL is parsed
-- and planned on every call; PL/pgSQL keeps its plans.)
CREATE FUNCTION prefd_counts_add(p_project bigint, p_open bigint, p_votes bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_counts AS c (project_id, shard, open, votes)
  VALUES (p_project, prefd_shard(), p_open, p_votes)
  ON CONFLICT (project_id, shard) DO UPDATE
    SET open = c.open + EXCLUDED.open, votes = c.votes + EXCLUDED.votes;
END
$$;
