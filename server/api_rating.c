/*
 * api_rating.c - the rater's loop: next comparison, vote, skip.
 *
 * The decisions live in PostgreSQL functions (sql/functions/prefd_nexts.sql, prefd_votes.sql,
 * prefd_skips.sql), so they hold across any number of prefd processes. All three go through the
 * batchers of rating.h: many raters' requests share one statement and one transaction. Here
 * the answers are validated, rendered (Markdown to safe HTML) and mapped to HTTP.
 *
 * Two single statements beside the batchers: renew (sql/functions/prefd_renew.sql) and undo
 * (prefd_undo.sql), whose reply then asks the next batcher for the comparison given back.
 */
#include "api.h"

#include "app.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"
#include "markdown.h"
#include "metrics.h"
#include "rating.h"
#include "router.h"
#include "voteparts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The credential a rating function checks again: the caller's, when taken from the cache. */
static json_t *with_cred(const struct req *r, json_t *elem)
{
        if (elem && r->user.cached &&
            (json_object_set_new(elem, "cookie", json_boolean(r->user.via_cookie)) != 0 ||
             json_object_set_new(elem, "cred", json_string(r->user.cred)) != 0)) {
                json_decref(elem);
                return NULL;
        }
        return elem;
}

/* A batch element's answer: true when it was a failure, answered here. */
static bool batch_failed(struct req *r, const struct db_res *res, int row)
{
        if (row >= 0)
                return false;
        if (!req_db_failed(r, res))
                req_reply_error(r, 500, "internal", NULL,
                                "internal error (request %s); the server log has details", r->id);
        return true;
}

/*
 * unauthorized or role: the credential the function checked again (the caller came from the
 * cache) is gone, or no longer has a role the route is open to (role names the one it has).
 */
static bool recheck_failed(struct req *r, const char *status, const char *role)
{
        bool wrong_role = strcmp(status, "role") == 0;
        if (!wrong_role && strcmp(status, "unauthorized") != 0)
                return false;
        auth_recheck_failed(r, wrong_role ? role : NULL);
        return true;
}

/*
 * The status words of the rating functions map to HTTP through the tables below (req.h); the
 * few whose reply carries values beyond the argument (details, a second value) are answered
 * where they are read.
 */

/* --- next --- */

enum next_col {
        N_I,
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
        N_ROLE,
        N_EXTRA,
};

/* The assignment of a next answer's row (status ok), as the rater gets it; NULL when out of memory.
 */
static json_t *assignment_json(const struct db_res *res, int row, const char *slug)
{
        json_t *outcomes = json_loads(db_res_value(res, row, N_OUTCOMES), 0, NULL);
        json_t *flags = json_loads(db_res_value(res, row, N_FLAGS), 0, NULL);
        json_t *a = json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:o*, s:o*, s:s, s:I, s:{s:I, s:I}}", "id",
            db_res_value(res, row, N_TOKEN), "project", slug, "expires_at",
            db_res_value(res, row, N_EXPIRES), "prompt",
            markdown_rendered(db_res_value(res, row, N_PROMPT), db_res_length(res, row, N_PROMPT)),
            "left",
            markdown_rendered(db_res_value(res, row, N_LEFT), db_res_length(res, row, N_LEFT)),
            "right",
            markdown_rendered(db_res_value(res, row, N_RIGHT), db_res_length(res, row, N_RIGHT)),
            "outcomes", outcomes, "flags", flags, "rationale", db_res_value(res, row, N_RATIONALE),
            "guidelines_version", (json_int_t)db_res_int(res, row, N_GUIDELINES), "progress",
            "done", (json_int_t)db_res_int(res, row, N_DONE), "remaining",
            (json_int_t)db_res_int(res, row, N_REMAINING));
        /* Conversations, sensitive content and the project's options for the page (issue 14):
         * messages rendered like the prompt. */
        json_t *extra = json_loads(db_res_value(res, row, N_EXTRA), 0, NULL);
        if (a && extra) {
                voteparts_render_messages(json_object_get(extra, "messages"));
                json_object_update(a, extra);
        }
        json_decref(extra);
        return a;
}

/*
 * next's answers, the argument the project's slug. A project a rater may not see (prefd_may_see)
 * answers as GET /projects/{slug} does, word for word, so that next cannot tell a restricted or
 * closed one from a missing one. An inactive project answers with its status (paused, closed).
 */
static const struct req_status next_status[] = {
        { "ok", 0, NULL, NULL },
        { "none", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no project \"{}\"" },
        { "forbidden", 403, "forbidden", "project \"{}\" is not open to you" },
        { "paused", 409, "conflict", "project \"{}\" is paused: it gives out no work now" },
        { "closed", 409, "conflict", "project \"{}\" is closed: it gives out no work now" },
        { NULL, 0, NULL, NULL },
};

/* Whether the rater sees the project ($1 its slug, $2 the rater): 403 when so, else 404. */
static const char may_see_sql[] = "SELECT 1 "
                                  "FROM projects p "
                                  "WHERE p.slug = $1 "
                                  "AND prefd_may_see(p, $2, false)";

static void not_open(struct req *r, const struct db_res *seen)
{
        if (req_db_failed(r, seen))
                return;
        const char *status = db_res_nrows(seen) > 0 ? "forbidden" : "not_found";
        if (req_reply_status(r, next_status, status, req_param(r, 0)))
                return; /* both are errors: always answered */
}

static void next_done(struct req *r, const struct db_res *res, int row)
{
        if (batch_failed(r, res, row))
                return;
        const char *slug = req_param(r, 0);
        const char *status = db_res_value(res, row, N_STATUS);
        if (recheck_failed(r, status, db_res_value(res, row, N_ROLE)))
                return;
        bool rater = r->user.role == ROLE_RATER;
        if (strcmp(status, "inactive") == 0) {
                status = db_res_value(res, row, N_PROJECT_STATUS);
                if (rater && strcmp(status, "closed") == 0)
                        status = "not_found";
        } else if (rater && strcmp(status, "forbidden") == 0) {
                const char *params[] = { slug, r->user.id_text };
                req_db(r, may_see_sql, 2, params, not_open);
                return;
        } else if (strcmp(status, "not_qualified") == 0) {
                const char *at = db_res_value(res, row, N_EXPIRES);
                req_reply_error(r, 403, "not_qualified", json_pack("{s:s}", "retry_at", at),
                                "you did not reach the accuracy project \"%s\" asks on its control "
                                "pairs; you may try again at %s",
                                slug, at);
                return;
        } else if (strcmp(status, "guidelines") == 0) {
                json_int_t version = (json_int_t)db_res_int(res, row, N_GUIDELINES);
                json_int_t known = (json_int_t)db_res_int(res, row, N_DONE);
                req_reply_error(r, 409, "guidelines_changed",
                                json_pack("{s:I, s:I}", "version", version, "known", known),
                                "the guidelines of project \"%s\" changed (version %lld, you "
                                "knew %lld): read the change and acknowledge it first",
                                slug, (long long)version, (long long)known);
                return;
        }
        if (req_reply_status(r, next_status, status, slug))
                return;
        if (strcmp(status, "none") == 0) {
                req_reply_empty(r, 204);
                return;
        }
        json_t *a = assignment_json(res, row, slug);
        if (!a) {
                req_reply_error(r, 500, "internal", NULL, "the assignment could not be rendered");
                return;
        }
        req_reply_json(r, 200, a);
}

void api_rating_next(struct req *r)
{
        char token[48];
        if (crypto_token(token, sizeof(token), "", 24) != 0) {
                req_reply_error(r, 500, "internal", NULL, "no random numbers available");
                return;
        }
        json_t *elem = json_pack("{s:s, s:I, s:s}", "slug", req_param(r, 0), "rater",
                                 (json_int_t)r->user.id, "token", token);
        batch_add(r->app->rating->nexts, r, with_cred(r, elem), r->user.id_text, next_done);
}

/* --- vote --- */

enum vote_col { V_I, V_STATUS, V_ID, V_MESSAGE, V_GOLD, V_REASON, V_FIELD, V_MODELS };

/*
 * The answers of a vote (prefd_votes) and of a renewal (prefd_renew): the argument is the text
 * the function wrote (conflict, gone), else the assignment's token. An invalid vote names its
 * field in the details, so it is answered where it is read.
 */
static const struct req_status vote_status[] = {
        { "created", 0, NULL, NULL },
        { "same", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no assignment \"{}\" of yours" },
        { "conflict", 409, "conflict", NULL },
        { "gone", 410, "gone", NULL },
        { NULL, 0, NULL, NULL },
};

static const struct req_status renew_status[] = {
        { "ok", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no assignment \"{}\" of yours" },
        { "conflict", 409, "conflict", NULL },
        { "gone", 410, "gone", NULL },
        { NULL, 0, NULL, NULL },
};

/* The argument of vote_status and renew_status: the function's message, else the token. */
static const char *vote_arg(const struct req *r, const struct db_res *res, int row, int col)
{
        return db_res_isnull(res, row, col) ? req_param(r, 0) : db_res_value(res, row, col);
}

static void vote_done(struct req *r, const struct db_res *res, int row)
{
        if (batch_failed(r, res, row))
                return;
        const char *status = db_res_value(res, row, V_STATUS);
        const char *message = db_res_value(res, row, V_MESSAGE);
        if (recheck_failed(r, status, message))
                return;
        if (strcmp(status, "invalid") == 0) {
                json_t *details =
                    db_res_isnull(res, row, V_FIELD)
                        ? NULL
                        : json_pack("{s:s}", "field", db_res_value(res, row, V_FIELD));
                req_reply_error(r, 422, "validation_failed", details, "%s", message);
                return;
        }
        if (req_reply_status(r, vote_status, status, vote_arg(r, res, row, V_MESSAGE)))
                return;
        bool created = strcmp(status, "created") == 0;
        json_t *body = json_pack("{s:I}", "vote_id", (json_int_t)db_res_int(res, row, V_ID));
        if (!db_res_isnull(res, row, V_GOLD))
                json_object_set_new(body, "gold",
                                    json_pack("{s:s, s:s?}", "expected",
                                              db_res_value(res, row, V_GOLD), "reason",
                                              db_res_isnull(res, row, V_REASON)
                                                  ? NULL
                                                  : db_res_value(res, row, V_REASON)));
        /* A project with "reveal" names the models after the vote, never before. */
        if (!db_res_isnull(res, row, V_MODELS))
                json_object_set_new(body, "models",
                                    json_loads(db_res_value(res, row, V_MODELS), 0, NULL));
        if (created)
                metrics_votes(r->app->metrics, 1);
        req_reply_json(r, created ? 201 : 200, body);
}

static const char *const choice_names[] = { "a", "b", "tie", "both_bad", NULL };

void api_rating_vote(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        long long elapsed = -1;
        jv_keys(&v, (const char *const[]){ "choice", "flags", "rationale", "elapsed_ms", "strength",
                                           "scores", "rewrite", NULL });
        const char *choice = jv_enum(&v, "choice", JV_REQUIRED, choice_names);
        const char *rationale = jv_string(&v, "rationale", JV_OPTIONAL, 0, 20000);
        jv_int(&v, "elapsed_ms", JV_OPTIONAL, 0, 7LL * 24 * 3600 * 1000, &elapsed);
        json_t *elem = json_pack("{s:s, s:I, s:s, s:s?}", "token", req_param(r, 0), "rater",
                                 (json_int_t)r->user.id, "choice", choice ? choice : "",
                                 "rationale", rationale);
        if (elem)
                voteparts_vote(&v, elem);
        if (v.failed) {
                json_decref(elem);
                jv_reply(r, &v);
                return;
        }
        if (elem && elapsed >= 0)
                json_object_set_new(elem, "elapsed", json_integer((json_int_t)elapsed));
        batch_add(r->app->rating->votes, r, with_cred(r, elem), req_param(r, 0), vote_done);
}

/* --- skip --- */

enum skip_col { S_I, S_STATUS, S_MESSAGE };

/* A skip's answers (prefd_skip), the argument the assignment's token. */
static const struct req_status skip_status[] = {
        { "ok", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no assignment \"{}\" of yours" },
        { "conflict", 409, "conflict", "this assignment already has a vote; it cannot be skipped" },
        { "gone", 410, "gone", "the assignment expired; ask for the next comparison" },
        { NULL, 0, NULL, NULL },
};

static void skip_done(struct req *r, const struct db_res *res, int row)
{
        if (batch_failed(r, res, row))
                return;
        const char *status = db_res_value(res, row, S_STATUS);
        if (recheck_failed(r, status, db_res_value(res, row, S_MESSAGE)) ||
            req_reply_status(r, skip_status, status, req_param(r, 0)))
                return;
        req_reply_empty(r, 204);
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
        json_t *elem = json_pack("{s:s, s:I, s:s?}", "token", req_param(r, 0), "rater",
                                 (json_int_t)r->user.id, "reason", reason);
        batch_add(r->app->rating->skips, r, with_cred(r, elem), req_param(r, 0), skip_done);
}

/* --- renew --- */

enum renew_col { RN_STATUS, RN_EXPIRES, RN_LEASE, RN_MESSAGE };

static void renew_done(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res) ||
            req_reply_status(r, renew_status, db_res_value(res, 0, RN_STATUS),
                             vote_arg(r, res, 0, RN_MESSAGE)))
                return;
        req_reply_json(r, 200,
                       json_pack("{s:s, s:s, s:I}", "id", req_param(r, 0), "expires_at",
                                 db_res_value(res, 0, RN_EXPIRES), "lease_seconds",
                                 (json_int_t)db_res_int(res, 0, RN_LEASE)));
}

static const char renew_sql[] = "SELECT status, expires_at, lease_seconds, message "
                                "FROM prefd_renew($1, $2::bigint)";

void api_rating_renew(struct req *r)
{
        const char *params[] = { req_param(r, 0), r->user.id_text };
        req_db(r, renew_sql, 2, params, renew_done);
}

/* --- undo --- */

enum undo_col { U_STATUS, U_SLUG, U_UNDONE_AT };

static void state_decref(void *state)
{
        json_decref(state);
}

/* The comparison the undone vote was on, given back by next (the rater holds it again). */
static void undo_next_done(struct req *r, const struct db_res *res, int row)
{
        if (batch_failed(r, res, row))
                return;
        json_t *body = json_deep_copy(r->state);
        const char *slug = json_string_value(json_object_get(r->state, "slug"));
        const char *status = db_res_value(res, row, N_STATUS);
        json_t *a = strcmp(status, "ok") == 0 ? assignment_json(res, row, slug) : json_null();
        json_object_del(body, "slug");
        if (!body || !a || json_object_set_new(body, "assignment", a) != 0) {
                json_decref(body);
                req_reply_error(r, 500, "internal", NULL, "the assignment could not be rendered");
                return;
        }
        req_reply_json(r, 200, body);
}

/* An undo's answers (prefd_undo), the argument the vote's id; undone and expired, which name a
 * time, are answered where they are read. */
static const struct req_status undo_status[] = {
        { "ok", 0, NULL, NULL },
        { "not_found", 404, "not_found", "no vote {} of yours" },
        { NULL, 0, NULL, NULL },
};

static void undone(struct req *r, const struct db_res *res)
{
        const char *id = req_param(r, 0);
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, U_STATUS);
        if (strcmp(status, "undone") == 0) {
                req_reply_error(r, 409, "already_undone", NULL, "vote %s was undone at %s", id,
                                db_res_value(res, 0, U_UNDONE_AT));
                return;
        }
        if (strcmp(status, "expired") == 0) {
                req_reply_error(r, 409, "undo_expired", NULL,
                                "vote %s can no longer be undone: votes can be undone for %ld "
                                "seconds",
                                id, r->app->cfg->undo_seconds);
                return;
        }
        if (req_reply_status(r, undo_status, status, id))
                return;
        char token[48];
        json_t *state = NULL, *elem = NULL;
        if (crypto_token(token, sizeof(token), "", 24) == 0) {
                state = json_pack("{s:I, s:s, s:s}", "vote_id", (json_int_t)strtoll(id, NULL, 10),
                                  "undone_at", db_res_value(res, 0, U_UNDONE_AT), "slug",
                                  db_res_value(res, 0, U_SLUG));
                elem = json_pack("{s:s, s:I, s:s}", "slug", db_res_value(res, 0, U_SLUG), "rater",
                                 (json_int_t)r->user.id, "token", token);
        }
        if (!state || !elem) {
                json_decref(state);
                json_decref(elem);
                req_reply_error(r, 500, "internal", NULL, "the undo was stored; reload the page");
                return;
        }
        req_set_state(r, state, state_decref);
        batch_add(r->app->rating->nexts, r, elem, r->user.id_text, undo_next_done);
}

static const char undo_sql[] = "SELECT status, slug, undone_at "
                               "FROM prefd_undo($1::bigint, $2::bigint, $3::integer)";

void api_rating_undo(struct req *r)
{
        const char *id = req_param(r, 0);
        if (strspn(id, "0123456789") != strlen(id) || strlen(id) == 0 || strlen(id) > 18) {
                req_reply_error(r, 404, "not_found", NULL, "no vote \"%s\" of yours", id);
                return;
        }
        char window[24];
        snprintf(window, sizeof(window), "%ld", r->app->cfg->undo_seconds);
        const char *params[] = { id, r->user.id_text, window };
        req_db(r, undo_sql, 3, params, undone);
}
