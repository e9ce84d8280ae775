/*
 * api_feedback.c - review feedback that reaches the rater (issue 17): the reviews of one's own
 * votes (GET /api/v1/me/reviews?project=, marked read as they are read), the unread count per
 * project for the web client's badge, the rater's one reply to a review, and the reviewer's
 * list of the reviews they gave with the replies.
 *
 * The queries are SQL functions (sql/functions/prefd_my_reviews.sql, prefd_unread_reviews.sql,
 * prefd_review_reply.sql, prefd_given_reviews.sql); here the parameters are validated, the
 * texts rendered and the rows mapped to JSON.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "jsonv.h"
#include "markdown.h"
#include "qv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A review id from the path: digits only, else 404 as for a review that does not exist. */
static bool review_id_ok(struct req *r, const char *id)
{
        if (*id && strlen(id) <= 18 && strspn(id, "0123456789") == strlen(id))
                return true;
        req_reply_error(r, 404, "not_found", NULL, "no review %s of your votes", id);
        return false;
}

/* --- GET /api/v1/me/reviews?project= --- */

enum mine_col {
        M_FOUND,
        M_REVIEW,
        M_VOTE,
        M_CREATED,
        M_PROMPT,
        M_LEFT,
        M_RIGHT,
        M_CHOICE,
        M_FLAGS_A,
        M_FLAGS_B,
        M_RATIONALE,
        M_VERDICT,
        M_COMMENT,
        M_REVIEWER,
        M_REPLY,
        M_REPLIED,
        M_READ,
        M_OUTCOMES,
        M_UNREAD
};

struct page {
        char slug[128];
};

static json_t *reply_json(const struct db_res *res, int row, int text, int at)
{
        if (db_res_isnull(res, row, text))
                return json_null();
        return json_pack("{s:s, s:s}", "text", db_res_value(res, row, text), "created_at",
                         db_res_value(res, row, at));
}

static void mine_read(struct req *r, const struct db_res *res)
{
        struct page *pg = r->state;
        if (req_db_failed(r, res))
                return;
        int rows = db_res_nrows(res);
        if (rows < 1 || !db_res_bool(res, 0, M_FOUND)) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", pg->slug);
                return;
        }
        json_t *items = json_array();
        int reviews = rows - 1; /* the last row carries the unread count */
        for (int row = 0; row < reviews && row < r->page.limit; row++) {
                json_t *e = json_pack(
                    "{s:I, s:I, s:s, s:o, s:o, s:o, s:s, s:{s:o, s:o}, s:s, s:o, s:s, s:s, s:s, "
                    "s:o, s:b}",
                    "review_id", (json_int_t)db_res_int(res, row, M_REVIEW), "vote_id",
                    (json_int_t)db_res_int(res, row, M_VOTE), "created_at",
                    db_res_value(res, row, M_CREATED), "prompt",
                    markdown_rendered(db_res_value(res, row, M_PROMPT),
                                      db_res_length(res, row, M_PROMPT)),
                    "left",
                    markdown_rendered(db_res_value(res, row, M_LEFT),
                                      db_res_length(res, row, M_LEFT)),
                    "right",
                    markdown_rendered(db_res_value(res, row, M_RIGHT),
                                      db_res_length(res, row, M_RIGHT)),
                    "choice", db_res_value(res, row, M_CHOICE), "flags", "a",
                    json_loads(db_res_value(res, row, M_FLAGS_A), 0, NULL), "b",
                    json_loads(db_res_value(res, row, M_FLAGS_B), 0, NULL), "rationale",
                    db_res_value(res, row, M_RATIONALE), "outcomes",
                    json_loads(db_res_value(res, row, M_OUTCOMES), 0, NULL), "verdict",
                    db_res_value(res, row, M_VERDICT), "comment", db_res_value(res, row, M_COMMENT),
                    "reviewer", db_res_value(res, row, M_REVIEWER), "reply",
                    reply_json(res, row, M_REPLY, M_REPLIED), "read",
                    db_res_bool(res, row, M_READ));
                if (!e) {
                        json_decref(items);
                        req_reply_error(r, 500, "internal", NULL, "a review could not be rendered");
                        return;
                }
                json_array_append_new(items, e);
        }
        long long next = reviews > r->page.limit
                             ? (long long)db_res_int(res, (int)r->page.limit - 1, M_REVIEW)
                             : 0;
        req_reply_page(
            r, items, next,
            json_pack("{s:I}", "unread", (json_int_t)db_res_int(res, rows - 1, M_UNREAD)));
}

/*
 * Both lists: ?project= (required), ?limit=, ?cursor= (newest first: the cursor is the last
 * review shown, the page starts below it), then statement sql with (slug, caller, limit,
 * cursor) and its continuation done.
 */
static void list_start(struct req *r, const char *sql, req_db_fn done)
{
        static const char *const known[] = { "project", "limit", "cursor", NULL };
        struct page *pg = calloc(1, sizeof(*pg));
        if (!pg) {
                req_reply_oom(r);
                return;
        }
        req_set_state(r, pg, free);
        struct qv q;
        qv_init(&q, r, known);
        if (!qv_text(&q, "project", pg->slug, sizeof(pg->slug)) && !q.failed)
                qv_fail(&q, "project", "project (the project's slug) is required");
        qv_page(&q);
        if (qv_reply(&q))
                return;
        const char *params[] = { pg->slug, r->user.id_text, r->page.limit_text,
                                 r->page.after_text };
        req_db(r, sql, 4, params, done);
}

static const char mine_sql[] = "SELECT * "
                               "FROM prefd_my_reviews($1, $2::bigint, $3::int, $4::bigint)";

void api_feedback_mine(struct req *r)
{
        list_start(r, mine_sql, mine_read);
}

/* --- GET /api/v1/me/reviews/unread --- */

static void unread_read(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        json_t *projects = json_loads(db_res_value(res, 0, 0), 0, NULL);
        json_int_t total = 0;
        const char *k;
        json_t *n;
        json_object_foreach(projects, k, n) total += json_integer_value(n);
        req_reply_json(r, 200, json_pack("{s:I, s:o}", "unread", total, "projects", projects));
}

static const char unread_sql[] = "SELECT prefd_unread_reviews($1::bigint)";

void api_feedback_unread(struct req *r)
{
        const char *params[] = { r->user.id_text };
        req_db(r, unread_sql, 1, params, unread_read);
}

/* --- POST /api/v1/reviews/{id}/reply --- */

static const struct req_status reply_status[] = {
        { "created", 0, NULL, NULL },
        { "same", 0, NULL, NULL },
        { "conflict", 409, "conflict",
          "you answered this review already, differently (a review is answered once)" },
        { "not_found", 404, "not_found", "no review {} of your votes" },
        { NULL, 0, NULL, NULL },
};

static void replied(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (req_reply_status(r, reply_status, status, req_param(r, 0)))
                return;
        req_reply_json(r, strcmp(status, "created") == 0 ? 201 : 200,
                       json_pack("{s:I, s:{s:s, s:s}}", "review_id",
                                 (json_int_t)strtoll(req_param(r, 0), NULL, 10), "reply", "text",
                                 json_string_value(json_object_get(r->json, "text")), "created_at",
                                 db_res_value(res, 0, 1)));
}

static const char reply_sql[] = "SELECT * "
                                "FROM prefd_review_reply($1::bigint, $2::bigint, $3)";

void api_feedback_reply(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "text", NULL });
        const char *text = jv_string(&v, "text", JV_REQUIRED, 1, 5000);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        const char *id = req_param(r, 0);
        if (!review_id_ok(r, id))
                return;
        const char *params[] = { id, r->user.id_text, text };
        req_db(r, reply_sql, 3, params, replied);
}

/* --- GET /api/v1/me/reviews/given?project= --- */

enum given_col { G_REVIEW, G_VOTE, G_VERDICT, G_COMMENT, G_CREATED, G_REPLY, G_REPLIED };

static void given_read(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        int rows = db_res_nrows(res);
        json_t *items = json_array();
        for (int row = 0; row < rows && row < r->page.limit; row++)
                json_array_append_new(items,
                                      json_pack("{s:I, s:I, s:s, s:s, s:s, s:o}", "review_id",
                                                (json_int_t)db_res_int(res, row, G_REVIEW),
                                                "vote_id", (json_int_t)db_res_int(res, row, G_VOTE),
                                                "verdict", db_res_value(res, row, G_VERDICT),
                                                "comment", db_res_value(res, row, G_COMMENT),
                                                "created_at", db_res_value(res, row, G_CREATED),
                                                "reply", reply_json(res, row, G_REPLY, G_REPLIED)));
        long long next =
            rows > r->page.limit ? (long long)db_res_int(res, (int)r->page.limit - 1, G_REVIEW) : 0;
        req_reply_page(r, items, next, NULL);
}

static const char given_sql[] = "SELECT * "
                                "FROM prefd_given_reviews($1, $2::bigint, $3::int, $4::bigint)";

void api_feedback_given(struct req *r)
{
        list_start(r, given_sql, given_read);
}
