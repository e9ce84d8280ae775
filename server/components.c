/*
 * components.c - comparison-graph components and the report gauge (components.h).
 */
#include "components.h"

#include <stdlib.h>
#include <string.h>

static size_t uf_find(size_t *parent, size_t i)
{
        while (parent[i] != i)
                i = parent[i] = parent[parent[i]];
        return i;
}

void components_fini(struct components *C)
{
        free(C->comp);
        free(C->cstart);
        free(C->cmem);
        memset(C, 0, sizeof(*C));
}

int components_build(struct components *C, size_t n, const uint32_t *a, const uint32_t *b,
                     size_t ne, long anchor)
{
        *C = (struct components){ .n = n, .anchor = anchor };
        size_t *parent = calloc(n + 1, sizeof(*parent)), *fill = calloc(n + 1, sizeof(*fill));
        unsigned *num = calloc(n + 1, sizeof(*num));
        C->comp = calloc(n + 1, sizeof(*C->comp));
        C->cstart = calloc(n + 2, sizeof(*C->cstart));
        C->cmem = calloc(n + 1, sizeof(*C->cmem));
        int rc = -1;
        if (!parent || !fill || !num || !C->comp || !C->cstart || !C->cmem)
                goto out;
        for (size_t i = 0; i < n; i++)
                parent[i] = i;
        for (size_t e = 0; e < ne; e++) {
                size_t ra = uf_find(parent, a[e]), rb = uf_find(parent, b[e]);
                if (ra != rb)
                        parent[MAX(ra, rb)] = MIN(ra, rb); /* the root is the lowest member */
        }
        for (size_t i = 0; i < n; i++) {
                size_t r = uf_find(parent, i);
                if (r == i)
                        num[i] = (unsigned)C->ncomp++;
                C->comp[i] = num[r];
        }
        for (size_t i = 0; i < n; i++)
                C->cstart[C->comp[i] + 1]++;
        for (size_t c = 0; c < C->ncomp; c++)
                C->cstart[c + 1] += C->cstart[c];
        for (size_t i = 0; i < n; i++)
                C->cmem[C->cstart[C->comp[i]] + fill[C->comp[i]]++] = i;
        rc = 0;
out:
        free(parent);
        free(fill);
        free(num);
        if (rc != 0)
                components_fini(C);
        return rc;
}

void components_gauge(const struct components *C, double *x)
{
        for (size_t c = 0; c < C->ncomp; c++) {
                size_t lo = C->cstart[c], hi = C->cstart[c + 1];
                double mean = 0;
                for (size_t k = lo; k < hi; k++)
                        mean += x[C->cmem[k]];
                mean /= (double)(hi - lo);
                for (size_t k = lo; k < hi; k++)
                        x[C->cmem[k]] -= mean;
        }
        if (C->anchor >= 0) {
                unsigned c = C->comp[C->anchor];
                double sh = x[C->anchor];
                for (size_t k = C->cstart[c]; k < C->cstart[c + 1]; k++)
                        x[C->cmem[k]] -= sh;
        }
}

static long param(const int *pidx, size_t i)
{
        return pidx ? pidx[i] : (long)i;
}

void components_gauge_var(const struct components *C, const int *pidx, const double *cv, size_t m,
                          double *var, double *rs)
{
        for (size_t c = 0; c < C->ncomp; c++) {
                size_t lo = C->cstart[c], hi = C->cstart[c + 1];
                double sz = (double)(hi - lo), ss = 0;
                if (C->anchor >= 0 && C->comp[C->anchor] == c) {
                        /* theta_i - theta_anchor */
                        long ka = param(pidx, (size_t)C->anchor);
                        for (size_t k = lo; k < hi; k++) {
                                long ki = param(pidx, C->cmem[k]);
                                double v = 0;
                                if (ki >= 0)
                                        v += cv[(size_t)ki * m + (size_t)ki];
                                if (ka >= 0)
                                        v += cv[(size_t)ka * m + (size_t)ka];
                                if (ki >= 0 && ka >= 0)
                                        v -= 2 * cv[(size_t)ki * m + (size_t)ka];
                                var[C->cmem[k]] = MAX(v, 0);
                        }
                        continue;
                }
                /* theta_i - mean: rs = C u over the component's free parameters, ss = u^T C u */
                for (size_t k = lo; k < hi; k++) {
                        size_t i = C->cmem[k];
                        long ki = param(pidx, i);
                        rs[i] = 0;
                        for (size_t q = lo; q < hi && ki >= 0; q++) {
                                long kj = param(pidx, C->cmem[q]);
                                if (kj >= 0)
                                        rs[i] += cv[(size_t)ki * m + (size_t)kj];
                        }
                        ss += rs[i];
                }
                for (size_t k = lo; k < hi; k++) {
                        size_t i = C->cmem[k];
                        long ki = param(pidx, i);
                        double v = ss / (sz * sz);
                        if (ki >= 0)
                                v += cv[(size_t)ki * m + (size_t)ki] - 2 * rs[i] / sz;
                        var[i] = MAX(v, 0);
                }
        }
}
