-- Rater p_rater skips assignment p_token: it never comes back to them and frees its place.
-- p_cookie, p_cred and p_roles: the credential check of prefd_next.
CREATE FUNCTION prefd_skip(p_token text, p_rater bigint, p_reason text, p_cookie boolean,
                           p_cred text, p_roles text[])
RETURNS prefd_skip_result LANGUAGE plpgsql AS $$
DECLARE a assignments%ROWTYPE; out prefd_skip_result;
BEGIN
  IF p_cred IS NOT NULL THEN
    out.message := prefd_cred_role(p_cookie, p_cred, p_rater);
    IF out.message IS NULL THEN out.status := 'unauthorized'; RETURN out; END IF;
    IF NOT (out.message = ANY (p_roles)) THEN out.status := 'role'; RETURN out; END IF;
    out.message := NULL;
  END IF;
  SELECT * INTO a FROM assignments WHERE token = p_token FOR UPDATE;
  IF NOT FOUND OR a.rater_id <> p_rater THEN out.status := 'not_found'; RETURN out; END IF;
  IF a.state = 'skipped' THEN out.status := 'ok'; RETURN out; END IF;
  IF a.state = 'voted' THEN out.status := 'conflict'; RETURN out; END IF;
  IF a.state = 'expired' OR a.expires_at <= now() THEN
    IF a.state = 'open' THEN
      UPDATE assignments SET state = 'expired', closed_at = now() WHERE id = a.id;
      PERFORM prefd_release(a.comparison_id);
    END IF;
    out.status := 'gone'; RETURN out;
  END IF;
  UPDATE assignments SET state = 'skipped', closed_at = now(), skip_reason = p_reason WHERE id = a.id;
  PERFORM prefd_release(a.comparison_id);
  out.status := 'ok';
  RETURN out;
END
$$;
