-- Renews the lease of assignment p_token of rater p_rater: an open one gets the project's
-- lease_seconds from now; one whose lease ran out is taken again when nobody else took its
-- place (prefd_retake). Returns one row: status ok (expires_at, lease_seconds) | not_found
-- (no such assignment of this rater) | conflict (voted or skipped; message) | gone (the place
-- was taken by someone else).
CREATE FUNCTION prefd_renew(p_token text, p_rater bigint)
RETURNS TABLE (status text, expires_at text, lease_seconds integer, message text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE a assignments%ROWTYPE; v_lease integer;
BEGIN
  SELECT * INTO a FROM assignments x WHERE x.token = p_token AND x.rater_id = p_rater FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::integer, NULL::text;
    RETURN;
  END IF;
  SELECT p.lease_seconds INTO v_lease FROM projects p WHERE p.id = a.project_id;
  IF a.state IN ('voted', 'skipped') THEN
    RETURN QUERY SELECT 'conflict'::text, NULL::text, NULL::integer,
                        format('this assignment was %s; ask for the next comparison', a.state);
    RETURN;
  END IF;
  IF a.state = 'expired' AND NOT prefd_retake(a.id) THEN
    RETURN QUERY SELECT 'gone'::text, NULL::text, NULL::integer,
                        'the lease ran out and someone else took this comparison; ask for the next one'::text;
    RETURN;
  END IF;
  UPDATE assignments x SET expires_at = greatest(now(), x.issued_at) + make_interval(secs => v_lease)
   WHERE x.id = a.id;
  RETURN QUERY SELECT 'ok'::text, prefd_ts(x.expires_at), v_lease, NULL::text
                 FROM assignments x WHERE x.id = a.id;
END
$$;
