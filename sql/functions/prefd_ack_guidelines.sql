-- Rater p_rater acknowledges version p_version of project p_slug's guidelines (issue 17),
-- recorded in guideline_acks with the version they knew before; `next` gives work again.
-- Status: created | same (nothing to acknowledge: the rater knows this version already) |
-- stale (p_version is not the current version; current says which is) | not_found (no such
-- project, or one the caller may not see).
CREATE FUNCTION prefd_ack_guidelines(p_slug text, p_rater bigint, p_staff boolean,
                                     p_version integer, OUT status text, OUT current integer,
                                     OUT acked_at text)
LANGUAGE plpgsql AS $$
DECLARE pr projects%ROWTYPE; v_known integer;
BEGIN
  SELECT * INTO pr FROM projects WHERE slug = p_slug;
  IF NOT FOUND OR NOT prefd_may_see(pr, p_rater, p_staff) THEN status := 'not_found'; RETURN; END IF;
  current := pr.guidelines_version;
  IF p_version <> pr.guidelines_version THEN status := 'stale'; RETURN; END IF;
  SELECT version INTO v_known FROM guideline_known
   WHERE project_id = pr.id AND rater_id = p_rater FOR UPDATE;
  IF FOUND AND v_known >= p_version THEN
    status := 'same';
    SELECT prefd_ts(a.acked_at) INTO acked_at FROM guideline_acks a
     WHERE a.project_id = pr.id AND a.rater_id = p_rater AND a.version = p_version;
    RETURN;
  END IF;
  INSERT INTO guideline_acks (project_id, rater_id, version, from_version)
  VALUES (pr.id, p_rater, p_version, coalesce(v_known, p_version))
  ON CONFLICT DO NOTHING;
  INSERT INTO guideline_known (project_id, rater_id, version) VALUES (pr.id, p_rater, p_version)
  ON CONFLICT (project_id, rater_id) DO UPDATE SET version = EXCLUDED.version;
  status := 'created';
  SELECT prefd_ts(a.acked_at) INTO acked_at FROM guideline_acks a
   WHERE a.project_id = pr.id AND a.rater_id = p_rater AND a.version = p_version;
END
$$;
