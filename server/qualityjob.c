/*
 * qualityjob.c - a project's quality figures for a request: its settings and rated votes read,
 * the statistics or the agreement computed on a worker, and one rater's figures as the API
 * shows them (qualityjob.h).
 */
#include "qualityjob.h"

#include "app.h"
#include "db.h"
#include "qvotes.h"
#include "u64map.h"
#include "work.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_Z 2.576 /* two-sided 99% for a fair coin */

/* --- the project's rated votes, as quality.h sees them --- */

void qjob_free(void *p)
{
        struct qjob *q = p;
        qvotes_free(q->v);
        free(q->timed);
        free(q->stats);
        free(q->by_cat);
        json_decref(q->body);
        free(q);
}

/* On a worker: the statistics (with the reliability fit) or the agreement. */
static void compute(void *arg)
{
        struct qjob *q = arg;
        q->rc = -1;
        const struct qvotes *v = q->v;
        if (q->kind == QJOB_AGREEMENT) {
                size_t nc = json_object_size(v->categories);
                if ((q->by_cat = calloc(nc + 1, sizeof(*q->by_cat))))
                        q->rc = quality_agreement(v->votes, v->n, nc, &q->all, q->by_cat);
                return;
        }
        if (!(q->stats = calloc(v->nraters + 1, sizeof(*q->stats))))
                return;
        q->rc = quality_raters(v->votes, v->n, v->nraters, q->stats);
        if ((q->kind == QJOB_RATERS || q->kind == QJOB_STATS) && q->rc == 0) {
                if (!(q->timed = calloc(v->nraters + 1, sizeof(long)))) {
                        q->rc = -1;
                        return;
                }
                for (size_t i = 0; i < v->n; i++)
                        q->timed[v->votes[i].rater] += v->votes[i].seconds >= 0;
        }
}

static void stats_computed(struct qjob *q);

static void computed(void *arg)
{
        struct qjob *q = arg;
        if (q->kind == QJOB_STATS) {
                stats_computed(q);
                return;
        }
        if (q->rc != 0) {
                req_reply_oom(q->req);
                return;
        }
        q->done(q);
}

/* The votes arrived: the computing goes to a worker. */
static void votes_read(struct qvotes *v, const char *error, void *arg)
{
        struct qjob *q = arg;
        q->v = v;
        if (v && work_submit(q->req->app->work, compute, computed, q) == 0)
                return;
        if (q->kind == QJOB_STATS) {
                q->on_stats(q->req, q->stats_arg, -1, NULL, NULL);
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

json_t *qjob_number(double x, double unit)
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

static const char project_sql[] = "SELECT id, qc_min_seconds, qc_min_gold_accuracy "
                                  "FROM projects "
                                  "WHERE slug = $1";

void qjob_start(struct req *r, enum qjob_kind kind, void (*done)(struct qjob *q))
{
        struct qjob *q = calloc(1, sizeof(*q));
        if (!q) {
                req_reply_oom(r);
                return;
        }
        q->req = r;
        q->kind = kind;
        q->done = done;
        req_set_state(r, q, qjob_free);
        req_db_may_lag(r); /* statistics: a standby's copy will do */
        if (kind == QJOB_RATERS && req_page(r) != 0)
                return;
        const char *params[] = { req_param(r, 0) };
        req_db(r, project_sql, 1, params, project_read);
}

/* --- one rater as GET .../raters shows them --- */

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
        if (timed >= QJOB_FAST_MIN_VOTES && s->median_seconds < q->min_seconds)
                warn(w, "fast", s->median_seconds, q->min_seconds,
                     "median %.1f s per vote over %ld votes, below %.1f s", s->median_seconds,
                     timed, q->min_seconds);
        if (s->decided >= QJOB_SIDE_MIN_VOTES) {
                double rate = (double)s->left / (double)s->decided;
                double margin = SIDE_Z * sqrt(0.25 / (double)s->decided);
                if (fabs(rate - 0.5) > margin)
                        warn(w, "side_bias", rate, 0.5 + (rate > 0.5 ? margin : -margin),
                             "chose the %s answer in %.0f%% of %ld decided votes (a fair rater "
                             "stays within 50%% +- %.0f%%)",
                             rate > 0.5 ? "left" : "right", 100 * (rate > 0.5 ? rate : 1 - rate),
                             s->decided, 100 * margin);
        }
        if (s->gold_seen >= QJOB_GOLD_MIN_SEEN) {
                double acc = (double)s->gold_correct / (double)s->gold_seen;
                if (acc < q->min_gold)
                        warn(w, "gold", acc, q->min_gold,
                             "answered %ld of %ld control pairs as expected (%.0f%%, below %.0f%%)",
                             s->gold_correct, s->gold_seen, 100 * acc, 100 * q->min_gold);
        }
        return w;
}

/* One rater's statistics as GET .../raters and GET /me/projects/{slug}/stats show them (the
 * numbers quality.h computed; the caller adds who and what the database knows). */
json_t *qjob_rater_json(const struct qjob *q, const struct quality_rater *s, long timed)
{
        double n = (double)s->votes;
        json_t *e = json_pack(
            "{s:I, s:o, s:o, s:o, s:I, s:o, s:o, s:I, s:f}", "votes", (json_int_t)s->votes,
            "median_seconds", qjob_number(s->median_seconds, 1e-3), "tie_rate",
            qjob_number(n > 0 ? (double)s->ties / n : NAN, 1e-4), "left_rate",
            qjob_number(s->decided ? (double)s->left / (double)s->decided : NAN, 1e-4), "gold_seen",
            (json_int_t)s->gold_seen, "gold_accuracy",
            qjob_number(s->gold_seen ? (double)s->gold_correct / (double)s->gold_seen : NAN, 1e-4),
            "agreement",
            qjob_number(s->agree_n ? (double)s->agree_match / (double)s->agree_n : NAN, 1e-4),
            "flags", (json_int_t)s->flags, "weight", round(s->weight * 1e4) / 1e4);
        json_object_set_new(e, "accuracy", qjob_number(s->accuracy, 1e-4));
        json_object_set_new(e, "warnings", warnings(q, s, timed));
        return e;
}

json_t *qjob_thresholds(const struct qjob *q)
{
        return json_pack("{s:f, s:f, s:i, s:i, s:i}", "min_seconds", q->min_seconds,
                         "min_gold_accuracy", q->min_gold, "fast_min_votes", QJOB_FAST_MIN_VOTES,
                         "side_min_votes", QJOB_SIDE_MIN_VOTES, "gold_min_seen",
                         QJOB_GOLD_MIN_SEEN);
}

/* --- one rater's statistics beside the project's medians --- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* The median of the finite values among n, NaN when none (sorts xs). */
static double median_of(double *xs, size_t n)
{
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (isfinite(xs[i]))
                        xs[m++] = xs[i];
        if (m == 0)
                return NAN;
        qsort(xs, m, sizeof(*xs), cmp_double);
        return m % 2 ? xs[m / 2] : (xs[m / 2 - 1] + xs[m / 2]) / 2;
}

enum med {
        MED_VOTES,
        MED_SECONDS,
        MED_TIES,
        MED_LEFT,
        MED_GOLD,
        MED_AGREE,
        MED_ACC,
        MED_WEIGHT,
        MED_N
};
static const char *const med_names[MED_N] = { "votes",     "median_seconds", "tie_rate",
                                              "left_rate", "gold_accuracy",  "agreement",
                                              "accuracy",  "weight" };
static const double med_units[MED_N] = { 1e-1, 1e-3, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4, 1e-4 };

static void stats_computed(struct qjob *q)
{
        if (q->rc != 0) {
                q->on_stats(q->req, q->stats_arg, -1, NULL, NULL);
                qjob_free(q);
                return;
        }
        const struct qvotes *v = q->v;
        uint32_t k;
        struct quality_rater none = { .median_seconds = NAN, .accuracy = NAN, .weight = 1 };
        bool voted = u64map_get(&v->rater_index, (uint64_t)q->rater, &k);
        json_t *mine = qjob_rater_json(q, voted ? &q->stats[k] : &none, voted ? q->timed[k] : 0);
        /* the project's median rater, over the raters with a vote on an ordinary comparison or
         * a control pair */
        size_t n = 0;
        double *xs = calloc((v->nraters + 1) * MED_N, sizeof(double));
        json_t *med = json_object();
        if (xs) {
                for (size_t i = 0; i < v->nraters; i++) {
                        const struct quality_rater *s = &q->stats[i];
                        if (s->votes == 0 && s->gold_seen == 0)
                                continue;
                        double *x = xs + n * MED_N;
                        x[MED_VOTES] = (double)s->votes;
                        x[MED_SECONDS] = s->median_seconds;
                        x[MED_TIES] = s->votes ? (double)s->ties / (double)s->votes : NAN;
                        x[MED_LEFT] = s->decided ? (double)s->left / (double)s->decided : NAN;
                        x[MED_GOLD] =
                            s->gold_seen ? (double)s->gold_correct / (double)s->gold_seen : NAN;
                        x[MED_AGREE] =
                            s->agree_n ? (double)s->agree_match / (double)s->agree_n : NAN;
                        x[MED_ACC] = s->accuracy;
                        x[MED_WEIGHT] = s->weight;
                        n++;
                }
                double *col = calloc(n + 1, sizeof(double));
                for (int m = 0; col && m < MED_N; m++) {
                        for (size_t i = 0; i < n; i++)
                                col[i] = xs[i * MED_N + (size_t)m];
                        json_object_set_new(med, med_names[m],
                                            qjob_number(median_of(col, n), med_units[m]));
                }
                free(col);
                free(xs);
        }
        json_t *out = json_pack("{s:o, s:o, s:I, s:o}", "mine", mine, "project_median", med,
                                "raters", (json_int_t)n, "thresholds", qjob_thresholds(q));
        q->on_stats(q->req, q->stats_arg, out ? 0 : -1, out, NULL);
        qjob_free(q);
}

void qjob_rater_stats(struct req *r, int64_t project, int64_t rater, double min_seconds,
                      double min_gold, qjob_stats_fn fn, void *arg)
{
        struct qjob *q = calloc(1, sizeof(*q));
        if (!q) {
                fn(r, arg, -1, NULL, NULL);
                return;
        }
        q->req = r;
        q->kind = QJOB_STATS;
        q->project = project;
        q->rater = rater;
        q->min_seconds = min_seconds;
        q->min_gold = min_gold;
        q->on_stats = fn;
        q->stats_arg = arg;
        qvotes_read(req_db_pool(r), r->app->work, project, votes_read, q);
}
