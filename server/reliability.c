/*
 * reliability.c - raters' reliability weights for weighted rankings (reliability.h).
 */
#include "reliability.h"

#include "app.h"
#include "quality.h"
#include "qvotes.h"
#include "req.h"
#include "tally.h"
#include "work.h"

#include <stdlib.h>

struct job {
        struct req *req;
        reliability_fn fn;
        void *arg;
        struct qvotes *v;
        struct tally_weight *w; /* per rater, from a worker; NULL on failure */
};

static void job_done(struct job *j, int status)
{
        j->fn(j->req, j->arg, status, j->w, status == 0 ? j->v->nraters : 0);
        qvotes_free(j->v);
        free(j->w);
        free(j);
}

/* On a worker: the statistics of quality.h, of which the weights. */
static void compute(void *arg)
{
        struct job *j = arg;
        const struct qvotes *v = j->v;
        struct quality_rater *stats = calloc(v->nraters + 1, sizeof(*stats));
        struct tally_weight *w = calloc(v->nraters + 1, sizeof(*w));
        if (stats && w && quality_raters(v->votes, v->n, v->nraters, stats) == 0) {
                for (size_t k = 0; k < v->nraters; k++)
                        w[k] = (struct tally_weight){ v->rater_ids[k], stats[k].weight };
                j->w = w;
                w = NULL;
        }
        free(stats);
        free(w);
}

static void computed(void *arg)
{
        struct job *j = arg;
        job_done(j, j->w ? 0 : -1);
}

static void votes_read(struct qvotes *v, const char *error, void *arg)
{
        struct job *j = arg;
        j->v = v;
        if (!v || work_submit(j->req->app->work, compute, computed, j) != 0)
                job_done(j, -1);
}

void reliability_weights(struct req *r, int64_t project, reliability_fn fn, void *arg)
{
        struct job *j = calloc(1, sizeof(*j));
        if (!j) {
                fn(r, arg, -1, NULL, 0);
                return;
        }
        *j = (struct job){ .req = r, .fn = fn, .arg = arg };
        qvotes_read(req_db_pool(r), r->app->work, project, votes_read, j);
}
