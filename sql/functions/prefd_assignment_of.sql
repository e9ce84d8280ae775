-- The rater's view of assignment a; p_remaining is what is left for the rater after it.
CREATE FUNCTION prefd_assignment_of(a assignments, p projects, p_remaining bigint)
RETURNS prefd_assignment LANGUAGE plpgsql STABLE AS $$
DECLARE
  out prefd_assignment;
  c comparisons%ROWTYPE;
  t_lo text; t_hi text;
BEGIN
  SELECT * INTO c FROM comparisons WHERE id = a.comparison_id;
  SELECT text INTO t_lo FROM responses WHERE id = c.resp_lo;
  SELECT text INTO t_hi FROM responses WHERE id = c.resp_hi;
  out.status := 'ok';
  out.token := a.token;
  out.expires_at := prefd_ts(a.expires_at);
  SELECT prompt INTO out.prompt FROM items WHERE id = c.item_id;
  out.left_text := CASE WHEN a.left_is_lo THEN t_lo ELSE t_hi END;
  out.right_text := CASE WHEN a.left_is_lo THEN t_hi ELSE t_lo END;
  out.guidelines_version := a.guidelines_version;
  SELECT count(*) INTO out.done FROM assignments
   WHERE project_id = p.id AND rater_id = a.rater_id AND state = 'voted';
  out.remaining := p_remaining;
  out.outcomes := p.outcomes;
  out.flags := p.flags;
  out.rationale := p.rationale;
  out.project_status := p.status;
  RETURN out;
END
$$;
