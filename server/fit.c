/*
 * fit.c - what the two model fits share (fit.h).
 */
#include "fit.h"

#include "numeric.h"
#include "rank.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fit_seterr(char *err, size_t errlen, const char *fmt, ...)
{
        if (!err || errlen == 0)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
}

double fit_max_abs(const double *v, size_t m)
{
        double r = 0;
        for (size_t i = 0; i < m; i++) {
                if (isnan(v[i]))
                        return NAN;
                r = MAX(r, fabs(v[i]));
        }
        return r;
}

struct thread_item {
        void (*fn)(void *item);
        void *item;
        /* fit_rounds: the item's rounds [r0, r1) and what runs each */
        void (*round)(void *item, unsigned r);
        unsigned r0, r1;
};

static void run_item(struct thread_item *t)
{
        if (t->round) {
                for (unsigned r = t->r0; r < t->r1; r++)
                        t->round(t->item, r);
        } else {
                t->fn(t->item);
        }
}

static void *thread_main(void *arg)
{
        run_item(arg);
        return NULL;
}

/* Runs the n items of t, t[0] on this thread and the others on threads of their own. */
static void run_items(struct thread_item *t, size_t n)
{
        pthread_t *tid = n > 1 ? calloc(n, sizeof(*tid)) : NULL;
        bool *started = n > 1 ? calloc(n, sizeof(*started)) : NULL;
        for (size_t k = 1; tid && started && k < n; k++)
                started[k] = pthread_create(&tid[k], NULL, thread_main, &t[k]) == 0;
        run_item(&t[0]);
        for (size_t k = 1; k < n; k++) {
                if (started && started[k])
                        pthread_join(tid[k], NULL);
                else
                        run_item(&t[k]);
        }
        free(tid);
        free(started);
}

void fit_parallel(void *items, size_t n, size_t stride, void (*fn)(void *item))
{
        if (n == 0)
                return;
        struct thread_item one = { fn, items, NULL, 0, 0 };
        struct thread_item *t = n > 1 ? calloc(n, sizeof(*t)) : &one;
        if (!t) {
                /* No memory for the threads' records: every item on this thread. */
                for (size_t k = 0; k < n; k++)
                        fn((char *)items + k * stride);
                return;
        }
        for (size_t k = 0; k < n; k++)
                t[k] = (struct thread_item){ fn, (char *)items + k * stride, NULL, 0, 0 };
        run_items(t, n);
        if (t != &one)
                free(t);
}

void fit_rounds(void *items, size_t n, size_t stride, unsigned rounds,
                void (*round)(void *item, unsigned r))
{
        if (n == 0)
                return;
        struct thread_item one = { NULL, items, round, 0, rounds };
        struct thread_item *t = n > 1 ? calloc(n, sizeof(*t)) : &one;
        if (!t) {
                for (unsigned r = 0; r < rounds; r++)
                        round(items, r);
                return;
        }
        for (size_t k = 0; k < n; k++)
                t[k] = (struct thread_item){ NULL, (char *)items + k * stride, round,
                                             (unsigned)((uint64_t)rounds * k / n),
                                             (unsigned)((uint64_t)rounds * (k + 1) / n) };
        run_items(t, n);
        if (t != &one)
                free(t);
}

unsigned fit_model_flags(size_t size, double won, double lost, long anchor, size_t i)
{
        unsigned flags = 0;
        if (size <= 1)
                flags |= RANK_FLAG_ISOLATED;
        else if (!(won > 0))
                flags |= RANK_FLAG_NO_WINS;
        else if (!(lost > 0))
                flags |= RANK_FLAG_NO_LOSSES;
        if (anchor >= 0 && (size_t)anchor == i)
                flags |= RANK_FLAG_ANCHOR;
        return flags;
}

void fit_rank_models(struct rank_model *models, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned above = 0;
                for (size_t j = 0; j < n; j++)
                        if (models[j].component == models[i].component &&
                            models[j].ci_low > models[i].ci_high)
                                above++;
                models[i].rank = 1 + above;
        }
}

void fit_work_free(struct fit_work *W)
{
        free(W->g);
        free(W->g2);
        free(W->d);
        free(W->xt);
        free(W->h);
        free(W->h2);
        memset(W, 0, sizeof *W);
}

int fit_work_init(struct fit_work *W, size_t nvec, size_t nmat)
{
        W->g = calloc(nvec, sizeof *W->g);
        W->g2 = calloc(nvec, sizeof *W->g2);
        W->d = calloc(nvec, sizeof *W->d);
        W->xt = calloc(nvec, sizeof *W->xt);
        W->h = calloc(nmat, sizeof *W->h);
        W->h2 = calloc(nmat, sizeof *W->h2);
        if (!W->g || !W->g2 || !W->d || !W->xt || !W->h || !W->h2) {
                fit_work_free(W);
                return -1;
        }
        return 0;
}

/*
 * From x (objective *f there), x + step * W->d for step = 1, 1/2, ... until the objective does
 * not fall (beyond rounding); x, *f and the gradient and Hessian at x move there. False when no
 * step of 60 halvings will do.
 */
static bool line_search(const struct fit_problem *F, struct fit_work *W, double *x, double *f)
{
        double step = 1, *tmp;

        for (int k = 0; k < 60; k++, step *= 0.5) {
                double ft;

                memcpy(W->xt, x, F->nx * sizeof *x);
                F->move(F->ctx, W->xt, W->d, step);
                ft = F->eval(F->ctx, W->xt, W->g2, W->h2);
                if (isfinite(ft) && ft >= *f - 1e-12 * (1 + fabs(*f))) {
                        memcpy(x, W->xt, F->nx * sizeof *x);
                        *f = ft;
                        tmp = W->g, W->g = W->g2, W->g2 = tmp;
                        tmp = W->h, W->h = W->h2, W->h2 = tmp;
                        return true;
                }
        }
        return false;
}

/*
 * Close to the optimum the Hessian hardly changes: keeps the factor in W->h and takes full steps
 * with fresh gradients, O(gradient + m^2) each instead of O(m^3), for as long as each shrinks
 * the step (dmax, in W->d) fourfold. True when it converged; *it counts the steps.
 */
static bool chord_steps(const struct fit_problem *F, struct fit_work *W, double *x, double dmax,
                        unsigned *it)
{
        while (*it + 1 < FIT_ITER) {
                double dnext;

                F->move(F->ctx, x, W->d, 1);
                (*it)++;
                F->grad(F->ctx, x, W->d);
                num_chol_solve(W->h, F->m, W->d);
                dnext = fit_max_abs(W->d, F->m);
                if (!isfinite(dnext) || dnext > 0.25 * dmax)
                        return false;
                dmax = dnext;
                if (dmax < FIT_TOL) {
                        F->move(F->ctx, x, W->d, 1);
                        return true;
                }
        }
        return false;
}

bool fit_newton(const struct fit_problem *F, struct fit_work *W, double *x, double chord_from,
                unsigned *iters)
{
        size_t m = F->m;
        double f;
        unsigned it;
        bool ok = false;

        if (m == 0) {
                *iters = 0;
                return true;
        }
        f = F->eval(F->ctx, x, W->g, W->h);
        for (it = 0; it < FIT_ITER; it++) {
                double dmax;

                if (num_chol(W->h, m) < 0)
                        break;
                memcpy(W->d, W->g, m * sizeof *W->d);
                num_chol_solve(W->h, m, W->d);
                dmax = fit_max_abs(W->d, m);
                if (!isfinite(dmax))
                        break;
                if (dmax < FIT_TOL) {
                        F->move(F->ctx, x, W->d, 1);
                        it++;
                        ok = true;
                        break;
                }
                if (dmax < chord_from) {
                        if (chord_steps(F, W, x, dmax, &it)) {
                                it++;
                                ok = true;
                                break;
                        }
                        f = F->eval(F->ctx, x, W->g, W->h);
                        continue;
                }
                if (!line_search(F, W, x, &f))
                        break;
        }
        *iters = it;
        return ok;
}

bool fit_chord(const struct fit_problem *F, struct fit_work *W, double *x, const double *lo)
{
        size_t m = F->m;

        if (m == 0)
                return true;
        for (int it = 0; it < FIT_CHORD_MAX; it++) {
                double dmax;

                F->grad(F->ctx, x, W->d);
                num_chol_solve(lo, m, W->d);
                dmax = fit_max_abs(W->d, m);
                if (!isfinite(dmax) || dmax > 1)
                        return false;
                F->move(F->ctx, x, W->d, 1);
                if (dmax < FIT_BOOT_TOL)
                        return true;
        }
        return false;
}
