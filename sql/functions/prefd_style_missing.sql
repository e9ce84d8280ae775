-- Up to p_limit answers whose style features are not known yet (stylefill.h), by id.
CREATE FUNCTION prefd_style_missing(p_limit integer)
RETURNS TABLE (id bigint, text text) LANGUAGE sql STABLE AS $$
  SELECT r.id, r.text FROM responses r WHERE r.style IS NULL ORDER BY r.id LIMIT p_limit
$$;
