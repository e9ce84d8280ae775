/*
 * qualityjob.h - a project's quality figures for a request, off the event loop.
 *
 * qjob_start reads the project the route names (404 when there is none), then its rated votes
 * (qvotes.h: chunks parsed on workers), computes the rater statistics (quality.h, with the
 * reliability fit) or the agreement on a worker, and calls done on the loop with the results
 * in the job (the request's state, freed with it); a failure on the way is answered (503, 500)
 * and done is not called. qjob_rater_stats computes one rater's figures beside the project's
 * median rater for a caller that is not a route of its own (GET /me/projects/{slug}/stats).
 *
 * qjob_rater_json and qjob_thresholds give a rater's figures and the warning thresholds in the
 * shapes of GET .../raters, so that every endpoint says them alike.
 */
#ifndef PREFD_QUALITYJOB_H
#define PREFD_QUALITYJOB_H

#include "quality.h"
#include "req.h"

#include <jansson.h>
#include <stdint.h>

#define QJOB_FAST_MIN_VOTES 10 /* timed votes before "fast" can be said */
#define QJOB_SIDE_MIN_VOTES 20 /* decided votes before "side_bias" can be said */
#define QJOB_GOLD_MIN_SEEN  5  /* control pairs before "gold" can be said */

enum qjob_kind { QJOB_RATERS, QJOB_AGREEMENT, QJOB_STATS };

/* Receives one rater's statistics (status 0; stats {"mine", "project_median", "raters",
 * "thresholds"}, stolen by the callee) or a failure (-1, NULL); unused is NULL. */
typedef void (*qjob_stats_fn)(struct req *r, void *arg, int status, json_t *stats, json_t *unused);

struct qjob {
        struct req *req;
        enum qjob_kind kind;
        void (*done)(struct qjob *q);
        int64_t project;
        double min_seconds, min_gold; /* the project's thresholds */
        struct qvotes *v;             /* the votes (qvotes.h) */
        long *timed;                  /* per rater, the votes that reported their time */
        /* results */
        int rc;
        struct quality_rater *stats;           /* QJOB_RATERS, QJOB_STATS: per rater */
        struct quality_agreement all, *by_cat; /* QJOB_AGREEMENT: overall and per category */
        json_t *body;           /* the handler's: a reply waiting for a further statement */
        int64_t rater;          /* QJOB_STATS: whose */
        qjob_stats_fn on_stats; /* QJOB_STATS: who wants them */
        void *stats_arg;
};

void qjob_start(struct req *r, enum qjob_kind kind, void (*done)(struct qjob *q));
void qjob_rater_stats(struct req *r, int64_t project, int64_t rater, double min_seconds,
                      double min_gold, qjob_stats_fn fn, void *arg);
void qjob_free(void *q);

/* A rater's figures (s; timed: their votes that reported a time) with warnings. */
json_t *qjob_rater_json(const struct qjob *q, const struct quality_rater *s, long timed);
/* {"min_seconds", "min_gold_accuracy", "fast_min_votes", "side_min_votes", "gold_min_seen"} */
json_t *qjob_thresholds(const struct qjob *q);
/* x rounded to a multiple of unit, or null when it is not finite. */
json_t *qjob_number(double x, double unit);

#endif
