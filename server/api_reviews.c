/*
 * api_reviews.c - review of other raters' votes: the next vote to review (as its rater saw it)
 * and the reviewer's verdict (sql/functions/prefd_review_next.sql, prefd_review.sql).
 */
#include "api.h"

#include "db.h"
#include "jsonv.h"
#include "markdown.h"
#include "qv.h"
#include "voteparts.h"

#include <string.h>

/* --- review --- */

enum review_col {
        R_ALLOWED,
        R_VOTE,
        R_PROMPT,
        R_LEFT,
        R_RIGHT,
        R_CHOICE,
        R_FLAGS_A,
        R_FLAGS_B,
        R_RATIONALE,
        R_OUTCOMES,
        R_REVIEWS,
        R_EXTRA, /* issue 14: strength, scores, rewrite, flag quotes, messages (those given) */
};

static void review_found(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        if (!db_res_bool(res, 0, R_ALLOWED)) {
                req_reply_error(r, 403, "forbidden", NULL,
                                "you are not a reviewer of project \"%s\"", req_param(r, 0));
                return;
        }
        if (db_res_isnull(res, 0, R_VOTE)) {
                req_reply_empty(r, 204);
                return;
        }
        /* The vote as its rater saw it: sides as shown, no model names, no rater. */
        json_t *body = json_pack(
            "{s:I, s:s, s:o, s:o, s:o, s:s, s:{s:o, s:o}, s:s, s:o, s:I}", "vote_id",
            (json_int_t)db_res_int(res, 0, R_VOTE), "project", req_param(r, 0), "prompt",
            markdown_rendered(db_res_value(res, 0, R_PROMPT), db_res_length(res, 0, R_PROMPT)),
            "left", markdown_rendered(db_res_value(res, 0, R_LEFT), db_res_length(res, 0, R_LEFT)),
            "right",
            markdown_rendered(db_res_value(res, 0, R_RIGHT), db_res_length(res, 0, R_RIGHT)),
            "choice", db_res_value(res, 0, R_CHOICE), "flags", "a",
            json_loads(db_res_value(res, 0, R_FLAGS_A), 0, NULL), "b",
            json_loads(db_res_value(res, 0, R_FLAGS_B), 0, NULL), "rationale",
            db_res_value(res, 0, R_RATIONALE), "outcomes",
            json_loads(db_res_value(res, 0, R_OUTCOMES), 0, NULL), "reviews",
            (json_int_t)db_res_int(res, 0, R_REVIEWS));
        json_t *extra = json_loads(db_res_value(res, 0, R_EXTRA), 0, NULL);
        if (body && extra) {
                voteparts_render_messages(json_object_get(extra, "messages"));
                json_object_update(body, extra);
        }
        json_decref(extra);
        if (!body) {
                req_reply_error(r, 500, "internal", NULL, "the review could not be rendered");
                return;
        }
        req_reply_json(r, 200, body);
}

static const char *const review_filters[] = { "disagreement", "gold_wrong", "flagged", NULL };

/* The next vote for this reviewer: $1 slug, $2 reviewer, $3 an admin (may review any project),
 * $4 only this rater's votes (a name) or NULL, $5 a filter (review_filters) or NULL. */
static const char review_next_sql[] = "SELECT * "
                                      "FROM prefd_review_item($1, $2::bigint, $3::boolean, $4, $5)";

void api_reviews_next(struct req *r)
{
        /* issue 17: ?rater=NAME and ?filter=disagreement|gold_wrong|flagged */
        static const char *const known[] = { "rater", "filter", NULL };
        char rater[128];
        struct qv q;
        qv_init(&q, r, known);
        bool by_rater = qv_text(&q, "rater", rater, sizeof(rater));
        int f = qv_enum(&q, "filter", review_filters, -1);
        if (qv_reply(&q))
                return;
        const char *params[] = { req_param(r, 0), r->user.id_text,
                                 r->user.role == ROLE_ADMIN ? "true" : "false",
                                 by_rater ? rater : NULL, f >= 0 ? review_filters[f] : NULL };
        req_db(r, review_next_sql, 5, params, review_found);
}

/* $1 the vote, $2 the reviewer, $3 an admin, $4 the verdict, $5 the comment. */
static const char review_sql[] = "SELECT * "
                                 "FROM prefd_review($1, $2, $3, $4, $5)";

static const struct req_status review_status[] = {
        { "created", 0, NULL, NULL },
        { "same", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no rated vote {}" },
        { "forbidden", 403, "forbidden", "you are not a reviewer of this vote's project" },
        { "own", 403, "forbidden", "you cannot review your own vote" },
        { "conflict", 409, "conflict", "you reviewed this vote already, differently" },
        { NULL, 0, NULL, NULL },
};

static void reviewed(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (req_reply_status(r, review_status, status, req_param(r, 0)))
                return;
        req_reply_json(r, strcmp(status, "created") == 0 ? 201 : 200,
                       json_pack("{s:I}", "review_id", (json_int_t)db_res_int(res, 0, 1)));
}

void api_reviews_submit(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "verdict", "comment", NULL });
        const char *verdict =
            jv_enum(&v, "verdict", JV_REQUIRED, (const char *const[]){ "agree", "disagree", NULL });
        const char *comment = jv_string(&v, "comment", JV_OPTIONAL, 0, 5000);
        const char *id = req_param(r, 0);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        if (strspn(id, "0123456789") != strlen(id) || strlen(id) > 18 || !*id) {
                req_reply_error(r, 404, "not_found", NULL, "no rated vote %s", id);
                return;
        }
        const char *params[] = { id, r->user.id_text, r->user.role == ROLE_ADMIN ? "true" : "false",
                                 verdict, comment };
        req_db_retry(r, review_sql, 5, params, reviewed);
}
