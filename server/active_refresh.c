/*
 * active_refresh.c - the periodic refresh of active-sampling weights; see active_refresh.h.
 */
#include "active_refresh.h"

#include "active.h"
#include "app.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "rank.h"
#include "tally.h"
#include "u64map.h"
#include "work.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The open projects under the active schedule. */
static const char projects_sql[] = "SELECT id "
                                   "FROM projects "
                                   "WHERE schedule = 'active' AND status = 'active' "
                                   "ORDER BY id";
/* Project $1's model pairs that have comparisons. */
static const char pairs_sql[] = "SELECT model_lo, model_hi "
                                "FROM model_pairs "
                                "WHERE project_id = $1 AND comparisons > 0 "
                                "ORDER BY 1, 2";
/* Stores project $1's weights ($5) of its pairs ($3, $4), fitted from $2 votes. */
static const char save_sql[] =
    "SELECT prefd_pair_weights_save($1, $2, $3::bigint[], $4::bigint[], $5::float8[])";

/* The project in hand: its model pairs (ids), the fit's input and the weights. */
struct job {
        int64_t project;
        size_t nmodels, npairs, ncounts;
        int64_t *models;           /* sorted model ids; index = the fit's model index */
        int64_t *lo, *hi;          /* the candidate pairs, as ids */
        struct active_pair *pairs; /* the same, as indices */
        struct rank_pair *counts;  /* counted votes per pair */
        double votes;              /* their total */
        double *w;                 /* weights, npairs */
        int rc;                    /* of the worker: 0 when w is filled */
};

struct active_refresh {
        struct app *app;
        struct event *timer;
        bool busy, stopping;
        int64_t *projects; /* this cycle's */
        size_t nprojects, next;
        struct job job;
        struct u64map written; /* project -> index into votes_written, pairs_written */
        double *votes_written;
        size_t *pairs_written;
        size_t nwritten;
};

static void job_fini(struct job *j)
{
        free(j->models);
        free(j->lo);
        free(j->hi);
        free(j->pairs);
        free(j->counts);
        free(j->w);
        memset(j, 0, sizeof(*j));
}

static void next_project(struct active_refresh *a);

static void cycle_end(struct active_refresh *a)
{
        job_fini(&a->job);
        free(a->projects);
        a->projects = NULL;
        a->nprojects = a->next = 0;
        a->busy = false;
}

static int by_id(const void *x, const void *y)
{
        int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
        return a < b ? -1 : a > b;
}

static long model_index(const struct job *j, int64_t id)
{
        const int64_t *p = bsearch(&id, j->models, j->nmodels, sizeof(int64_t), by_id);
        return p ? (long)(p - j->models) : -1;
}

/* On a worker: the fit and the weights (only a->job, which the loop leaves alone meanwhile). */
static void job_run(void *arg)
{
        struct job *j = &((struct active_refresh *)arg)->job;
        struct rank_opts o;
        rank_opts_default(&o);
        o.covariance = true;
        o.ci = RANK_CI_NONE;
        o.model_se = false;
        struct rank_result r;
        char err[256];
        j->rc = -1;
        if (rank_fit(j->nmodels, j->counts, j->ncounts, &o, &r, err, sizeof(err)) != 0)
                return;
        j->rc = active_weights(&r, j->pairs, j->npairs, ACTIVE_FLOOR, ACTIVE_POWER, j->w);
        rank_result_fini(&r);
}

/* "{1,2,3}": a SQL array's text (data, not query text); NULL when out of memory. */
static char *array_text(const int64_t *iv, const double *dv, size_t n)
{
        struct buf b = { 0 };
        char num[40];
        buf_str(&b, "{");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        buf_str(&b, ",");
                if (iv)
                        buf_uint(&b, (uint64_t)iv[i]);
                else {
                        snprintf(num, sizeof(num), "%.17g", dv[i]);
                        buf_str(&b, num);
                }
        }
        buf_put(&b, "}", 2); /* with its NUL */
        if (b.oom) {
                buf_fini(&b);
                return NULL;
        }
        return buf_take(&b);
}

/* What this process last wrote for a project: its counted votes and candidate pairs. */
static void remember(struct active_refresh *a, int64_t project, double votes, size_t pairs)
{
        uint32_t k;
        if (u64map_get(&a->written, (uint64_t)project, &k)) {
                a->votes_written[k] = votes;
                a->pairs_written[k] = pairs;
                return;
        }
        double *v = realloc(a->votes_written, (a->nwritten + 1) * sizeof(*v));
        if (!v)
                return;
        a->votes_written = v;
        size_t *p = realloc(a->pairs_written, (a->nwritten + 1) * sizeof(*p));
        if (!p)
                return;
        a->pairs_written = p;
        if (u64map_put(&a->written, (uint64_t)project, (uint32_t)a->nwritten) != 0)
                return;
        v[a->nwritten] = votes;
        p[a->nwritten++] = pairs;
}

static void saved(const struct db_res *res, void *arg)
{
        struct active_refresh *a = arg;
        if (db_res_status(res) == DB_FAILED || db_res_status(res) == DB_UNAVAILABLE) {
                log_warn(NULL, "msg=active_weights_not_saved project=%lld error=%s",
                         (long long)a->job.project, LOGQ(db_res_message(res)));
        } else {
                bool wrote = db_res_nrows(res) > 0 && db_res_bool(res, 0, 0);
                remember(a, a->job.project, a->job.votes, a->job.npairs);
                log_debug(NULL, "msg=active_weights project=%lld pairs=%zu votes=%.0f wrote=%d",
                          (long long)a->job.project, a->job.npairs, a->job.votes, (int)wrote);
        }
        next_project(a);
}

static void job_done(void *arg)
{
        struct active_refresh *a = arg;
        struct job *j = &a->job;
        if (a->stopping || j->rc != 0) {
                if (j->rc != 0)
                        log_warn(NULL, "msg=active_weights_failed project=%lld",
                                 (long long)j->project);
                next_project(a);
                return;
        }
        char id[24], votes[40];
        snprintf(id, sizeof(id), "%lld", (long long)j->project);
        snprintf(votes, sizeof(votes), "%.17g", j->votes);
        char *lo = array_text(j->lo, NULL, j->npairs), *hi = array_text(j->hi, NULL, j->npairs);
        char *w = array_text(NULL, j->w, j->npairs);
        if (!lo || !hi || !w) {
                free(lo);
                free(hi);
                free(w);
                next_project(a);
                return;
        }
        const char *params[] = { id, votes, lo, hi, w };
        db_query(a->app->db, save_sql, 5, params, saved, a);
        free(lo);
        free(hi);
        free(w);
}

/* The vote index is current: the fit's input, then the worker. */
static void synced(int status, const char *message, void *arg)
{
        struct active_refresh *a = arg;
        struct job *j = &a->job;
        struct tally_pair *tp = NULL;
        size_t ntp = 0;
        if (a->stopping || status != 0 ||
            tally_count(a->app->tally, j->project, &(struct tally_filter){ 0 }, &tp, &ntp) != 0)
                goto skip;
        j->votes = 0;
        for (size_t i = 0; i < ntp; i++)
                j->votes += tp[i].lo_wins + tp[i].hi_wins + tp[i].ties + tp[i].both_bad;
        uint32_t k;
        if (j->votes <= 0 || (u64map_get(&a->written, (uint64_t)j->project, &k) &&
                              a->votes_written[k] == j->votes && a->pairs_written[k] == j->npairs))
                goto skip;
        /* the models: those of the candidate pairs and of the votes */
        size_t cap = 2 * (j->npairs + ntp);
        if (!(j->models = malloc((cap ? cap : 1) * sizeof(int64_t))) ||
            !(j->counts = malloc((ntp ? ntp : 1) * sizeof(*j->counts))) ||
            !(j->pairs = malloc(j->npairs * sizeof(*j->pairs))) ||
            !(j->w = malloc(j->npairs * sizeof(*j->w))))
                goto skip;
        size_t n = 0;
        for (size_t i = 0; i < j->npairs; i++) {
                j->models[n++] = j->lo[i];
                j->models[n++] = j->hi[i];
        }
        for (size_t i = 0; i < ntp; i++) {
                j->models[n++] = tp[i].lo;
                j->models[n++] = tp[i].hi;
        }
        qsort(j->models, n, sizeof(int64_t), by_id);
        size_t u = 0;
        for (size_t i = 0; i < n; i++)
                if (u == 0 || j->models[u - 1] != j->models[i])
                        j->models[u++] = j->models[i];
        j->nmodels = u;
        if (u < 2 || u > RANK_MODELS_MAX)
                goto skip;
        for (size_t i = 0; i < j->npairs; i++)
                j->pairs[i] = (struct active_pair){ (uint32_t)model_index(j, j->lo[i]),
                                                    (uint32_t)model_index(j, j->hi[i]) };
        for (size_t i = 0; i < ntp; i++)
                j->counts[i] = (struct rank_pair){ (uint32_t)model_index(j, tp[i].lo),
                                                   (uint32_t)model_index(j, tp[i].hi),
                                                   tp[i].lo_wins,
                                                   tp[i].hi_wins,
                                                   tp[i].ties,
                                                   tp[i].both_bad };
        j->ncounts = ntp;
        free(tp);
        if (work_submit(a->app->work, job_run, job_done, a) != 0)
                next_project(a);
        return;
skip:
        free(tp);
        next_project(a);
}

static void pairs_read(const struct db_res *res, void *arg)
{
        struct active_refresh *a = arg;
        struct job *j = &a->job;
        if (a->stopping || db_res_status(res) == DB_FAILED ||
            db_res_status(res) == DB_UNAVAILABLE) {
                next_project(a);
                return;
        }
        int rows = db_res_nrows(res);
        if (rows == 0 || !(j->lo = malloc((size_t)rows * sizeof(int64_t))) ||
            !(j->hi = malloc((size_t)rows * sizeof(int64_t)))) {
                next_project(a);
                return;
        }
        for (int i = 0; i < rows; i++) {
                j->lo[i] = db_res_int(res, i, 0);
                j->hi[i] = db_res_int(res, i, 1);
        }
        j->npairs = (size_t)rows;
        tally_sync(a->app->tally, j->project, synced, a);
}

static void next_project(struct active_refresh *a)
{
        job_fini(&a->job);
        if (a->stopping || a->next >= a->nprojects) {
                cycle_end(a);
                return;
        }
        a->job.project = a->projects[a->next++];
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)a->job.project);
        const char *params[] = { id };
        db_query(a->app->db_read, pairs_sql, 1, params, pairs_read, a);
}

static void projects_read(const struct db_res *res, void *arg)
{
        struct active_refresh *a = arg;
        int rows = db_res_status(res) == DB_OK ? db_res_nrows(res) : 0;
        if (a->stopping || rows <= 0 || !(a->projects = malloc((size_t)rows * sizeof(int64_t)))) {
                cycle_end(a);
                return;
        }
        for (int i = 0; i < rows; i++)
                a->projects[i] = db_res_int(res, i, 0);
        a->nprojects = (size_t)rows;
        a->next = 0;
        next_project(a);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
        struct active_refresh *a = arg;
        if (a->busy || a->stopping || !a->app->schema_ok || a->app->shutting_down)
                return;
        a->busy = true;
        db_query(a->app->db_read, projects_sql, 0, NULL, projects_read, a);
}

struct active_refresh *active_refresh_new(struct app *app)
{
        struct active_refresh *a = calloc(1, sizeof(*a));
        if (!a)
                return NULL;
        a->app = app;
        a->timer = event_new(app->base, -1, EV_PERSIST, tick_cb, a);
        double s = app->cfg->active_refresh;
        struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
        if (!a->timer || event_add(a->timer, &tv) != 0) {
                active_refresh_free(a);
                return NULL;
        }
        return a;
}

void active_refresh_stop(struct active_refresh *a)
{
        if (!a)
                return;
        a->stopping = true;
        if (a->timer)
                event_del(a->timer);
}

void active_refresh_free(struct active_refresh *a)
{
        if (!a)
                return;
        if (a->timer)
                event_free(a->timer);
        job_fini(&a->job);
        free(a->projects);
        u64map_fini(&a->written);
        free(a->votes_written);
        free(a->pairs_written);
        free(a);
}
