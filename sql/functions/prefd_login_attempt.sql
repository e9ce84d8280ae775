-- Counts a login attempt for user name p_name from p_client before its password is checked, and
-- answers how many seconds to wait first (0: go ahead). At most p_max attempts are let through
-- per name and client network (prefd_login_key) in a minute that starts with the first of them;
-- prefd_login_succeeded clears the count. Counting before the check, under the row's lock, means
-- concurrent guesses cannot all pass before the first failure is recorded, whichever prefd
-- process they reach. Attempts refused are not counted, so waiting always ends.
CREATE FUNCTION prefd_login_attempt(p_name text, p_client inet, p_max integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  k cidr := prefd_login_key(p_client);
  a login_attempts%ROWTYPE;
BEGIN
  INSERT INTO login_attempts (user_name, client, window_start, attempts)
  VALUES (p_name, k, now(), 0)
  ON CONFLICT (user_name, client) DO NOTHING;
  SELECT * INTO a FROM login_attempts WHERE user_name = p_name AND client = k FOR UPDATE;
  IF a.window_start <= now() - interval '1 minute' THEN
    a.window_start := now();
    a.attempts := 0;
  END IF;
  IF a.attempts >= p_max THEN
    RETURN greatest(1, ceil(extract(epoch FROM a.window_start + interval '1 minute' - now())))::integer;
  END IF;
  UPDATE login_attempts SET window_start = a.window_start, attempts = a.attempts + 1
   WHERE user_name = p_name AND client = k;
  -- Sweep a few rows nobody has tried for ten minutes: the table stays as small as the traffic.
  DELETE FROM login_attempts
   WHERE ctid = ANY (ARRAY(SELECT ctid FROM login_attempts
                            WHERE window_start < now() - interval '10 minutes'
                            LIMIT 10 FOR UPDATE SKIP LOCKED));
  RETURN 0;
END
$$;
