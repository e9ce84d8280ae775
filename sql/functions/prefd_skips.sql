-- Skips a batch of assignments: p_skips is a JSON array of {i, token, rater, reason, cookie,
-- cred} (as for prefd_votes); one row per skip with prefd_skip's answer, in token order (the
-- order of the assignments' locks).
CREATE FUNCTION prefd_skips(p_skips jsonb, p_roles text[])
RETURNS TABLE (i integer, status text, message text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE r record; s prefd_skip_result;
BEGIN
  FOR r IN SELECT * FROM jsonb_to_recordset(p_skips)
                    AS x (i integer, token text, rater bigint, reason text, cookie boolean,
                          cred text)
            ORDER BY x.token LOOP
    s := prefd_skip(r.token, r.rater, r.reason, r.cookie, r.cred, p_roles);
    i := r.i; status := s.status; message := s.message;
    RETURN NEXT;
  END LOOP;
END
$$;
