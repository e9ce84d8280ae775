-- One page of the raters who took part in project p_project (voted, skipped or hold an
-- assignment) for GET .../raters, by name: keyset on (name, id) after user p_after (0: from the
-- first), p_limit + 1 rows. Each: the user's id and name, skips, reviews that agreed and
-- disagreed, whether an exclusion of the rater stands, and the qualification (issue 17) as
-- JSON text ('null' when none). Cost: the project's raters (rater_given, rater_votes) and the
-- page's raters' assignments and reviewed votes.
CREATE FUNCTION prefd_quality_raters(p_project bigint, p_limit integer, p_after bigint)
RETURNS TABLE (id bigint, name text, skips bigint, agreed bigint, disagreed bigint,
               excluded boolean, qualification text)
LANGUAGE sql STABLE AS $$
  SELECT u.id, u.name, s.skipped, s.agreed, s.disagreed,
         EXISTS (SELECT 1 FROM exclusions e
                  WHERE e.project_id = p_project AND e.rater_id = u.id AND e.undone_at IS NULL),
         coalesce((SELECT prefd_qualification_json(p, u.id) FROM projects p
                    WHERE p.id = p_project)::text, 'null')
    FROM users u
    CROSS JOIN LATERAL prefd_rater_review_counts(p_project, u.id) s
   WHERE u.id IN (SELECT rater_id FROM rater_given WHERE project_id = p_project
                  UNION SELECT rater_id FROM rater_votes WHERE project_id = p_project)
     AND (p_after <= 0 OR (u.name, u.id) > (SELECT x.name, x.id FROM users x WHERE x.id = p_after))
   ORDER BY u.name, u.id LIMIT p_limit + 1
$$;
