-- An exclusion as the API shows it (server/API.md, "exclusion"): user names instead of ids.
CREATE FUNCTION prefd_exclusion_json(e exclusions) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'id', e.id,
    'rater', (SELECT u.name FROM users u WHERE u.id = e.rater_id),
    'vote_id', e.vote_id,
    'reason', e.reason,
    'by', (SELECT u.name FROM users u WHERE u.id = e.created_by),
    'created_at', prefd_ts(e.created_at),
    'undone_at', prefd_ts(e.undone_at),
    'undone_by', (SELECT u.name FROM users u WHERE u.id = e.undone_by))
$$;
