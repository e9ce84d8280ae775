/*
 * fit.h - small pieces both model fits use (rank.c's Bradley-Terry and Davidson, stylefit.c's
 * contextual Bradley-Terry).
 */
#ifndef FIT_H
#define FIT_H

#include "prefd.h"

struct rank_model;

#define FIT_TOL       1e-9 /* Newton has converged when its largest step is below this */
#define FIT_ITER      100  /* Newton iterations before giving up */
#define FIT_BOOT_TOL  1e-7 /* bootstrap refits: the same test, 1.7e-5 points at scale 400 */
#define FIT_CHORD_MAX 60   /* chord iterations before giving up */

/* Scratch of one Newton solver (the main fit, or one thread's refits). */
struct fit_work {
        double *g, *g2; /* gradients at x and at the trial point */
        double *d;      /* the step */
        double *xt;     /* the trial point */
        double *h, *h2; /* Hessians at x and at the trial point (m x m, lower triangle) */
};

/* Vectors of nvec doubles, Hessians of nmat; 0, or -1 (nothing held) when memory ran out. */
int fit_work_init(struct fit_work *W, size_t nvec, size_t nmat) PREFD_MUSTCHECK;
/* Frees what fit_work_init allocated (freeing a zeroed one is a no-op). */
void fit_work_free(struct fit_work *W);

/*
 * A fit's objective for the Newton pieces below: a log-posterior (or penalised log-likelihood)
 * to be maximised over m free parameters, read from a point x of nx >= m doubles (the entries
 * not free ride along).
 */
struct fit_problem {
        void *ctx; /* handed to each callback */
        size_t m;  /* free parameters: the length of gradients and steps */
        size_t nx; /* the length of x */
        /* The objective at x, its gradient into g (m) and, unless h is NULL, the negative of its
         * Hessian into h (m x m, lower triangle). */
        double (*eval)(void *ctx, const double *x, double *g, double *h);
        /* The gradient alone into g (m), as cheaply as it can be had. */
        void (*grad)(void *ctx, const double *x, double *g);
        /* x += step * d over the free parameters. */
        void (*move)(void *ctx, double *x, const double *d, double step);
};

/*
 * Newton's method with backtracking from x: at most FIT_ITER steps, each solved with the
 * Hessian's Cholesky factor and halved (60 times at most) until the objective does not fall.
 * Once the largest step is below chord_from (0: never) the factor is kept and full steps are
 * taken with fresh gradients for as long as each shrinks the step fourfold. True on convergence
 * (a step below FIT_TOL); x always ends finite (the last accepted point); *iters the steps
 * taken. Uses W->g, g2, d, xt, h, h2; W->h ends holding the Hessian at x, W->g its gradient.
 */
bool fit_newton(const struct fit_problem *F, struct fit_work *W, double *x, double chord_from,
                unsigned *iters);

/*
 * Fixed-Hessian (chord) iterations from x with lo, the Cholesky factor of a nearby fit's
 * Hessian (bootstrap resamples sit close to the full fit): true once a step is below
 * FIT_BOOT_TOL, false when a step grows above 1 or FIT_CHORD_MAX pass. Uses W->d.
 */
bool fit_chord(const struct fit_problem *F, struct fit_work *W, double *x, const double *lo);

/* Formats a message into err (errlen bytes; nothing when err is NULL). */
void fit_seterr(char *err, size_t errlen, const char *fmt, ...) PREFD_PRINTF(3, 4);
/* The largest |v[i]| of m values (0 for none); NaN when one is NaN. */
double fit_max_abs(const double *v, size_t m);

/*
 * Runs fn on n work items (item k at (char *)items + k * stride): item 0 on this thread, the
 * others on threads of their own, joined before it returns; an item whose thread cannot be
 * started runs on this thread afterwards.
 */
void fit_parallel(void *items, size_t n, size_t stride, void (*fn)(void *item));
/*
 * Runs rounds [0, rounds) of a resampling scheme on n work items as fit_parallel does: item k
 * takes an even share of them, in order, calling round(item, r) for each.
 */
void fit_rounds(void *items, size_t n, size_t stride, unsigned rounds,
                void (*round)(void *item, unsigned r));

/*
 * The flags of a fitted model: size its component's number of models, won and lost the
 * outcomes that count for it, anchor the anchor model (or -1) and i its index.
 */
unsigned fit_model_flags(size_t size, double won, double lost, long anchor, size_t i);
/*
 * Ranks as the arena reports them: 1 + the models of the same component whose interval lies
 * wholly above this one's. n models.
 */
void fit_rank_models(struct rank_model *models, size_t n);

#endif
