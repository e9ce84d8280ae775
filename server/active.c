/*
 * active.c - the weights of active sampling; see active.h.
 */
#include "active.h"

#include <math.h>
#include <stdlib.h>

/* A model's place in the order of the adjacent contrasts: by component, then theta descending. */
struct place {
        unsigned component;
        double theta;
        size_t index;
};

static int by_component_theta(const void *x, const void *y)
{
        const struct place *a = x, *b = y;
        if (a->component != b->component)
                return a->component < b->component ? -1 : 1;
        if (a->theta != b->theta)
                return a->theta > b->theta ? -1 : 1;
        return a->index < b->index ? -1 : 1;
}

int active_weights(const struct rank_result *fit, const struct active_pair *pairs, size_t npairs,
                   double floor, double power, double *w)
{
        int rc = -1;
        size_t n = fit ? fit->n : 0;
        struct place *order = NULL;
        double *d = NULL; /* d[k * n + j] = Sigma[o_k][j] - Sigma[o_k+1][j] */
        size_t nk = 0;
        if (!fit || !fit->cov || n == 0 || npairs == 0 || !(floor >= 0 && floor <= 1) ||
            !(power > 0))
                goto out;
        for (size_t i = 0; i < npairs; i++)
                if (pairs[i].a >= n || pairs[i].b >= n || pairs[i].a == pairs[i].b)
                        goto out;
        order = malloc(n * sizeof(*order));
        d = malloc((n > 1 ? n - 1 : 1) * n * sizeof(*d));
        if (!order || !d)
                goto out;
        for (size_t i = 0; i < n; i++)
                order[i] = (struct place){ fit->models[i].component, fit->models[i].theta, i };
        qsort(order, n, sizeof(*order), by_component_theta);
        const double *cov = fit->cov;
        for (size_t k = 0; k + 1 < n; k++) {
                size_t u = order[k].index, v = order[k + 1].index;
                if (fit->models[u].component != fit->models[v].component ||
                    (fit->models[u].flags & RANK_FLAG_ISOLATED) ||
                    (fit->models[v].flags & RANK_FLAG_ISOLATED))
                        continue;
                for (size_t j = 0; j < n; j++)
                        d[nk * n + j] = cov[u * n + j] - cov[v * n + j];
                nk++;
        }
        double gmax = 0;
        for (size_t i = 0; i < npairs; i++) {
                size_t a = pairs[i].a, b = pairs[i].b;
                const struct rank_model *ma = &fit->models[a], *mb = &fit->models[b];
                if (ma->component != mb->component || (ma->flags & RANK_FLAG_ISOLATED) ||
                    (mb->flags & RANK_FLAG_ISOLATED)) {
                        w[i] = -1; /* unknown: filled in below */
                        continue;
                }
                double p = 1 / (1 + exp(mb->theta - ma->theta));
                double info = p * (1 - p);
                double vx = cov[a * n + a] + cov[b * n + b] - 2 * cov[a * n + b];
                if (!(vx > 0))
                        vx = 0;
                double s = 0;
                for (size_t k = 0; k < nk; k++) {
                        double c = d[k * n + a] - d[k * n + b];
                        s += c * c;
                }
                double g = info * s / (1 + info * vx);
                w[i] = isfinite(g) && g > 0 ? g : 0;
                if (w[i] > gmax)
                        gmax = w[i];
        }
        /* An unknown pair: the first vote's gain under the prior (each theta of variance
         * 1 / RANK_PRIOR_PRECISION, p = 1/2, the pair its own adjacent contrast), at least the
         * largest known gain. */
        double v0 = 2 / RANK_PRIOR_PRECISION, unknown = 0.25 * v0 * v0 / (1 + 0.25 * v0);
        if (unknown < gmax)
                unknown = gmax;
        bool any_unknown = false;
        for (size_t i = 0; i < npairs; i++)
                any_unknown |= w[i] < 0;
        double top = any_unknown || !(gmax > 0) ? unknown : gmax; /* the largest gain */
        double sum = 0;
        for (size_t i = 0; i < npairs; i++) {
                if (w[i] < 0)
                        w[i] = unknown;
                w[i] = pow(w[i] / top, power);
                sum += w[i];
        }
        for (size_t i = 0; i < npairs; i++)
                w[i] = (sum > 0 ? (1 - floor) * w[i] / sum : (1 - floor) / (double)npairs) +
                       floor / (double)npairs;
        rc = 0;
out:
        free(order);
        free(d);
        return rc;
}

void active_cumulate(const double *w, size_t npairs, double *cum)
{
        double s = 0;
        for (size_t i = 0; i < npairs; i++) {
                s += w[i];
                cum[i] = s;
        }
        for (size_t i = 0; i < npairs; i++)
                cum[i] = s > 0 ? cum[i] / s : (double)(i + 1) / (double)npairs;
        if (npairs > 0)
                cum[npairs - 1] = 1;
}

size_t active_draw(const double *cum, size_t npairs, double u)
{
        size_t lo = 0, hi = npairs ? npairs - 1 : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] > u)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}
