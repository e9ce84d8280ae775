-- New style features are stored for these projects' answers (p_projects: a JSON array of ids):
-- their vote indexes reload (tally.c follows counts_epoch).
CREATE FUNCTION prefd_style_loaded(p_projects jsonb) RETURNS void LANGUAGE sql AS $$
  UPDATE projects SET counts_epoch = counts_epoch + 1
   WHERE id IN (SELECT (jsonb_array_elements_text(p_projects))::bigint)
$$;
