/*
 * api_exposure.c - GET /api/v1/projects/{slug}/exposure: how much sensitive content each rater
 * was shown, per UTC day (issue 14). A comparison counts as sensitive when its item was marked
 * "sensitive" at upload or one of its answers was flagged unsafe by any rater (also after it was
 * shown: the rater saw it). Cost: one scan of the project's assignments.
 */
#include "api.h"

#include "db.h"

void api_exposure_get(struct req *r)
{
        const char *params[] = { req_param(r, 0) };
        req_db_may_lag(r);
        req_db(r,
               "SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
               "'rater', x.rater, 'day', x.day, 'sensitive', x.sensitive, 'comparisons', "
               "x.comparisons) ORDER BY x.rater, x.day) FROM (SELECT u.name AS rater, "
               "to_char(a.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) FILTER "
               "(WHERE i.sensitive OR lo.unsafe OR hi.unsafe) AS sensitive, count(*) AS "
               "comparisons FROM assignments a JOIN comparisons c ON c.id = a.comparison_id "
               "JOIN items i ON i.id = c.item_id JOIN responses lo ON lo.id = c.resp_lo JOIN "
               "responses hi ON hi.id = c.resp_hi JOIN users u ON u.id = a.rater_id WHERE "
               "a.project_id = p.id GROUP BY 1, 2) x), '[]')) FROM projects p WHERE p.slug = $1",
               1, params, req_reply_project_json);
}
