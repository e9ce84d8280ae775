/*
 * api_exposure.c - GET /api/v1/projects/{slug}/exposure: how much sensitive content each rater
 * was shown, per UTC day (issue 14). A comparison counts as sensitive when its item was marked
 * "sensitive" at upload or one of its answers was flagged unsafe by any rater (also after it was
 * shown: the rater saw it); the report is sql/functions/prefd_exposure.sql.
 */
#include "api.h"

#include "db.h"

static const char exposure_sql[] = "SELECT prefd_exposure(p) "
                                   "FROM projects p "
                                   "WHERE p.slug = $1";

void api_exposure_get(struct req *r)
{
        const char *params[] = { req_param(r, 0) };
        req_db_may_lag(r);
        req_db(r, exposure_sql, 1, params, req_reply_project_json);
}
