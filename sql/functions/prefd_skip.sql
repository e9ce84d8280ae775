-- Rater p_rater skips assignment p_token: it never comes back to them and frees its place.
CREATE FUNCTION prefd_skip(p_token text, p_rater bigint, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE a assignments%ROWTYPE;
BEGIN
  SELECT * INTO a FROM assignments WHERE token = p_token FOR UPDATE;
  IF NOT FOUND OR a.rater_id <> p_rater THEN RETURN 'not_found'; END IF;
  IF a.state = 'skipped' THEN RETURN 'ok'; END IF;
  IF a.state = 'voted' THEN RETURN 'conflict'; END IF;
  IF a.state = 'expired' OR a.expires_at <= now() THEN
    IF a.state = 'open' THEN
      UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = a.id;
      PERFORM prefd_take(ARRAY[a.comparison_id], -1);
    END IF;
    RETURN 'gone';
  END IF;
  UPDATE assignments SET state = 'skipped', closed_at = now(), skip_reason = p_reason WHERE id = a.id;
  PERFORM prefd_take(ARRAY[a.comparison_id], -1);
  RETURN 'ok';
END
$$;
