-- Rater p_rater answers review p_review of one of their votes, once (issue 17). Status:
-- created | same (the identical reply again) | conflict (a different reply exists) | not_found
-- (no such review of a vote of theirs). replied_at: when the reply was recorded.
CREATE FUNCTION prefd_review_reply(p_review bigint, p_rater bigint, p_text text,
                                   OUT status text, OUT replied_at text)
LANGUAGE plpgsql AS $$
DECLARE w reviews%ROWTYPE;
BEGIN
  SELECT x.* INTO w FROM reviews x JOIN votes v ON v.id = x.vote_id
   WHERE x.id = p_review AND v.rater_id = p_rater FOR UPDATE OF x;
  IF NOT FOUND THEN status := 'not_found'; RETURN; END IF;
  IF w.reply IS NOT NULL THEN
    status := CASE WHEN w.reply = p_text THEN 'same' ELSE 'conflict' END;
    replied_at := prefd_ts(w.replied_at);
    RETURN;
  END IF;
  UPDATE reviews SET reply = p_text, replied_at = now(), read_at = coalesce(read_at, now())
   WHERE id = p_review RETURNING * INTO w;
  status := 'created'; replied_at := prefd_ts(w.replied_at);
END
$$;
