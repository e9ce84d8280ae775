-- An admin decides rater p_name's qualification in project p_slug by hand (issue 17):
-- p_action 'qualify' (qualified now) or 'reset' (a new attempt from nothing answered, at once),
-- recorded in qualification_events with the admin and the reason. Status ok (with the
-- qualification as prefd_qualification_json shows it) | no_project | no_rater | off (the
-- project asks for no qualification).
CREATE FUNCTION prefd_qualify(p_slug text, p_name text, p_action text, p_admin bigint,
                              p_reason text, OUT status text, OUT qualification jsonb)
LANGUAGE plpgsql AS $$
DECLARE pr projects%ROWTYPE; v_rater bigint; q qualifications%ROWTYPE;
BEGIN
  SELECT * INTO pr FROM projects WHERE slug = p_slug;
  IF NOT FOUND THEN status := 'no_project'; RETURN; END IF;
  SELECT id INTO v_rater FROM users WHERE name = p_name;
  IF NOT FOUND THEN status := 'no_rater'; RETURN; END IF;
  IF pr.qual_gold <= 0 THEN status := 'off'; RETURN; END IF;
  INSERT INTO qualifications (project_id, rater_id) VALUES (pr.id, v_rater)
  ON CONFLICT DO NOTHING;
  SELECT * INTO q FROM qualifications WHERE project_id = pr.id AND rater_id = v_rater FOR UPDATE;
  INSERT INTO qualification_events (project_id, rater_id, event, answered, correct, by_admin, reason)
  VALUES (pr.id, v_rater, CASE p_action WHEN 'qualify' THEN 'qualified' ELSE 'reset' END,
          q.answered, q.correct, p_admin, coalesce(p_reason, ''));
  IF p_action = 'qualify' THEN
    UPDATE qualifications SET state = 'qualified', retry_at = NULL, by_admin = p_admin,
           updated_at = now()
     WHERE project_id = pr.id AND rater_id = v_rater;
  ELSE
    UPDATE qualifications SET state = 'pending', attempt = attempt + 1, answered = 0, correct = 0,
           retry_at = NULL, by_admin = p_admin, updated_at = now()
     WHERE project_id = pr.id AND rater_id = v_rater;
  END IF;
  status := 'ok';
  qualification := prefd_qualification_json(pr, v_rater)
    || jsonb_build_object('history', (SELECT jsonb_agg(jsonb_build_object(
         'event', e.event, 'answered', e.answered, 'correct', e.correct, 'by', u.name,
         'reason', e.reason, 'at', prefd_ts(e.created_at)) ORDER BY e.id)
       FROM qualification_events e LEFT JOIN users u ON u.id = e.by_admin
      WHERE e.project_id = pr.id AND e.rater_id = v_rater));
END
$$;
