/*
 * api_me.c - what a rater sees of themselves in a project (issue 17): their own quality
 * statistics beside the project's median rater (GET /api/v1/me/projects/{slug}/stats, with the
 * definitions of GET .../raters: qualityjob.h), and the guideline-change notice
 * (GET /api/v1/me/projects/{slug}/guidelines: the change since the version they knew, as a line
 * diff of the Markdown computed on a worker; POST .../guidelines/ack records that they read it).
 *
 * A rater sees only their own numbers, and a project they may not see answers 404 as a missing
 * one does.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "jsonv.h"
#include "linediff.h"
#include "markdown.h"
#include "qualityjob.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool staff(const struct req *r)
{
        return r->user.role == ROLE_ADMIN || r->user.role == ROLE_ANALYST;
}

static void no_project(struct req *r)
{
        req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
}

/* --- GET /api/v1/me/projects/{slug}/stats --- */

enum stats_col { T_ID, T_MIN_SECONDS, T_MIN_GOLD, T_SEEN, T_QUAL, T_AGREE, T_DISAGREE, T_SKIPS };

static const char stats_sql[] = "SELECT p.id, p.qc_min_seconds, p.qc_min_gold_accuracy, "
                                "prefd_may_see(p, $2::bigint, $3::boolean), "
                                "coalesce(prefd_qualification_json(p, $2::bigint)::text, 'null'), "
                                "s.agreed, s.disagreed, s.skipped "
                                "FROM projects p "
                                "CROSS JOIN LATERAL prefd_rater_review_counts(p.id, $2::bigint) s "
                                "WHERE p.slug = $1";

/* What the database said, kept until the statistics are computed. */
struct me_stats {
        json_t *extra; /* the fields the votes do not give */
};

static void me_stats_free(void *p)
{
        struct me_stats *m = p;
        json_decref(m->extra);
        free(m);
}

static void stats_ready(struct req *r, void *arg, int status, json_t *stats, json_t *unused)
{
        struct me_stats *m = arg;
        (void)unused;
        if (status != 0) {
                req_reply_error(r, 503, "unavailable", NULL,
                                "the statistics could not be computed now, try again shortly");
                return;
        }
        json_t *mine = json_object_get(stats, "mine");
        json_object_update(mine, m->extra);
        json_object_set(mine, "project_median", json_object_get(stats, "project_median"));
        json_object_set(mine, "raters", json_object_get(stats, "raters"));
        json_object_set(mine, "thresholds", json_object_get(stats, "thresholds"));
        json_incref(mine);
        json_decref(stats);
        req_reply_json(r, 200, mine);
}

static void stats_project(struct req *r, const struct db_res *res)
{
        struct me_stats *m = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1 || !db_res_bool(res, 0, T_SEEN)) {
                no_project(r);
                return;
        }
        m->extra = json_pack("{s:s, s:s, s:o, s:{s:I, s:I}, s:I}", "project", req_param(r, 0),
                             "rater", r->user.name, "qualification",
                             json_loads(db_res_value(res, 0, T_QUAL), JSON_DECODE_ANY, NULL),
                             "reviews", "agree", (json_int_t)db_res_int(res, 0, T_AGREE),
                             "disagree", (json_int_t)db_res_int(res, 0, T_DISAGREE), "skips",
                             (json_int_t)db_res_int(res, 0, T_SKIPS));
        qjob_rater_stats(r, db_res_int(res, 0, T_ID), r->user.id,
                         db_res_double(res, 0, T_MIN_SECONDS), db_res_double(res, 0, T_MIN_GOLD),
                         stats_ready, m);
}

void api_me_stats(struct req *r)
{
        struct me_stats *m = calloc(1, sizeof(*m));
        if (!m) {
                req_reply_oom(r);
                return;
        }
        req_set_state(r, m, me_stats_free);
        req_db_may_lag(r); /* statistics, as GET .../raters */
        const char *params[] = { req_param(r, 0), r->user.id_text, staff(r) ? "true" : "false" };
        req_db(r, stats_sql, 3, params, stats_project);
}

/* --- GET /api/v1/me/projects/{slug}/guidelines --- */

enum guide_col { U_SEEN, U_VERSION, U_KNOWN, U_TEXT, U_OLD };

static const char guidelines_sql[] =
    "SELECT prefd_may_see(p, $2::bigint, $3::boolean), p.guidelines_version, "
    "coalesce(k.version, p.guidelines_version), p.guidelines, "
    "coalesce((SELECT g.text FROM guidelines g "
    "WHERE g.project_id = p.id AND g.version = coalesce(k.version, p.guidelines_version)), '') "
    "FROM projects p "
    "LEFT JOIN guideline_known k ON k.project_id = p.id AND k.rater_id = $2::bigint "
    "WHERE p.slug = $1";

struct notice {
        struct req *req;
        struct db_res *res; /* the row, kept for the worker */
        json_t *diff, *html;
};

static void notice_free(void *p)
{
        struct notice *n = p;
        db_res_free(n->res);
        json_decref(n->diff);
        json_decref(n->html);
        free(n);
}

/* On a worker: the diff and the rendered guidelines. */
static void notice_compute(void *arg)
{
        struct notice *n = arg;
        n->diff = linediff(db_res_value(n->res, 0, U_OLD), db_res_value(n->res, 0, U_TEXT));
        n->html =
            markdown_rendered(db_res_value(n->res, 0, U_TEXT), db_res_length(n->res, 0, U_TEXT));
}

static void notice_done(void *arg)
{
        struct notice *n = arg;
        struct req *r = n->req;
        if (!n->diff || !n->html) {
                req_reply_oom(r);
                return;
        }
        long long version = (long long)db_res_int(n->res, 0, U_VERSION);
        long long known = (long long)db_res_int(n->res, 0, U_KNOWN);
        req_reply_json(r, 200,
                       json_pack("{s:s, s:I, s:I, s:b, s:O, s:O}", "project", req_param(r, 0),
                                 "version", (json_int_t)version, "known", (json_int_t)known,
                                 "changed", known < version, "guidelines", n->html, "diff",
                                 n->diff));
}

static void guidelines_read(struct req *r, const struct db_res *res)
{
        struct notice *n = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1 || !db_res_bool(res, 0, U_SEEN)) {
                no_project(r);
                return;
        }
        if (!(n->res = db_res_keep(res)) ||
            work_submit(r->app->work, notice_compute, notice_done, n) != 0)
                req_reply_error(r, 503, "unavailable", NULL, "out of memory or shutting down");
}

void api_me_guidelines(struct req *r)
{
        struct notice *n = calloc(1, sizeof(*n));
        if (!n) {
                req_reply_oom(r);
                return;
        }
        n->req = r;
        req_set_state(r, n, notice_free);
        const char *params[] = { req_param(r, 0), r->user.id_text, staff(r) ? "true" : "false" };
        req_db(r, guidelines_sql, 3, params, guidelines_read);
}

/* --- POST /api/v1/me/projects/{slug}/guidelines/ack --- */

static const char ack_sql[] = "SELECT * "
                              "FROM prefd_ack_guidelines($1, $2::bigint, $3::boolean, $4::int)";

/* "stale" carries the current version in its details: answered by acked itself. */
static const struct req_status ack_status[] = {
        { "created", 0, NULL, NULL },
        { "same", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no project \"{}\"" },
        { NULL, 0, NULL, NULL },
};

static void acked(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (strcmp(status, "stale") == 0) {
                req_reply_error(r, 409, "conflict",
                                json_pack("{s:I}", "version", (json_int_t)db_res_int(res, 0, 1)),
                                "the guidelines are at version %s now: read that one",
                                db_res_value(res, 0, 1));
                return;
        }
        if (req_reply_status(r, ack_status, status, req_param(r, 0)))
                return;
        req_reply_json(r, strcmp(status, "created") == 0 ? 201 : 200,
                       json_pack("{s:s, s:I, s:o}", "project", req_param(r, 0), "version",
                                 (json_int_t)db_res_int(res, 0, 1), "acknowledged_at",
                                 db_res_isnull(res, 0, 2) ? json_null()
                                                          : json_string(db_res_value(res, 0, 2))));
}

void api_me_guidelines_ack(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        long long version = 0;
        jv_keys(&v, (const char *const[]){ "version", NULL });
        jv_int(&v, "version", JV_REQUIRED, 1, 2147483647LL, &version);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        char ver[24];
        snprintf(ver, sizeof(ver), "%lld", version);
        const char *params[] = { req_param(r, 0), r->user.id_text, staff(r) ? "true" : "false",
                                 ver };
        req_db(r, ack_sql, 4, params, acked);
}
