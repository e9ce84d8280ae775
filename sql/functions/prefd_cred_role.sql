-- The role of user p_user when p_hash (hex SHA-256) is still one of their credentials (a
-- session cookie when p_cookie, else an API token) and the user is enabled; NULL otherwise.
-- The rating functions call it first when prefd authenticated the request from its cache
-- (include/authcache.h), so that revocation, disabling and role changes apply at once.
CREATE FUNCTION prefd_cred_role(p_cookie boolean, p_hash text, p_user bigint) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE v_role text;
BEGIN
  SELECT u.role INTO v_role FROM users u WHERE u.id = p_user AND NOT u.disabled;
  IF p_cookie THEN
    PERFORM 1 FROM sessions s
     WHERE s.hash = decode(p_hash, 'hex') AND s.user_id = p_user AND s.expires_at > now();
  ELSE
    PERFORM 1 FROM api_tokens t WHERE t.hash = decode(p_hash, 'hex') AND t.user_id = p_user;
  END IF;
  RETURN CASE WHEN FOUND THEN v_role END;
END
$$;
