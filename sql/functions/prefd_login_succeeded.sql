-- A correct password for p_name from p_client: its attempts are forgotten.
CREATE FUNCTION prefd_login_succeeded(p_name text, p_client inet) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM login_attempts WHERE user_name = p_name AND client = prefd_login_key(p_client)
$$;
