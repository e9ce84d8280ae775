/*
 * api_exposure.c - GET /api/v1/projects/{slug}/exposure: how much sensitive content each rater
 * was shown, per UTC day (issue 14). A comparison counts as sensitive when its item was marked
 * "sensitive" at upload or one of its answers was flagged unsafe by any rater (also after it was
 * shown: the rater saw it). Cost: one scan of the project's assignments.
 */
#include "api.h"

#include "db.h"

static void read_exposure(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

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
               1, params, read_exposure);
}
