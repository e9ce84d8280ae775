-- One page of project p_project's exclusions (GET .../exclusions), oldest first, undone ones
-- included: keyset on the exclusion's id after p_after, p_limit + 1 rows (page_key, item as
-- prefd_exclusion_json). Cost: the page's rows (exclusions' primary key).
CREATE FUNCTION prefd_exclusions_page(p_project bigint, p_limit integer, p_after bigint)
RETURNS TABLE (page_key bigint, item json) LANGUAGE sql STABLE AS $$
  SELECT e.id, prefd_exclusion_json(e)
    FROM exclusions e
   WHERE e.project_id = p_project AND e.id > p_after
   ORDER BY e.id LIMIT p_limit + 1
$$;
