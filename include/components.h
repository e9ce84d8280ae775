/*
 * components.h - the connected components of a comparison graph and the gauge of a fit on it.
 *
 * Bradley-Terry strengths are determined only up to a shift within each connected component of
 * the models' comparison graph. Both fits (rank.c, stylefit.c) report them in one gauge: mean 0
 * within each component, then, in the anchor's component, the anchor's strength 0; and report
 * variances in that gauge from the covariance of the parameters they fitted.
 */
#ifndef COMPONENTS_H
#define COMPONENTS_H

#include "prefd.h"

struct components {
        size_t n;       /* models */
        size_t ncomp;   /* components, numbered in order of their lowest model */
        unsigned *comp; /* n: the component of each model */
        size_t *cstart; /* ncomp + 1: members of c are cmem[cstart[c] .. cstart[c + 1]) */
        size_t *cmem;   /* n: model indices, ascending within each component */
        long anchor;    /* the model reported as 0 in its component, or -1 */
};

/* The components of n models joined by ne edges a[e]-b[e] (union-find). 0, or -1 out of memory
 * (C is then empty). */
int components_build(struct components *C, size_t n, const uint32_t *a, const uint32_t *b,
                     size_t ne, long anchor) PREFD_MUSTCHECK;
void components_fini(struct components *C);

/* Puts x (n strengths) in the report gauge. */
void components_gauge(const struct components *C, double *x);

/*
 * Variances of the gauged strengths into var (n) from the covariance cv (m x m, full, row
 * major) of the fitted parameters, where strength i is parameter pidx[i] (pidx NULL: i itself;
 * a negative index: held fixed at 0). rs is n scratch.
 */
void components_gauge_var(const struct components *C, const int *pidx, const double *cv, size_t m,
                          double *var, double *rs);

#endif
