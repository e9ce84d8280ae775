/*
 * api_scores.c - GET /api/v1/projects/{slug}/scores: the scores per answer of a project with
 * criteria (issue 14), per model and criterion, under the leaderboard's filters (category,
 * language, since, until). The numbers come from SQL prefd_scores.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "httpparse.h"
#include "jsonv.h"

#include <stdio.h>
#include <string.h>

static const char *const scores_params[] = { "category", "language", "since", "until", NULL };

struct unknown_param {
        char name[64];
};

static bool known(const char *name, size_t len, void *arg)
{
        struct unknown_param *u = arg;
        for (const char *const *k = scores_params; *k; k++)
                if (strlen(*k) == len && memcmp(*k, name, len) == 0)
                        return true;
        snprintf(u->name, sizeof(u->name), "%.*s", (int)(len < 60 ? len : 60), name);
        return false;
}

static void scored(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_isnull(res, 0, 0)) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

void api_scores_get(struct req *r)
{
        struct unknown_param u = { "" };
        httpparse_query_names(r->query, known, &u);
        if (u.name[0]) {
                req_reply_error(r, 400, "bad_request", NULL,
                                "unknown query parameter \"%s\" (known: category, language, "
                                "since, until)",
                                u.name);
                return;
        }
        char vals[4][128];
        const char *params[5] = { req_param(r, 0) };
        for (int i = 0; i < 4; i++) {
                int q = req_query(r, scores_params[i], vals[i], sizeof(vals[i]));
                if (q < 0) {
                        req_reply_error(r, 400, "bad_request", NULL, "%s is malformed or too long",
                                        scores_params[i]);
                        return;
                }
                if (i >= 2 && q > 0 && !jv_is_timestamp(vals[i], true)) {
                        req_reply_error(r, 400, "bad_request", NULL,
                                        "%s must be an RFC 3339 timestamp (2024-05-01T12:00:00Z) "
                                        "or a date (2024-05-01)",
                                        scores_params[i]);
                        return;
                }
                params[i + 1] = q > 0 ? vals[i] : NULL;
        }
        req_db_may_lag(r);
        req_db(r,
               "SELECT prefd_scores($1, $2, $3, $4::timestamptz, $5::timestamptz) FROM "
               "(SELECT 1) one",
               5, params, scored);
}
