/*
 * api_quality.c - quality control: rater statistics with warnings, agreement, flagged
 * responses, exclusions from rankings, and reviews of other raters' votes.
 *
 * The statistics come from quality.h over the project's rated votes (read in chunks and parsed
 * on workers by qvotes.h, computed on a worker), so the definitions live in one place; the same
 * numbers give the reliability weights of weighted rankings (api_quality_weights).
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"
#include "markdown.h"
#include "quality.h"
#include "qvotes.h"
#include "tally.h"
#include "u64map.h"
#include "work.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAST_MIN_VOTES 10    /* timed votes before "fast" can be said */
#define SIDE_MIN_VOTES 20    /* decided votes before "side_bias" can be said */
#define SIDE_Z         2.576 /* two-sided 99% for a fair coin */
#define GOLD_MIN_SEEN  5     /* control pairs before "gold" can be said */

/* --- the project's rated votes, as quality.h sees them --- */

/* What a job computes from the votes (on a worker thread), and who gets the result. */
enum qkind { Q_RATERS, Q_AGREEMENT, Q_WEIGHTS };

struct qjob {
        struct req *req;
        enum qkind kind;
        int64_t project;
        double min_seconds, min_gold;
        long limit;       /* Q_RATERS: the page size */
        long long offset; /* Q_RATERS: the cursor, raters before this page (by name) */
        struct qvotes *v; /* the votes (qvotes.h) */
        long *timed;      /* Q_RATERS: per rater, the votes that reported their time */
        /* results */
        int rc;
        struct quality_rater *stats;           /* Q_RATERS, Q_WEIGHTS */
        struct quality_agreement all, *by_cat; /* Q_AGREEMENT */
        api_weights_fn on_weights;             /* Q_WEIGHTS: who wants them */
        void *weights_arg;
};

static void qjob_free(void *p)
{
        struct qjob *q = p;
        qvotes_free(q->v);
        free(q->timed);
        free(q->stats);
        free(q->by_cat);
        free(q);
}

/* On a worker: the statistics (with the reliability fit) or the agreement. */
static void compute(void *arg)
{
        struct qjob *q = arg;
        q->rc = -1;
        const struct qvotes *v = q->v;
        if (q->kind == Q_AGREEMENT) {
                size_t nc = json_object_size(v->categories);
                if ((q->by_cat = calloc(nc + 1, sizeof(*q->by_cat))))
                        q->rc = quality_agreement(v->votes, v->n, nc, &q->all, q->by_cat);
                return;
        }
        if (!(q->stats = calloc(v->nraters + 1, sizeof(*q->stats))))
                return;
        q->rc = quality_raters(v->votes, v->n, v->nraters, q->stats);
        if (q->kind == Q_RATERS && q->rc == 0) {
                if (!(q->timed = calloc(v->nraters + 1, sizeof(long)))) {
                        q->rc = -1;
                        return;
                }
                for (size_t i = 0; i < v->n; i++)
                        q->timed[v->votes[i].rater] += v->votes[i].seconds >= 0;
        }
}

static void raters_computed(struct qjob *q);
static void agreement_computed(struct qjob *q);
static void weights_computed(struct qjob *q);

static void computed(void *arg)
{
        struct qjob *q = arg;
        if (q->kind == Q_WEIGHTS) {
                weights_computed(q);
                return;
        }
        if (q->rc != 0) {
                req_reply_error(q->req, 503, "unavailable", NULL, "out of memory");
                return;
        }
        if (q->kind == Q_RATERS)
                raters_computed(q);
        else
                agreement_computed(q);
}

/* The votes arrived: the computing goes to a worker. */
static void votes_read(struct qvotes *v, const char *error, void *arg)
{
        struct qjob *q = arg;
        q->v = v;
        if (v && work_submit(q->req->app->work, compute, computed, q) == 0)
                return;
        if (q->kind == Q_WEIGHTS) {
                q->on_weights(q->req, q->weights_arg, -1, NULL, 0);
                qjob_free(q);
                return;
        }
        if (error && strcmp(error, "unavailable") == 0)
                req_reply_error(q->req, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
        else if (error && strcmp(error, "failed") == 0)
                req_reply_error(q->req, 500, "internal", NULL,
                                "internal error (request %s); the server log has details",
                                q->req->id);
        else
                req_reply_error(q->req, 503, "unavailable", NULL, "out of memory or shutting down");
}

static json_t *number_or_null(double x, double unit)
{
        return isfinite(x) ? json_real(round(x / unit) * unit) : json_null();
}

/* Reads the project's settings, then its rated votes. */
static void project_read(struct req *r, const struct db_res *res)
{
        struct qjob *q = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        q->project = db_res_int(res, 0, 0);
        q->min_seconds = db_res_double(res, 0, 1);
        q->min_gold = db_res_double(res, 0, 2);
        qvotes_read(req_db_pool(r), r->app->work, q->project, votes_read, q);
}

static void start(struct req *r, enum qkind kind)
{
        struct qjob *q = calloc(1, sizeof(*q));
        if (!q) {
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        q->req = r;
        q->kind = kind;
        req_set_state(r, q, qjob_free);
        req_db_may_lag(r); /* statistics: a standby's copy will do */
        if (kind == Q_RATERS && req_page(r, &q->limit, &q->offset) != 0)
                return;
        const char *params[] = { req_param(r, 0) };
        req_db(r, "SELECT id, qc_min_seconds, qc_min_gold_accuracy FROM projects WHERE slug = $1",
               1, params, project_read);
}

/* --- GET .../raters --- */

static void warn(json_t *list, const char *code, double value, double threshold, const char *fmt,
                 ...) PREFD_PRINTF(5, 6);

static void warn(json_t *list, const char *code, double value, double threshold, const char *fmt,
                 ...)
{
        char message[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        json_array_append_new(list, json_pack("{s:s, s:s, s:f, s:f}", "code", code, "message",
                                              message, "value", round(value * 1e4) / 1e4,
                                              "threshold", round(threshold * 1e4) / 1e4));
}

/* The warnings of one rater, with the numbers behind them. */
static json_t *warnings(const struct qjob *q, const struct quality_rater *s, long timed)
{
        json_t *w = json_array();
        if (timed >= FAST_MIN_VOTES && s->median_seconds < q->min_seconds)
                warn(w, "fast", s->median_seconds, q->min_seconds,
                     "median %.1f s per vote over %ld votes, below %.1f s", s->median_seconds,
                     timed, q->min_seconds);
        if (s->decided >= SIDE_MIN_VOTES) {
                double rate = (double)s->left / (double)s->decided;
                double margin = SIDE_Z * sqrt(0.25 / (double)s->decided);
                if (fabs(rate - 0.5) > margin)
                        warn(w, "side_bias", rate, 0.5 + (rate > 0.5 ? margin : -margin),
                             "chose the %s answer in %.0f%% of %ld decided votes (a fair rater "
                             "stays within 50%% +- %.0f%%)",
                             rate > 0.5 ? "left" : "right", 100 * (rate > 0.5 ? rate : 1 - rate),
                             s->decided, 100 * margin);
        }
        if (s->gold_seen >= GOLD_MIN_SEEN) {
                double acc = (double)s->gold_correct / (double)s->gold_seen;
                if (acc < q->min_gold)
                        warn(w, "gold", acc, q->min_gold,
                             "answered %ld of %ld control pairs as expected (%.0f%%, below %.0f%%)",
                             s->gold_correct, s->gold_seen, 100 * acc, 100 * q->min_gold);
        }
        return w;
}

enum info_col { I_ID, I_NAME, I_SKIPS, I_AGREE, I_DISAGREE, I_EXCLUDED };

static void raters_info(struct req *r, const struct db_res *res)
{
        struct qjob *q = r->state;
        if (req_db_failed(r, res))
                return;
        long *timed = q->timed;
        json_t *items = json_array();
        int rows = db_res_nrows(res);
        for (int row = 0; row < rows && row < q->limit; row++) {
                uint32_t k;
                struct quality_rater none = { .median_seconds = NAN, .accuracy = NAN, .weight = 1 };
                bool voted =
                    u64map_get(&q->v->rater_index, (uint64_t)db_res_int(res, row, I_ID), &k);
                const struct quality_rater *s = voted ? &q->stats[k] : &none;
                double n = (double)s->votes;
                json_t *e = json_pack(
                    "{s:s, s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:I, s:I, s:{s:I, s:I}, s:f, "
                    "s:b}",
                    "rater", db_res_value(res, row, I_NAME), "votes", (json_int_t)s->votes,
                    "median_seconds", number_or_null(s->median_seconds, 1e-3), "tie_rate",
                    number_or_null(n > 0 ? (double)s->ties / n : NAN, 1e-4), "left_rate",
                    number_or_null(s->decided ? (double)s->left / (double)s->decided : NAN, 1e-4),
                    "gold_seen", (json_int_t)s->gold_seen, "gold_accuracy",
                    number_or_null(
                        s->gold_seen ? (double)s->gold_correct / (double)s->gold_seen : NAN, 1e-4),
                    "agreement",
                    number_or_null(s->agree_n ? (double)s->agree_match / (double)s->agree_n : NAN,
                                   1e-4),
                    "skips", (json_int_t)db_res_int(res, row, I_SKIPS), "flags",
                    (json_int_t)s->flags, "reviews", "agree",
                    (json_int_t)db_res_int(res, row, I_AGREE), "disagree",
                    (json_int_t)db_res_int(res, row, I_DISAGREE), "weight",
                    round(s->weight * 1e4) / 1e4, "excluded", db_res_bool(res, row, I_EXCLUDED));
                json_object_set_new(e, "accuracy", number_or_null(s->accuracy, 1e-4));
                json_object_set_new(e, "warnings", warnings(q, s, voted ? timed[k] : 0));
                json_array_append_new(items, e);
        }
        char next[24];
        snprintf(next, sizeof(next), "%lld", q->offset + q->limit);
        req_reply_json(r, 200,
                       json_pack("{s:o, s:o, s:{s:f, s:f, s:i, s:i, s:i}}", "items", items,
                                 "next_cursor", rows > q->limit ? json_string(next) : json_null(),
                                 "thresholds", "min_seconds", q->min_seconds, "min_gold_accuracy",
                                 q->min_gold, "fast_min_votes", FAST_MIN_VOTES, "side_min_votes",
                                 SIDE_MIN_VOTES, "gold_min_seen", GOLD_MIN_SEEN));
}

static void raters_computed(struct qjob *q)
{
        struct req *r = q->req;
        char id[24], limit[24], offset[24];
        snprintf(id, sizeof(id), "%lld", (long long)q->project);
        snprintf(limit, sizeof(limit), "%ld", q->limit);
        snprintf(offset, sizeof(offset), "%lld", q->offset);
        const char *params[] = { id, limit, offset };
        /* Everyone who took part (voted, skipped, or holds an assignment), a page by name and
         * one more row to tell whether another page follows. */
        req_db(r,
               "SELECT u.id, u.name, "
               "(SELECT count(*) FROM assignments a WHERE a.project_id = $1 AND a.rater_id = u.id "
               "AND a.state = 'skipped'), "
               "(SELECT count(*) FROM reviews w JOIN votes v ON v.id = w.vote_id WHERE "
               "v.project_id = $1 AND v.rater_id = u.id AND w.verdict = 'agree'), "
               "(SELECT count(*) FROM reviews w JOIN votes v ON v.id = w.vote_id WHERE "
               "v.project_id = $1 AND v.rater_id = u.id AND w.verdict = 'disagree'), "
               "EXISTS (SELECT 1 FROM exclusions e WHERE e.project_id = $1 AND e.rater_id = u.id "
               "AND e.undone_at IS NULL) "
               "FROM users u WHERE u.id IN (SELECT rater_id FROM rater_given WHERE project_id = "
               "$1 UNION SELECT rater_id FROM rater_votes WHERE project_id = $1) "
               "ORDER BY u.name LIMIT $2::int + 1 OFFSET $3::bigint",
               3, params, raters_info);
}

void api_quality_raters(struct req *r)
{
        start(r, Q_RATERS);
}

/* --- GET .../agreement --- */

static json_t *agreement_json(const struct quality_agreement *a)
{
        return json_pack("{s:o, s:o, s:I}", "alpha", number_or_null(a->alpha, 1e-4), "percent",
                         number_or_null(a->percent, 1e-4), "units", (json_int_t)a->units);
}

static void agreement_computed(struct qjob *q)
{
        json_t *body = agreement_json(&q->all);
        json_t *by = json_object();
        const char *name;
        json_t *index;
        json_object_foreach(q->v->categories, name, index)
        {
                const struct quality_agreement *a = &q->by_cat[json_integer_value(index)];
                if (a->units > 0)
                        json_object_set_new(by, name, agreement_json(a));
        }
        json_object_set_new(body, "by_category", by);
        req_reply_json(q->req, 200, body);
}

void api_quality_agreement(struct req *r)
{
        start(r, Q_AGREEMENT);
}

/* --- reliability weights for the leaderboard --- */

static void weights_computed(struct qjob *q)
{
        struct tally_weight *w = NULL;
        int status = -1;
        const struct qvotes *v = q->v;
        if (q->rc == 0 && (w = calloc(v->nraters + 1, sizeof(*w)))) {
                for (size_t k = 0; k < v->nraters; k++)
                        w[k] = (struct tally_weight){ v->rater_ids[k], q->stats[k].weight };
                status = 0;
        }
        q->on_weights(q->req, q->weights_arg, status, w, status == 0 ? v->nraters : 0);
        free(w);
        qjob_free(q);
}

void api_quality_weights(struct req *r, int64_t project, api_weights_fn fn, void *arg)
{
        struct qjob *q = calloc(1, sizeof(*q));
        if (!q) {
                fn(r, arg, -1, NULL, 0);
                return;
        }
        q->req = r;
        q->kind = Q_WEIGHTS;
        q->on_weights = fn;
        q->weights_arg = arg;
        qvotes_read(req_db_pool(r), r->app->work, project, votes_read, q);
}

/* --- GET .../flags --- */

static void flags_read(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (!db_res_bool(res, 0, 0)) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        /* each excerpt also rendered as the rater saw it */
        json_t *body = json_loadb(db_res_value(res, 0, 1), db_res_length(res, 0, 1), 0, NULL);
        json_t *list = json_object_get(body, "items");
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it)
        {
                json_t *text = json_object_get(it, "response");
                char *html = json_is_string(text) ? markdown_to_html(json_string_value(text),
                                                                     json_string_length(text))
                                                  : NULL;
                json_object_set_new(it, "response_html", html ? json_string(html) : json_null());
                free(html);
        }
        if (!body) {
                req_reply_error(r, 500, "internal", NULL, "the flags could not be read");
                return;
        }
        req_reply_json(r, 200, body);
}

void api_quality_flags(struct req *r)
{
        long limit;
        long long after;
        if (req_page(r, &limit, &after) != 0)
                return;
        req_db_may_lag(r);
        char l[24], a[24];
        snprintf(l, sizeof(l), "%ld", limit);
        snprintf(a, sizeof(a), "%lld", after);
        const char *params[] = { req_param(r, 0), l, a };
        /* Responses flagged in rated votes, most flagged first; the cursor is an offset. */
        req_db(r,
               "WITH p AS (SELECT id FROM projects WHERE slug = $1), "
               "f AS (SELECT v.resp_left AS resp, x AS flag, v.id AS vote, v.rationale FROM votes "
               "v JOIN p ON v.project_id = p.id, unnest(v.flags_left) x WHERE NOT v.is_gold "
               "AND v.undone_at IS NULL "
               "UNION ALL SELECT v.resp_right, x, v.id, v.rationale FROM votes v JOIN p ON "
               "v.project_id = p.id, unnest(v.flags_right) x WHERE NOT v.is_gold "
               "AND v.undone_at IS NULL), "
               "per AS (SELECT resp, count(DISTINCT vote) AS votes, array_agg(DISTINCT rationale) "
               "FILTER (WHERE rationale <> '') AS rationales FROM f GROUP BY resp), "
               "counts AS (SELECT resp, jsonb_object_agg(flag, n) AS flags FROM (SELECT resp, "
               "flag, count(*) AS n FROM f GROUP BY resp, flag) c GROUP BY resp), "
               "page AS (SELECT per.*, counts.flags FROM per JOIN counts USING (resp) ORDER BY "
               "per.votes DESC, per.resp LIMIT $2::int + 1 OFFSET $3::bigint) "
               "SELECT EXISTS (SELECT 1 FROM p), json_build_object('items', coalesce((SELECT "
               "json_agg(json_build_object('prompt_id', i.ext_id, 'category', i.category, "
               "'model', m.name, 'response', left(r.text, 300), 'votes', pg.votes, 'flags', "
               "pg.flags, 'rationales', coalesce(to_json(pg.rationales[1:20]), '[]')) ORDER BY "
               "pg.votes DESC, pg.resp) FROM (SELECT * FROM page ORDER BY votes DESC, resp LIMIT "
               "$2::int) pg JOIN responses r ON r.id = pg.resp JOIN items i ON i.id = r.item_id "
               "JOIN models m ON m.id = r.model_id), '[]'), 'next_cursor', CASE WHEN (SELECT "
               "count(*) FROM page) > $2::int THEN ($3::bigint + $2::int)::text END)",
               3, params, flags_read);
}

/* --- exclusions --- */

static const char *const exclusion_json =
    "json_build_object('id', e.id, 'rater', u.name, 'vote_id', e.vote_id, 'reason', "
    "e.reason, 'by', b.name, 'created_at', prefd_ts(e.created_at), 'undone_at', "
    "prefd_ts(e.undone_at), 'undone_by', ub.name)";

static void exclusions_listed(struct req *r, const struct db_res *res)
{
        flags_read(r, res); /* same shape: exists, json */
}

void api_quality_exclusions(struct req *r)
{
        const char *params[] = { req_param(r, 0) };
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "WITH p AS (SELECT id FROM projects WHERE slug = $1) "
                 "SELECT EXISTS (SELECT 1 FROM p), json_build_object('items', coalesce((SELECT "
                 "json_agg(%s ORDER BY e.id) FROM exclusions e JOIN p ON e.project_id = p.id "
                 "LEFT JOIN users u ON u.id = e.rater_id LEFT JOIN users b ON b.id = e.created_by "
                 "LEFT JOIN users ub ON ub.id = e.undone_by), '[]'), 'next_cursor', NULL)",
                 exclusion_json);
        req_db(r, sql, 1, params, exclusions_listed);
}

struct exclude {
        char by[24];
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
                                 x->vote[0] ? x->vote : NULL, x->reason, x->by };
        char sql[1024];
        snprintf(sql, sizeof(sql),
                 "SELECT %s FROM prefd_exclusion($1, $2, $3, $4, $5, NULL) e LEFT JOIN users u ON "
                 "u.id = e.rater_id LEFT JOIN users b ON b.id = e.created_by LEFT JOIN users ub ON "
                 "ub.id = e.undone_by",
                 exclusion_json);
        req_db(r, sql, 5, params, excluded);
}

void api_quality_exclude(struct req *r)
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
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        snprintf(x->by, sizeof(x->by), "%lld", (long long)r->user.id);
        snprintf(x->rater, sizeof(x->rater), "%s", rater ? rater : "");
        if (has_vote)
                snprintf(x->vote, sizeof(x->vote), "%lld", vote);
        snprintf(x->reason, sizeof(x->reason), "%s", reason);
        req_set_state(r, x, free);
        const char *params[] = { req_param(r, 0), x->rater, x->vote[0] ? x->vote : NULL };
        req_db(r,
               "WITH p AS (SELECT id FROM projects WHERE slug = $1) "
               "SELECT (SELECT id FROM p), (SELECT id FROM users WHERE name = $2), "
               "(SELECT v.id FROM votes v, p WHERE v.id = $3::bigint AND v.project_id = p.id)",
               3, params, exclusion_checked);
}

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

void api_quality_unexclude(struct req *r)
{
        char by[24];
        const char *id = req_param(r, 1);
        if (strspn(id, "0123456789") != strlen(id) || strlen(id) > 18) {
                req_reply_error(r, 404, "not_found", NULL, "no exclusion \"%s\"", id);
                return;
        }
        snprintf(by, sizeof(by), "%lld", (long long)r->user.id);
        const char *params[] = { req_param(r, 0), id, by };
        req_db(r,
               "SELECT e.id FROM projects p, prefd_exclusion(p.id, NULL, NULL, NULL, $3, "
               "$2::bigint) e "
               "WHERE p.slug = $1",
               3, params, unexcluded);
}

/* --- review --- */

static json_t *rendered(const char *text, size_t len)
{
        char *html = markdown_to_html(text, len);
        json_t *o = json_pack("{s:s%, s:s}", "text", text, len, "html", html ? html : "");
        free(html);
        return o;
}

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
        R_REVIEWS
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
            rendered(db_res_value(res, 0, R_PROMPT), db_res_length(res, 0, R_PROMPT)), "left",
            rendered(db_res_value(res, 0, R_LEFT), db_res_length(res, 0, R_LEFT)), "right",
            rendered(db_res_value(res, 0, R_RIGHT), db_res_length(res, 0, R_RIGHT)), "choice",
            db_res_value(res, 0, R_CHOICE), "flags", "a",
            json_loads(db_res_value(res, 0, R_FLAGS_A), 0, NULL), "b",
            json_loads(db_res_value(res, 0, R_FLAGS_B), 0, NULL), "rationale",
            db_res_value(res, 0, R_RATIONALE), "outcomes",
            json_loads(db_res_value(res, 0, R_OUTCOMES), 0, NULL), "reviews",
            (json_int_t)db_res_int(res, 0, R_REVIEWS));
        if (!body) {
                req_reply_error(r, 500, "internal", NULL, "the review could not be rendered");
                return;
        }
        req_reply_json(r, 200, body);
}

void api_quality_review_next(struct req *r)
{
        char uid[24];
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        const char *params[] = { req_param(r, 0), uid,
                                 r->user.role == ROLE_ADMIN ? "true" : "false" };
        req_db(r,
               "WITH p AS (SELECT * FROM projects WHERE slug = $1), "
               "a AS (SELECT $3::boolean OR EXISTS (SELECT 1 FROM project_members m, p WHERE "
               "m.project_id = p.id AND m.kind = 'reviewer' AND m.user_id = $2) AS allowed), "
               "n AS (SELECT CASE WHEN a.allowed THEN prefd_review_next(p.id, $2) END AS vote "
               "FROM p, a) "
               "SELECT a.allowed, v.id, i.prompt, rl.text, rr.text, v.choice, "
               "to_json(v.flags_left), to_json(v.flags_right), v.rationale, to_json(p.outcomes), "
               "v.reviews "
               "FROM p CROSS JOIN a CROSS JOIN n LEFT JOIN votes v ON v.id = n.vote "
               "LEFT JOIN items i ON i.id = v.item_id LEFT JOIN responses rl ON rl.id = "
               "v.resp_left LEFT JOIN responses rr ON rr.id = v.resp_right",
               3, params, review_found);
}

static void reviewed(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (strcmp(status, "created") == 0 || strcmp(status, "same") == 0) {
                req_reply_json(r, status[0] == 'c' ? 201 : 200,
                               json_pack("{s:I}", "review_id", (json_int_t)db_res_int(res, 0, 1)));
        } else if (strcmp(status, "not_found") == 0) {
                req_reply_error(r, 404, "not_found", NULL, "no rated vote %s", req_param(r, 0));
        } else if (strcmp(status, "forbidden") == 0) {
                req_reply_error(r, 403, "forbidden", NULL,
                                "you are not a reviewer of this vote's project");
        } else if (strcmp(status, "own") == 0) {
                req_reply_error(r, 403, "forbidden", NULL, "you cannot review your own vote");
        } else {
                req_reply_error(r, 409, "conflict", NULL,
                                "you reviewed this vote already, differently");
        }
}

void api_quality_review(struct req *r)
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
        char uid[24];
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        const char *params[] = { id, uid, r->user.role == ROLE_ADMIN ? "true" : "false", verdict,
                                 comment };
        req_db(r, "SELECT * FROM prefd_review($1, $2, $3, $4, $5)", 5, params, reviewed);
}
