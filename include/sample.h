/*
 * sample.h - random draws for resampling (the generator is rng.h): Poisson variates by table
 * inversion or PTRS (Hormann 1993), and discrete draws by Walker's alias method. The bootstrap
 * of rank.c draws a few hundred thousand per round, so the draws are inline; the set-up of
 * tables and constants, done once per bootstrap, is in sample.c.
 */
#ifndef PREFD_SAMPLE_H
#define PREFD_SAMPLE_H

#include "rng.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define SAMPLE_LFACT_N 1024 /* sample_poisson takes log k! tabulated for k < SAMPLE_LFACT_N */

/* log(k!) through Stirling's series with Hormann's correction table (exact to ~1e-11). */
double sample_log_factorial(double k);

/* The constants of a Poisson(lam) sampler, fixed for all draws: PTRS when lam >= 10, inversion
 * below. */
struct sample_poisson {
        double lam;    /* Poisson mean */
        double a, b;   /* PTRS constants; b = exp(-lam) for inversion */
        double vr;     /* PTRS: squeeze acceptance bound */
        double loglam; /* log(lam) */
};
void sample_poisson_setup(struct sample_poisson *c, double lam);

/* One Poisson variate; lfact holds log k! for k < SAMPLE_LFACT_N. 0 when lam is not > 0. */
static inline uint64_t sample_poisson(struct rng *r, const struct sample_poisson *c,
                                      const double *lfact)
{
        if (!(c->lam > 0))
                return 0;
        if (c->lam < 10) {
                for (;;) {
                        double u = rng_unif(r), p = c->b, f = p;
                        uint64_t x = 0;

                        while (u > f && p > 1e-300) {
                                x++;
                                p *= c->lam / (double)x;
                                f += p;
                        }
                        if (u <= f)
                                return x;
                }
        }
        for (;;) {
                double u = rng_unif(r) - 0.5, v = rng_unif(r), us = 0.5 - fabs(u), k, ia;

                /* k = floor(...) by truncation: a negative k is rejected either way (and never
                 * reaches the quick acceptance when lam >= 10) */
                k = (2 * c->a / us + c->b) * u + c->lam + 0.43;
                if (!(k >= 0))
                        continue;
                k = (double)(int64_t)k;
                if (us >= 0.07 && v <= c->vr)
                        return (uint64_t)k;
                if (us < 0.013 && v > us)
                        continue;
                ia = 1.1239 + 1.1328 / (c->b - 3.4);
                if (log(v * ia / (c->a / (us * us) + c->b)) <=
                    -c->lam + k * c->loglam -
                        (k < SAMPLE_LFACT_N ? lfact[(int)k] : sample_log_factorial(k)))
                        return (uint64_t)k;
        }
}

/* Poisson(lam) by table inversion over lo .. lo + len - 1, where the mass outside is below
 * 1e-20: X = lo + min { i : u <= cdf[i] }, found from guide[floor(u len)] in one or two steps. */
struct sample_ptable {
        uint64_t lo;           /* smallest value tabulated */
        size_t len;            /* number of values */
        const double *cdf;     /* P(lo <= X <= lo + i), normalised to end at 1 */
        const uint32_t *guide; /* guide[j] = min { i : cdf[i] >= j / len } */
};
/* The range a table for lam needs: about lam -+ 12 sqrt(lam), plus a margin for small lam. */
void sample_ptable_range(double lam, uint64_t *lo, size_t *len);
/* Fills cdf and guide (len entries each) for Poisson(lam), lam > 0, from lo. */
void sample_ptable_build(double lam, uint64_t lo, size_t len, double *cdf, uint32_t *guide);

static inline uint64_t sample_ptable_draw(struct rng *r, const struct sample_ptable *t)
{
        double u = rng_unif(r);
        size_t j = (size_t)(u * (double)t->len), i;

        if (j >= t->len)
                j = t->len - 1;
        i = t->guide[j];
        i += u > t->cdf[i]; /* usually enough: one or two steps */
        while (u > t->cdf[i])
                i++;
        return t->lo + i;
}

/* Walker's alias table (Vose's construction) over weights w[0..k): prob and alias, k each;
 * work is 2 k scratch. */
void sample_alias_build(const double *w, size_t k, double *prob, uint32_t *alias, uint32_t *work);

/* An index in 0 .. k-1 drawn with probability w[i] / sum(w) from sample_alias_build's table. */
static inline size_t sample_alias_draw(struct rng *r, const double *prob, const uint32_t *alias,
                                       size_t k)
{
        size_t i = (size_t)(rng_unif(r) * (double)k);

        if (i >= k)
                i = k - 1;
        return rng_unif(r) < prob[i] ? i : alias[i];
}

#endif
