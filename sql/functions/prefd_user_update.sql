-- Changes a user (NULL leaves a field alone). Refuses to leave the service without an enabled
-- admin; a new password or disabling ends the user's browser sessions.
CREATE FUNCTION prefd_user_update(p_name text, p_role text, p_hash text, p_disabled boolean)
RETURNS TABLE (status text, id bigint, name text, role text, disabled boolean, created_at text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE u users%ROWTYPE; admins bigint;
BEGIN
  -- Lock the enabled admins so that two admins cannot demote each other at once.
  PERFORM 1 FROM users x WHERE x.role = 'admin' AND NOT x.disabled FOR UPDATE;
  SELECT * INTO u FROM users x WHERE x.name = p_name FOR UPDATE;
  IF NOT FOUND THEN status := 'not_found'; RETURN NEXT; RETURN; END IF;
  IF u.role = 'admin' AND NOT u.disabled
     AND (coalesce(p_role, 'admin') <> 'admin' OR coalesce(p_disabled, false)) THEN
    SELECT count(*) INTO admins FROM users x WHERE x.role = 'admin' AND NOT x.disabled;
    IF admins <= 1 THEN status := 'last_admin'; RETURN NEXT; RETURN; END IF;
  END IF;
  UPDATE users x SET role = coalesce(p_role, x.role),
                     password_hash = coalesce(p_hash, x.password_hash),
                     disabled = coalesce(p_disabled, x.disabled)
   WHERE x.id = u.id RETURNING * INTO u;
  IF p_hash IS NOT NULL OR coalesce(p_disabled, false) THEN
    DELETE FROM sessions s WHERE s.user_id = u.id;
  END IF;
  status := 'ok'; id := u.id; name := u.name; role := u.role; disabled := u.disabled;
  created_at := prefd_ts(u.created_at);
  RETURN NEXT;
END
$$;
