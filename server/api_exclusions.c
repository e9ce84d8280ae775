/*
 * api_exclusions.c - exclusions from rankings: the project's list (paged), excluding a rater or
 * one vote with a reason, and undoing an exclusion. An exclusion flips the votes' excluded mark
 * and their pair totals in one transaction (sql/functions/prefd_exclusion.sql).
 */
#include "api.h"

#include "db.h"
#include "jsonv.h"
#include "log.h"
#include "voteparts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- exclusions --- */

/* The project's exclusions, oldest first, undone ones included (prefd_exclusions_page). */
static const char exclusions_sql[] =
    "SELECT x.page_key, x.item "
    "FROM projects p "
    "LEFT JOIN LATERAL prefd_exclusions_page(p.id, $2::int, $3::bigint) x ON true "
    "WHERE p.slug = $1";

/* A new exclusion (prefd_exclusion: $1 project, $2 rater, $3 vote, $4 reason, $5 by). */
static const char exclude_sql[] = "SELECT prefd_exclusion_json(e) "
                                  "FROM prefd_exclusion($1, $2, $3, $4, $5, NULL) e";

void api_exclusions_list(struct req *r)
{
        if (req_page(r) != 0)
                return;
        const char *params[] = { req_param(r, 0), r->page.limit_text, r->page.after_text };
        req_db(r, exclusions_sql, 3, params, req_reply_project_page);
}

struct exclude {
        char rater[72];
        char vote[24];
        char reason[2048];
};

static void excluded(struct req *r, const struct db_res *res)
{
        if (db_res_status(res) == DB_FAILED &&
            strcmp(db_res_sqlstate(res), DB_UNIQUE_VIOLATION) == 0) {
                req_reply_error(r, 409, "conflict", NULL, "that is excluded already");
                return;
        }
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 500, "internal", NULL, "the exclusion was not recorded");
                return;
        }
        log_info(r->id, "msg=exclusion project=%s by=%s", LOGQ(req_param(r, 0)),
                 LOGQ(r->user.name));
        req_reply_json_text(r, 201, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

enum exclude_check { X_PROJECT, X_RATER, X_VOTE };

/* The project, the rater and the vote an exclusion names ($1 slug, $2 name, $3 vote id). */
static const char exclude_check_sql[] =
    "WITH p AS (SELECT id FROM projects WHERE slug = $1) "
    "SELECT (SELECT id FROM p), "
    "(SELECT id FROM users WHERE name = $2), "
    "(SELECT v.id FROM votes v, p WHERE v.id = $3::bigint AND v.project_id = p.id)";

static void exclusion_checked(struct req *r, const struct db_res *res)
{
        struct exclude *x = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_isnull(res, 0, X_PROJECT)) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        if (x->rater[0] && db_res_isnull(res, 0, X_RATER)) {
                req_reply_error(r, 422, "validation_failed", json_pack("{s:s}", "field", "rater"),
                                "no user named \"%s\"", x->rater);
                return;
        }
        if (x->vote[0] && db_res_isnull(res, 0, X_VOTE)) {
                req_reply_error(r, 404, "not_found", NULL, "no rated vote %s in project \"%s\"",
                                x->vote, req_param(r, 0));
                return;
        }
        const char *params[] = { db_res_value(res, 0, X_PROJECT),
                                 x->rater[0] ? db_res_value(res, 0, X_RATER) : NULL,
                                 x->vote[0] ? x->vote : NULL, x->reason, r->user.id_text };
        req_db(r, exclude_sql, 5, params, excluded);
}

void api_exclusions_add(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        long long vote = 0;
        jv_keys(&v, (const char *const[]){ "rater", "vote_id", "reason", NULL });
        const char *rater = jv_string(&v, "rater", JV_OPTIONAL, 1, 64);
        bool has_vote = jv_int(&v, "vote_id", JV_OPTIONAL, 1, INT64_MAX, &vote);
        const char *reason = jv_string(&v, "reason", JV_REQUIRED, 1, 2000);
        if (!v.failed && !rater == !has_vote)
                jv_fail(&v, "rater", "give either \"rater\" or \"vote_id\"");
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        struct exclude *x = calloc(1, sizeof(*x));
        if (!x) {
                req_reply_oom(r);
                return;
        }
        snprintf(x->rater, sizeof(x->rater), "%s", rater ? rater : "");
        if (has_vote)
                snprintf(x->vote, sizeof(x->vote), "%lld", vote);
        snprintf(x->reason, sizeof(x->reason), "%s", reason);
        req_set_state(r, x, free);
        const char *params[] = { req_param(r, 0), x->rater, x->vote[0] ? x->vote : NULL };
        req_db(r, exclude_check_sql, 3, params, exclusion_checked);
}

/* Undoes exclusion $2 of project $1 for user $3. */
static const char unexclude_sql[] =
    "SELECT e.id "
    "FROM projects p, prefd_exclusion(p.id, NULL, NULL, NULL, $3, $2::bigint) e "
    "WHERE p.slug = $1";

static void unexcluded(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1 || db_res_isnull(res, 0, 0)) {
                req_reply_error(r, 404, "not_found", NULL,
                                "no standing exclusion %s in project \"%s\"", req_param(r, 1),
                                req_param(r, 0));
                return;
        }
        log_info(r->id, "msg=exclusion_undone id=%s by=%s", LOGQ(req_param(r, 1)),
                 LOGQ(r->user.name));
        req_reply_empty(r, 204);
}

void api_exclusions_undo(struct req *r)
{
        const char *id = req_param(r, 1);
        if (strspn(id, "0123456789") != strlen(id) || strlen(id) > 18) {
                req_reply_error(r, 404, "not_found", NULL, "no exclusion \"%s\"", id);
                return;
        }
        const char *params[] = { req_param(r, 0), id, r->user.id_text };
        req_db(r, unexclude_sql, 3, params, unexcluded);
}
