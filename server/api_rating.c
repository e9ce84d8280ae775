/*
 * api_rating.c - the rater's loop: next comparison, vote, skip.
 *
 * The decisions live in PostgreSQL functions (sql/001_init.sql: prefd_next, prefd_vote,
 * prefd_skip), each one statement and one transaction, so they hold across any number of prefd
 * processes. Here the answers are validated, rendered (Markdown to safe HTML) and mapped to
 * HTTP. A statement that loses a deadlock or serialisation race is retried.
 */
#include "api.h"

#include "app.h"
#include "crypto.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"
#include "markdown.h"
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRIES 3 /* attempts after a deadlock or serialisation failure */

struct call {
        int attempts;
        const char *sql;
        int nparams;
        char *params[8];
        req_db_fn done;
};

static void call_free(void *p)
{
        struct call *c = p;
        for (int i = 0; i < c->nparams; i++)
                free(c->params[i]);
        free(c);
}

static void call_run(struct req *r)
{
        struct call *c = r->state;
        c->attempts++;
        req_db(r, c->sql, c->nparams, (const char *const *)c->params, c->done);
}

/* True (and the statement runs again) when res lost a race that a retry resolves. */
static bool retried(struct req *r, const struct db_res *res)
{
        struct call *c = r->state;
        const char *state = db_res_sqlstate(res);
        if (db_res_status(res) != DB_FAILED || c->attempts > RETRIES ||
            (strcmp(state, "40P01") != 0 && strcmp(state, "40001") != 0))
                return false;
        log_warn(r->id, "msg=retry sqlstate=%s attempt=%d", state, c->attempts);
        call_run(r);
        return true;
}

/* Runs sql with copies of params, retrying lost races; done gets the final result. */
static void call_start(struct req *r, const char *sql, int n, const char *const *params,
                       req_db_fn done)
{
        struct call *c = calloc(1, sizeof(*c));
        if (!c) {
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        c->sql = sql;
        c->done = done;
        req_set_state(r, c, call_free);
        for (int i = 0; i < n; i++) {
                if (params[i] && !(c->params[i] = strdup(params[i]))) {
                        req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                        return;
                }
                c->nparams = i + 1;
        }
        call_run(r);
}

/* --- next --- */

static json_t *rendered(const char *text, size_t len)
{
        char *html = markdown_to_html(text, len);
        json_t *o = json_pack("{s:s%, s:s}", "text", text, len, "html", html ? html : "");
        free(html);
        return o;
}

enum next_col {
        N_STATUS,
        N_TOKEN,
        N_EXPIRES,
        N_PROMPT,
        N_LEFT,
        N_RIGHT,
        N_GUIDELINES,
        N_DONE,
        N_REMAINING,
        N_OUTCOMES,
        N_FLAGS,
        N_RATIONALE,
        N_PROJECT_STATUS,
};

/* next in a project not open to the caller: 403 when they see it (a reviewer), else 404. */
static void not_open(struct req *r, const struct db_res *seen)
{
        if (seen && req_db_failed(r, seen))
                return;
        if (seen && db_res_nrows(seen) == 0)
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
        else
                req_reply_error(r, 403, "forbidden", NULL, "project \"%s\" is not open to you",
                                req_param(r, 0));
}

static void next_done(struct req *r, const struct db_res *res)
{
        if (retried(r, res) || req_db_failed(r, res))
                return;
        const char *slug = req_param(r, 0);
        const char *status = db_res_value(res, 0, N_STATUS);
        /* A project a rater may not see (prefd_may_see) answers as GET /projects/{slug} does,
         * word for word, so that next cannot tell a restricted or closed one from a missing one. */
        bool rater = r->user.role == ROLE_RATER;
        if (strcmp(status, "not_found") == 0 ||
            (rater && strcmp(status, "inactive") == 0 &&
             strcmp(db_res_value(res, 0, N_PROJECT_STATUS), "closed") == 0)) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", slug);
                return;
        }
        if (strcmp(status, "forbidden") == 0) {
                if (!rater) {
                        not_open(r, NULL);
                        return;
                }
                char uid[32];
                snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
                const char *params[] = { slug, uid };
                req_db(r,
                       "SELECT 1 FROM projects p WHERE p.slug = $1 AND prefd_may_see(p, $2, false)",
                       2, params, not_open);
                return;
        }
        if (strcmp(status, "inactive") == 0) {
                req_reply_error(r, 409, "conflict", NULL,
                                "project \"%s\" is %s: it gives out no work now", slug,
                                db_res_value(res, 0, N_PROJECT_STATUS));
                return;
        }
        if (strcmp(status, "none") == 0) {
                req_reply_empty(r, 204);
                return;
        }
        json_t *outcomes = json_loads(db_res_value(res, 0, N_OUTCOMES), 0, NULL);
        json_t *flags = json_loads(db_res_value(res, 0, N_FLAGS), 0, NULL);
        json_t *a = json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:o*, s:o*, s:s, s:I, s:{s:I, s:I}}", "id",
            db_res_value(res, 0, N_TOKEN), "project", slug, "expires_at",
            db_res_value(res, 0, N_EXPIRES), "prompt",
            rendered(db_res_value(res, 0, N_PROMPT), db_res_length(res, 0, N_PROMPT)), "left",
            rendered(db_res_value(res, 0, N_LEFT), db_res_length(res, 0, N_LEFT)), "right",
            rendered(db_res_value(res, 0, N_RIGHT), db_res_length(res, 0, N_RIGHT)), "outcomes",
            outcomes, "flags", flags, "rationale", db_res_value(res, 0, N_RATIONALE),
            "guidelines_version", (json_int_t)db_res_int(res, 0, N_GUIDELINES), "progress", "done",
            (json_int_t)db_res_int(res, 0, N_DONE), "remaining",
            (json_int_t)db_res_int(res, 0, N_REMAINING));
        if (!a) {
                req_reply_error(r, 500, "internal", NULL, "the assignment could not be rendered");
                return;
        }
        req_reply_json(r, 200, a);
}

void api_rating_next(struct req *r)
{
        char token[48], uid[32];
        if (crypto_token(token, sizeof(token), "", 24) != 0) {
                req_reply_error(r, 500, "internal", NULL, "no random numbers available");
                return;
        }
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        const char *params[] = { req_param(r, 0), uid, token };
        call_start(r,
                   "SELECT status, token, expires_at, prompt, left_text, right_text, "
                   "guidelines_version, done, remaining, to_json(outcomes), to_json(flags), "
                   "rationale, project_status FROM prefd_next($1, $2, $3)",
                   3, params, next_done);
}

/* --- vote --- */

static void vote_done(struct req *r, const struct db_res *res)
{
        if (retried(r, res) || req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        const char *message = db_res_value(res, 0, 2);
        if (strcmp(status, "created") == 0 || strcmp(status, "same") == 0) {
                bool created = status[0] == 'c';
                json_t *body = json_pack("{s:I}", "vote_id", (json_int_t)db_res_int(res, 0, 1));
                if (!db_res_isnull(res, 0, 3))
                        json_object_set_new(
                            body, "gold",
                            json_pack("{s:s, s:s?}", "expected", db_res_value(res, 0, 3), "reason",
                                      db_res_isnull(res, 0, 4) ? NULL : db_res_value(res, 0, 4)));
                if (created)
                        metrics_votes(r->app->metrics, 1);
                req_reply_json(r, created ? 201 : 200, body);
        } else if (strcmp(status, "not_found") == 0) {
                req_reply_error(r, 404, "not_found", NULL, "no assignment \"%s\" of yours",
                                req_param(r, 0));
        } else if (strcmp(status, "conflict") == 0) {
                req_reply_error(r, 409, "conflict", NULL, "%s", message);
        } else if (strcmp(status, "gone") == 0) {
                req_reply_error(r, 410, "gone", NULL, "%s", message);
        } else {
                req_reply_error(r, 422, "validation_failed", NULL, "%s", message);
        }
}

static const char *const choice_names[] = { "a", "b", "tie", "both_bad", NULL };

void api_rating_vote(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        long long elapsed = -1;
        jv_keys(&v, (const char *const[]){ "choice", "flags", "rationale", "elapsed_ms", NULL });
        const char *choice = jv_enum(&v, "choice", JV_REQUIRED, choice_names);
        const char *rationale = jv_string(&v, "rationale", JV_OPTIONAL, 0, 20000);
        jv_int(&v, "elapsed_ms", JV_OPTIONAL, 0, 7LL * 24 * 3600 * 1000, &elapsed);
        json_t *flags = json_object_get(r->json, "flags");
        json_t *left = NULL, *right = NULL;
        if (!v.failed && flags && !json_is_null(flags)) {
                if (!json_is_object(flags)) {
                        jv_fail(&v, "flags",
                                "\"flags\" must be an object {\"a\": [...], \"b\": [...]}");
                } else {
                        struct jv fv = JV_INIT(flags);
                        jv_keys(&fv, (const char *const[]){ "a", "b", NULL });
                        left = jv_string_array(&fv, "a", JV_OPTIONAL, 32, true, 0);
                        right = jv_string_array(&fv, "b", JV_OPTIONAL, 32, true, 0);
                        if (fv.failed)
                                jv_fail(&v, "flags", "flags: %s", fv.message);
                }
        }
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        char *fl = left ? json_dumps(left, JSON_COMPACT) : strdup("[]");
        char *fr = right ? json_dumps(right, JSON_COMPACT) : strdup("[]");
        char uid[32], ms[32];
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        snprintf(ms, sizeof(ms), "%lld", elapsed);
        const char *params[] = { req_param(r, 0),         uid, choice, fl, fr, rationale,
                                 elapsed >= 0 ? ms : NULL };
        if (fl && fr)
                call_start(r,
                           "SELECT status, vote_id, message, gold, gold_reason FROM prefd_vote($1, "
                           "$2, $3, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)), "
                           "ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), $6, $7)",
                           7, params, vote_done);
        else
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
        free(fl);
        free(fr);
}

/* --- skip --- */

static void skip_done(struct req *r, const struct db_res *res)
{
        if (retried(r, res) || req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (strcmp(status, "ok") == 0)
                req_reply_empty(r, 204);
        else if (strcmp(status, "not_found") == 0)
                req_reply_error(r, 404, "not_found", NULL, "no assignment \"%s\" of yours",
                                req_param(r, 0));
        else if (strcmp(status, "conflict") == 0)
                req_reply_error(r, 409, "conflict", NULL,
                                "this assignment already has a vote; it cannot be skipped");
        else
                req_reply_error(r, 410, "gone", NULL,
                                "the assignment expired; ask for the next comparison");
}

void api_rating_skip(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "reason", NULL });
        const char *reason = jv_string(&v, "reason", JV_OPTIONAL, 0, 2000);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        char uid[32];
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        const char *params[] = { req_param(r, 0), uid, reason };
        call_start(r, "SELECT prefd_skip($1, $2, $3)", 3, params, skip_done);
}
