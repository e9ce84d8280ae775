/*
 * fit.c - what the two model fits share (fit.h).
 */
#include "fit.h"

#include "rank.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
};

static void *thread_main(void *arg)
{
        struct thread_item *t = arg;
        t->fn(t->item);
        return NULL;
}

void fit_parallel(void *items, size_t n, size_t stride, void (*fn)(void *item))
{
        if (n == 0)
                return;
        pthread_t *tid = n > 1 ? calloc(n, sizeof(*tid)) : NULL;
        bool *started = n > 1 ? calloc(n, sizeof(*started)) : NULL;
        struct thread_item *t = n > 1 ? calloc(n, sizeof(*t)) : NULL;
        char *base = items;
        for (size_t k = 1; tid && started && t && k < n; k++) {
                t[k] = (struct thread_item){ fn, base + k * stride };
                started[k] = pthread_create(&tid[k], NULL, thread_main, &t[k]) == 0;
        }
        fn(base);
        for (size_t k = 1; k < n; k++) {
                if (started && started[k])
                        pthread_join(tid[k], NULL);
                else
                        fn(base + k * stride);
        }
        free(tid);
        free(started);
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
