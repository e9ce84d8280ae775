/*
 * api_scores.c - GET /api/v1/projects/{slug}/scores: the scores per answer of a project with
 * criteria (issue 14), per model and criterion, under the leaderboard's filters (category,
 * language, since, until). The numbers come from SQL prefd_scores.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "qv.h"

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

/* $1 slug, $2 category, $3 language, $4 since, $5 until (NULL: no such filter). */
static const char scores_sql[] =
    "SELECT prefd_scores($1, $2, $3, $4::timestamptz, $5::timestamptz)";

void api_scores_get(struct req *r)
{
        static const char *const known[] = { "category", "language", "since", "until", NULL };
        char category[128], language[64], since[64], until[64];
        int64_t since_us = 0, until_us = 0;
        struct qv q;
        qv_init(&q, r, known);
        bool c = qv_text(&q, "category", category, sizeof(category));
        bool l = qv_text(&q, "language", language, sizeof(language));
        bool s = qv_timestamp(&q, "since", since, sizeof(since), false, &since_us);
        bool u = qv_timestamp(&q, "until", until, sizeof(until), false, &until_us);
        if (s && u)
                qv_order(&q, "since", since_us, "until", until_us);
        if (qv_reply(&q))
                return;
        const char *params[] = { req_param(r, 0), c ? category : NULL, l ? language : NULL,
                                 s ? since : NULL, u ? until : NULL };
        req_db_may_lag(r);
        req_db(r, scores_sql, 5, params, scored);
}
