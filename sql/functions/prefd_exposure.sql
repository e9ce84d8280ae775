-- Sensitive content each rater of project p was shown, per UTC day (issue 14), for
-- GET /projects/{slug}/exposure: {"items": [{rater, day, sensitive, comparisons}]} by rater and
-- day (a report, not paged). A comparison counts as sensitive when its item was marked so at
-- upload or one of its answers was flagged unsafe. Cost: one scan of the project's assignments.
CREATE FUNCTION prefd_exposure(p projects) RETURNS json LANGUAGE sql STABLE AS $$
  SELECT json_build_object('items', coalesce(json_agg(json_build_object(
           'rater', x.rater, 'day', x.day, 'sensitive', x.sensitive,
           'comparisons', x.comparisons) ORDER BY x.rater, x.day), '[]'))
    FROM (SELECT u.name AS rater,
                 to_char(a.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                 count(*) FILTER (WHERE i.sensitive OR lo.unsafe OR hi.unsafe) AS sensitive,
                 count(*) AS comparisons
            FROM assignments a
            JOIN comparisons c ON c.id = a.comparison_id
            JOIN items i ON i.id = c.item_id
            JOIN responses lo ON lo.id = c.resp_lo
            JOIN responses hi ON hi.id = c.resp_hi
            JOIN users u ON u.id = a.rater_id
           WHERE a.project_id = p.id
           GROUP BY 1, 2) x
$$;
