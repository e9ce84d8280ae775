-- Completes import p_import: its id range, its vote count, and its pair totals (a JSON array of
-- {lo, hi, lo_wins, hi_wins, ties, both_bad, left_wins, right_wins}) added to pair_totals
-- (this connection's shard).
CREATE FUNCTION prefd_import_finish(p_import bigint, p_first bigint, p_last bigint, p_votes bigint,
                                    p_pairs jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_project bigint;
BEGIN
  UPDATE imports SET first_id = p_first, last_id = p_last, votes = p_votes
   WHERE id = p_import RETURNING project_id INTO v_project;
  INSERT INTO pair_totals AS t (project_id, model_lo, model_hi, shard, lo_wins, hi_wins, ties,
                                both_bad, left_wins, right_wins)
  SELECT v_project, x.lo, x.hi, prefd_shard(), x.lo_wins, x.hi_wins, x.ties, x.both_bad, x.left_wins, x.right_wins
    FROM jsonb_to_recordset(p_pairs) AS x(lo bigint, hi bigint, lo_wins bigint, hi_wins bigint,
                                          ties bigint, both_bad bigint, left_wins bigint,
                                          right_wins bigint)
  ON CONFLICT (project_id, model_lo, model_hi, shard) DO UPDATE
    SET lo_wins = t.lo_wins + EXCLUDED.lo_wins, hi_wins = t.hi_wins + EXCLUDED.hi_wins,
        ties = t.ties + EXCLUDED.ties, both_bad = t.both_bad + EXCLUDED.both_bad,
        left_wins = t.left_wins + EXCLUDED.left_wins, right_wins = t.right_wins + EXCLUDED.right_wins;
END
$$;
