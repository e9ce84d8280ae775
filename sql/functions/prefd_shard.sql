-- The shard of the counters (project_counts, pair_totals) this database connection writes:
-- concurrent transactions on different connections then never update the same counter row.
CREATE FUNCTION prefd_shard() RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT (pg_backend_pid() % 16)::smallint
$$;
