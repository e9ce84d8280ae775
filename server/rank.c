/*
 * rank.c - Bradley-Terry ratings: aggregation of the counts, connected components, Newton fit
 * (with the prior where the MLE does not exist), model-based and sandwich standard errors, and
 * the threaded multinomial bootstrap. rank.h states the model and every convention.
 *
 * Parameters. The state vector x has n + 1 entries: x[i] = theta_i, x[n] = log nu (Davidson).
 * A layout says which entries are free: in a component fitted by maximum likelihood its reference
 * model is held fixed (the likelihood only sees differences), in a component under the prior all
 * its models are free, an isolated model is fixed; log nu is free when it is estimated. The
 * Hessians below are of the negative log-posterior over the free parameters, stored row-major,
 * lower triangle only unless said otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include "rank.h"

#include "components.h"
#include "fit.h"
#include "numeric.h"
#include "rng.h"
#include "sample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHORD_FROM  1e-2 /* Newton steps below this: keep the factor (see newton()) */
#define FLIP_REFITS 24   /* fragility: refits per pair of models */

#define RIDGE 1e-5 /* arena-rank's hessian_reg, times the component's counted outcomes */
#define Z95   1.959963984540054

enum cell_kind { CELL_A, CELL_B, CELL_TIE };

/* The counted outcomes per model pair, with the comparison graph and its components: the
 * problem every fit solves. Read-only once built, shared by the bootstrap threads. */
struct pair_counts {
        size_t n;            /* models */
        size_t np;           /* aggregated pairs with a counted outcome; pa < pb, sorted */
        uint32_t *pa, *pb;   /* the two models of each pair */
        double *w, *l, *t;   /* counted outcomes: pa won, pb won, ties */
        enum rank_ties ties; /* tie model */
        size_t *adj_start;   /* CSR: pairs of model i are adj[adj_start[i] .. adj_start[i + 1]) */
        size_t *adj;         /* pair indices */
        struct components C; /* of the counted pairs' graph, with the anchor model or -1 */
        uint32_t *cref;      /* per component: the model held fixed in a maximum-likelihood fit */
        double *ctotal;      /* per component: counted outcomes */
};

/* Which entries of x are free (see the top of the file). */
struct param_layout {
        int *pidx;      /* n: index of theta_i among the parameters, or -1 when fixed */
        bool *cprior;   /* ncomp: component fitted under the prior */
        size_t m;       /* number of free parameters */
        int didx;       /* parameter index of log nu, or -1 when nu is fixed */
        bool dprior;    /* log nu under the prior (every counted outcome a tie) */
        double nu;      /* nu when fixed: 0 (no tie model, or no counted tie) */
        bool any_prior; /* some component under the prior */
};

/* Scratch for one solver: main fit or one bootstrap thread. */
struct solver_scratch {
        struct fit_work fit; /* Newton's: vectors of n + 1, Hessians of (n + 1)^2 */
        double *s;           /* per-model exp(theta) or exp(theta / 2), n */
        size_t *stack;       /* graph search, n */
        unsigned char *seen; /* graph search, n */
};

/* ---- graphs: components and strong connectivity ---- */

/* Is every member of component c reachable from its first member along "beat" edges and back?
 * A counted tie is an edge both ways. */
static bool strongly_connected(const struct pair_counts *P, size_t c, const double *w,
                               const double *l, const double *t, size_t *stack, unsigned char *seen)
{
        size_t size = P->C.cstart[c + 1] - P->C.cstart[c];
        const size_t *mem = P->C.cmem + P->C.cstart[c];

        if (size <= 1)
                return true;
        for (int dir = 0; dir < 2; dir++) {
                size_t top = 0, count = 1;

                for (size_t k = 0; k < size; k++)
                        seen[mem[k]] = 0;
                stack[top++] = mem[0];
                seen[mem[0]] = 1;
                while (top > 0) {
                        size_t u = stack[--top];

                        for (size_t e = P->adj_start[u]; e < P->adj_start[u + 1]; e++) {
                                size_t p = P->adj[e], v;
                                bool fwd_ab = w[p] > 0 || t[p] > 0; /* pa -> pb */
                                bool fwd_ba = l[p] > 0 || t[p] > 0; /* pb -> pa */
                                bool ok;

                                if (P->pa[p] == u) {
                                        v = P->pb[p];
                                        ok = dir == 0 ? fwd_ab : fwd_ba;
                                } else {
                                        v = P->pa[p];
                                        ok = dir == 0 ? fwd_ba : fwd_ab;
                                }
                                if (ok && !seen[v]) {
                                        seen[v] = 1;
                                        count++;
                                        stack[top++] = v;
                                }
                        }
                }
                if (count < size)
                        return false;
        }
        return true;
}

/* Decide which components need the prior (for these counts) and number the free parameters. */
static void layout_build(const struct pair_counts *P, const double *w, const double *l,
                         const double *t, struct param_layout *L, struct solver_scratch *W)
{
        double ties = 0, decided = 0;
        size_t m = 0;

        L->any_prior = false;
        for (size_t c = 0; c < P->C.ncomp; c++) {
                L->cprior[c] = !strongly_connected(P, c, w, l, t, W->stack, W->seen);
                L->any_prior = L->any_prior || L->cprior[c];
        }
        for (size_t i = 0; i < P->n; i++) {
                unsigned c = P->C.comp[i];
                size_t size = P->C.cstart[c + 1] - P->C.cstart[c];

                if (size <= 1 || (!L->cprior[c] && P->cref[c] == i))
                        L->pidx[i] = -1;
                else
                        L->pidx[i] = (int)m++;
        }
        L->didx = -1;
        L->dprior = false;
        L->nu = 0;
        if (P->ties == RANK_TIES_DAVIDSON) {
                for (size_t p = 0; p < P->np; p++) {
                        ties += t[p];
                        decided += w[p] + l[p];
                }
                if (ties > 0) {
                        L->didx = (int)m++;
                        L->dprior = !(decided > 0);
                }
        }
        L->m = m;
}

static bool layout_same(const struct param_layout *a, const struct param_layout *b, size_t ncomp)
{
        if (a->didx != b->didx || a->dprior != b->dprior)
                return false;
        for (size_t c = 0; c < ncomp; c++)
                if (a->cprior[c] != b->cprior[c])
                        return false;
        return true;
}

/* ---- the objective ---- */

/* Per-pair quantities of the Davidson model at x = theta_a - theta_b: the probabilities of
 * "a wins", "b wins", tie, and log(e^(x/2) + e^(-x/2) + nu), computed without overflow. */
static void davidson_probs(double x, double nu, double *pa, double *pb, double *pt, double *logd)
{
        double ax = fabs(x), e = exp(-0.5 * ax);
        double dt = 1 + e * e + nu * e;
        double big = 1 / dt, small = e * e / dt;

        *pa = x >= 0 ? big : small;
        *pb = x >= 0 ? small : big;
        *pt = nu * e / dt;
        if (logd)
                *logd = 0.5 * ax + log(dt);
}

/* Log-posterior (log-likelihood plus prior terms) at x; gradient into g and, when h != NULL, the
 * negative Hessian into the lower triangle of h (m x m). *prior gets the prior part. */
static double eval(const struct pair_counts *P, const double *w, const double *l, const double *t,
                   const struct param_layout *L, const double *x, double *g, double *h,
                   double *prior)
{
        size_t m = L->m, n = P->n;
        int di = L->didx;
        bool dav = di >= 0;
        double nu = dav ? exp(x[n]) : L->nu, lognu = dav ? x[n] : 0;
        double f = 0, pr = 0;

        memset(g, 0, m * sizeof *g);
        if (h)
                memset(h, 0, m * m * sizeof *h);
        for (size_t p = 0; p < P->np; p++) {
                double na = w[p] + l[p] + t[p], xd, gx, hx, gd = 0, hdd = 0, hxd = 0;
                int ia, ib;

                if (!(na > 0))
                        continue;
                ia = L->pidx[P->pa[p]];
                ib = L->pidx[P->pb[p]];
                xd = x[P->pa[p]] - x[P->pb[p]];
                if (!dav) {
                        double y = w[p] + 0.5 * t[p], e, q, lg;

                        if (xd >= 0) {
                                e = exp(-xd);
                                q = 1 / (1 + e);
                                lg = xd + log1p(e);
                        } else {
                                e = exp(xd);
                                q = e / (1 + e);
                                lg = log1p(e);
                        }
                        f += y * xd - na * lg;
                        gx = y - na * q;
                        hx = na * q * (1 - q);
                } else {
                        double qa, qb, qt, logd;

                        davidson_probs(xd, nu, &qa, &qb, &qt, &logd);
                        f += 0.5 * (w[p] - l[p]) * xd - na * logd;
                        if (t[p] > 0)
                                f += t[p] * lognu;
                        gx = 0.5 * (w[p] - l[p]) - 0.5 * na * (qa - qb);
                        hx = 0.25 * na * ((qa + qb) * qt + 4 * qa * qb);
                        gd = t[p] - na * qt;
                        hdd = na * qt * (qa + qb);
                        hxd = -0.5 * na * (qa - qb) * qt;
                }
                if (ia >= 0)
                        g[ia] += gx;
                if (ib >= 0)
                        g[ib] -= gx;
                if (dav)
                        g[di] += gd;
                if (!h)
                        continue;
                if (ia >= 0)
                        h[(size_t)ia * m + (size_t)ia] += hx;
                if (ib >= 0)
                        h[(size_t)ib * m + (size_t)ib] += hx;
                if (ia >= 0 && ib >= 0) {
                        if (ia > ib)
                                h[(size_t)ia * m + (size_t)ib] -= hx;
                        else
                                h[(size_t)ib * m + (size_t)ia] -= hx;
                }
                if (dav) {
                        /* di is the last parameter, so its row holds the cross terms */
                        h[(size_t)di * m + (size_t)di] += hdd;
                        if (ia >= 0)
                                h[(size_t)di * m + (size_t)ia] += hxd;
                        if (ib >= 0)
                                h[(size_t)di * m + (size_t)ib] -= hxd;
                }
        }
        if (L->any_prior) {
                for (size_t i = 0; i < n; i++) {
                        int k = L->pidx[i];

                        if (k < 0 || !L->cprior[P->C.comp[i]])
                                continue;
                        pr -= 0.5 * RANK_PRIOR_PRECISION * x[i] * x[i];
                        g[k] -= RANK_PRIOR_PRECISION * x[i];
                        if (h)
                                h[(size_t)k * m + (size_t)k] += RANK_PRIOR_PRECISION;
                }
        }
        if (L->dprior) {
                pr -= 0.5 * RANK_PRIOR_PRECISION * x[n] * x[n];
                g[di] -= RANK_PRIOR_PRECISION * x[n];
                if (h)
                        h[(size_t)di * m + (size_t)di] += RANK_PRIOR_PRECISION;
        }
        if (prior)
                *prior = pr;
        return f + pr;
}

/* Gradient only, with one exp per model instead of one per pair. Falls back to eval() when the
 * log-strengths are too spread out for that. */
static void grad_fast(const struct pair_counts *P, const double *w, const double *l,
                      const double *t, const struct param_layout *L, const double *x, double *g,
                      double *s)
{
        size_t m = L->m, n = P->n;
        int di = L->didx;
        bool dav = di >= 0;
        double nu = dav ? exp(x[n]) : 0;

        for (size_t i = 0; i < n; i++) {
                if (!(fabs(x[i]) < 300)) {
                        eval(P, w, l, t, L, x, g, NULL, NULL);
                        return;
                }
                s[i] = dav ? exp(0.5 * x[i]) : exp(x[i]);
        }
        memset(g, 0, m * sizeof *g);
        for (size_t p = 0; p < P->np; p++) {
                uint32_t a = P->pa[p], b = P->pb[p];
                double na = w[p] + l[p] + t[p], gx;
                int ia = L->pidx[a], ib = L->pidx[b];

                if (!(na > 0))
                        continue;
                if (!dav) {
                        gx = w[p] + 0.5 * t[p] - na * s[a] / (s[a] + s[b]);
                } else {
                        double sa = s[a] * s[a], sb = s[b] * s[b], st = nu * s[a] * s[b];
                        double inv = 1 / (sa + sb + st);

                        gx = 0.5 * (w[p] - l[p]) - 0.5 * na * (sa - sb) * inv;
                        g[di] += t[p] - na * st * inv;
                }
                if (ia >= 0)
                        g[ia] += gx;
                if (ib >= 0)
                        g[ib] -= gx;
        }
        if (L->any_prior) {
                for (size_t i = 0; i < n; i++) {
                        int k = L->pidx[i];

                        if (k >= 0 && L->cprior[P->C.comp[i]])
                                g[k] -= RANK_PRIOR_PRECISION * x[i];
                }
        }
        if (L->dprior)
                g[di] -= RANK_PRIOR_PRECISION * x[n];
}

/* x += step * d over the free parameters. */
static void step_apply(const struct pair_counts *P, const struct param_layout *L, double *x,
                       const double *d, double step)
{
        for (size_t i = 0; i < P->n; i++)
                if (L->pidx[i] >= 0)
                        x[i] += step * d[L->pidx[i]];
        if (L->didx >= 0)
                x[P->n] += step * d[L->didx];
}

/* The log-posterior of counts w, l, t under layout L, for fit.h's Newton and chord steps. */
struct objective {
        const struct pair_counts *P;
        const double *w, *l, *t;
        const struct param_layout *L;
        double *s; /* grad_fast's scratch */
};

static double objective_eval(void *ctx, const double *x, double *g, double *h)
{
        const struct objective *o = ctx;

        return eval(o->P, o->w, o->l, o->t, o->L, x, g, h, NULL);
}

static void objective_grad(void *ctx, const double *x, double *g)
{
        const struct objective *o = ctx;

        grad_fast(o->P, o->w, o->l, o->t, o->L, x, g, o->s);
}

static void objective_move(void *ctx, double *x, const double *d, double step)
{
        const struct objective *o = ctx;

        step_apply(o->P, o->L, x, d, step);
}

/* The counts w, l, t under L as a problem for fit_newton and fit_chord; o is filled in. */
static struct fit_problem problem(const struct pair_counts *P, const double *w, const double *l,
                                  const double *t, const struct param_layout *L,
                                  struct solver_scratch *W, struct objective *o)
{
        *o = (struct objective){ P, w, l, t, L, W->s };
        return (struct fit_problem){ .ctx = o,
                                     .m = L->m,
                                     .nx = P->n + 1,
                                     .eval = objective_eval,
                                     .grad = objective_grad,
                                     .move = objective_move };
}

/*
 * Newton's method (fit_newton) on the log-posterior, from x, keeping the factor once the steps
 * are below CHORD_FROM. Returns true on convergence; x always ends finite.
 */
static bool newton(const struct pair_counts *P, const double *w, const double *l, const double *t,
                   const struct param_layout *L, double *x, struct solver_scratch *W,
                   unsigned *iters)
{
        struct objective o;
        struct fit_problem F = problem(P, w, l, t, L, W, &o);

        return fit_newton(&F, &W->fit, x, CHORD_FROM, iters);
}

/*
 * Fixed-Hessian (chord) iterations (fit_chord) from x with the factor lo of the full fit's
 * Hessian: cheap steps for bootstrap resamples, which sit close to the full fit.
 */
static bool chord(const struct pair_counts *P, const double *w, const double *l, const double *t,
                  const struct param_layout *L, double *x, const double *lo,
                  struct solver_scratch *W)
{
        struct objective o;
        struct fit_problem F = problem(P, w, l, t, L, W, &o);

        return fit_chord(&F, &W->fit, x, lo);
}

/* ---- standard errors ---- */

/* The full covariance of the reported thetas (components_gauge() applied) from a covariance C of
 * the free parameters, into out (n x n): per component, P C P^T with P the centring (or, in the
 * anchor's component, the subtraction of the anchor's theta). rs is n scratch. */
static void gauge_cov(const struct pair_counts *P, const struct param_layout *L, const double *cv,
                      double *out, double *rs)
{
        size_t m = L->m, n = P->n;

        memset(out, 0, n * n * sizeof *out);
        for (size_t c = 0; c < P->C.ncomp; c++) {
                size_t lo = P->C.cstart[c], hi = P->C.cstart[c + 1];
                double sz = (double)(hi - lo), tot = 0;
                bool anchored = P->C.anchor >= 0 && P->C.comp[P->C.anchor] == c;

                /* rs[i] = (C v)_i with v the centring weights (1 / size each) or e_anchor */
                for (size_t a = lo; a < hi; a++) {
                        int ia = L->pidx[P->C.cmem[a]];
                        double s = 0;

                        for (size_t b = lo; b < hi && ia >= 0; b++) {
                                int ib = L->pidx[P->C.cmem[b]];

                                if (ib >= 0 && (!anchored || (long)P->C.cmem[b] == P->C.anchor))
                                        s += cv[(size_t)ia * m + (size_t)ib];
                        }
                        rs[P->C.cmem[a]] = anchored ? s : s / sz;
                }
                for (size_t a = lo; a < hi; a++) {
                        size_t i = P->C.cmem[a];

                        tot += anchored ? ((long)i == P->C.anchor ? rs[i] : 0) : rs[i] / sz;
                }
                for (size_t a = lo; a < hi; a++) {
                        size_t i = P->C.cmem[a];
                        int ia = L->pidx[i];

                        for (size_t b = lo; b < hi; b++) {
                                size_t j = P->C.cmem[b];
                                int ib = L->pidx[j];
                                double v = ia >= 0 && ib >= 0 ? cv[(size_t)ia * m + (size_t)ib] : 0;

                                out[i * n + j] = v - rs[i] - rs[j] + tot;
                        }
                }
        }
}

/* The meat G = sum over (pair, outcome) cells of count * score score^T (likelihood scores
 * only). A cell's score is sx (e_a - e_b) + sd e_nu, so a pair adds
 * A v v^T + B (v e_nu^T + e_nu v^T) + C e_nu e_nu^T, v = e_a - e_b, with A = sum count sx^2,
 * B = sum count sx sd, C = sum count sd^2 over its cells; B = C = 0 without the tie model. */
static void meat_coefs(const struct pair_counts *P, const struct param_layout *L, const double *x,
                       double *ca, double *cb, double *csum)
{
        int di = L->didx;
        bool dav = di >= 0;
        double nu = dav ? exp(x[P->n]) : L->nu;

        *csum = 0;
        for (size_t p = 0; p < P->np; p++) {
                double xd = x[P->pa[p]] - x[P->pb[p]];

                cb[p] = 0;
                if (!dav) {
                        double q = 1 / (1 + exp(-xd));

                        ca[p] = P->w[p] * (1 - q) * (1 - q) + P->l[p] * q * q +
                                P->t[p] * (0.5 - q) * (0.5 - q);
                } else {
                        double qa, qb, qt, cnt[3] = { P->w[p], P->l[p], P->t[p] };
                        double sx[3], sd[3];

                        davidson_probs(xd, nu, &qa, &qb, &qt, NULL);
                        sx[CELL_A] = 0.5 - 0.5 * (qa - qb);
                        sx[CELL_B] = -0.5 - 0.5 * (qa - qb);
                        sx[CELL_TIE] = -0.5 * (qa - qb);
                        sd[CELL_A] = -qt;
                        sd[CELL_B] = -qt;
                        sd[CELL_TIE] = 1 - qt;
                        ca[p] = 0;
                        for (int k = 0; k < 3; k++) {
                                ca[p] += cnt[k] * sx[k] * sx[k];
                                cb[p] += cnt[k] * sx[k] * sd[k];
                                *csum += cnt[k] * sd[k] * sd[k];
                        }
                }
        }
}

/* y = G z over the free parameters. */
static void meat_apply(const struct pair_counts *P, const struct param_layout *L, const double *ca,
                       const double *cb, double csum, const double *z, double *y)
{
        int di = L->didx;

        memset(y, 0, L->m * sizeof *y);
        for (size_t p = 0; p < P->np; p++) {
                int ia = L->pidx[P->pa[p]], ib = L->pidx[P->pb[p]];
                double vz = (ia >= 0 ? z[ia] : 0) - (ib >= 0 ? z[ib] : 0);
                double ya = ca[p] * vz + (di >= 0 ? cb[p] * z[di] : 0);

                if (ia >= 0)
                        y[ia] += ya;
                if (ib >= 0)
                        y[ib] -= ya;
                if (di >= 0)
                        y[di] += cb[p] * vz;
        }
        if (di >= 0)
                y[di] += csum * z[di];
}

/* y = M z, M symmetric m x m. */
static void sym_apply(const double *mi, size_t m, const double *z, double *y)
{
        for (size_t i = 0; i < m; i++)
                y[i] = num_dot(mi + i * m, z, m);
}

/* Sandwich variances of the reported thetas, C = M G M with M = (ridged Hessian)^-1, without
 * forming C: gauge_var needs its diagonal, C u for each component's indicator u and C e_anchor,
 * each of which costs O(pairs m) or O(m^2). mi has m + 1 rows, the last zero. ws is 3 m + 2
 * pairs scratch. */
static void sandwich_var(const struct pair_counts *P, const struct param_layout *L, const double *x,
                         const double *mi, double *var, double *ws)
{
        size_t m = L->m, np = P->np;
        int di = L->didx;
        double *diag = ws, *z = ws + m, *y = ws + 2 * m, *ca = ws + 3 * m, *cb = ca + np, csum;

        meat_coefs(P, L, x, ca, cb, &csum);
        memset(diag, 0, m * sizeof *diag);
        if (di < 0) {
                /* the rows of the pairs' parameters; row m of mi is zero, for a fixed one */
                uint32_t *ra = (uint32_t *)cb, *rb = ra + np; /* cb is not needed here */

                for (size_t p = 0; p < np; p++) {
                        int ia = L->pidx[P->pa[p]], ib = L->pidx[P->pb[p]];

                        ra[p] = ia >= 0 ? (uint32_t)ia : (uint32_t)m;
                        rb[p] = ib >= 0 ? (uint32_t)ib : (uint32_t)m;
                }
                num_pairs_sqdiff(diag, mi, m, ra, rb, ca, np);
                memset(cb, 0, np * sizeof *cb);
        }
        for (size_t p = 0; p < np && di >= 0; p++) {
                int ia = L->pidx[P->pa[p]], ib = L->pidx[P->pb[p]];
                const double *ma = ia >= 0 ? mi + (size_t)ia * m : NULL;
                const double *mb = ib >= 0 ? mi + (size_t)ib * m : NULL;
                const double *md = di >= 0 ? mi + (size_t)di * m : NULL;

                for (size_t i = 0; i < m; i++) {
                        double v = (ma ? ma[i] : 0) - (mb ? mb[i] : 0);

                        diag[i] += ca[p] * v * v + (md ? 2 * cb[p] * v * md[i] : 0);
                }
        }
        if (di >= 0)
                for (size_t i = 0; i < m; i++)
                        diag[i] += csum * mi[(size_t)di * m + i] * mi[(size_t)di * m + i];
        for (size_t c = 0; c < P->C.ncomp; c++) {
                size_t lo = P->C.cstart[c], hi = P->C.cstart[c + 1], size = hi - lo;
                bool anchored = P->C.anchor >= 0 && P->C.comp[P->C.anchor] == c;
                int ka = anchored ? L->pidx[P->C.anchor] : -1;
                double sz = (double)size, ss = 0;

                if (anchored) {
                        /* var(theta_i - theta_a) = C_ii - 2 C_ia + C_aa */
                        memset(y, 0, m * sizeof *y);
                        if (ka >= 0) {
                                memcpy(z, mi + (size_t)ka * m, m * sizeof *z);
                                meat_apply(P, L, ca, cb, csum, z, y);
                                sym_apply(mi, m, y, z); /* z = C e_a */
                        }
                        for (size_t k = lo; k < hi; k++) {
                                int ki = L->pidx[P->C.cmem[k]];
                                double v = ka >= 0 ? z[ka] : 0;

                                if (ki >= 0)
                                        v += diag[ki] - (ka >= 0 ? 2 * z[ki] : 0);
                                var[P->C.cmem[k]] = MAX(v, 0);
                        }
                        continue;
                }
                /* centred: C_ii - 2 (C u)_i / size + u^T C u / size^2 */
                memset(z, 0, m * sizeof *z);
                for (size_t k = lo; k < hi; k++) {
                        int kj = L->pidx[P->C.cmem[k]];

                        if (kj >= 0)
                                num_axpy(z, 1, mi + (size_t)kj * m, m);
                }
                meat_apply(P, L, ca, cb, csum, z, y);
                sym_apply(mi, m, y, z); /* z = C u */
                for (size_t k = lo; k < hi; k++) {
                        int kj = L->pidx[P->C.cmem[k]];

                        if (kj >= 0)
                                ss += z[kj];
                }
                for (size_t k = lo; k < hi; k++) {
                        int ki = L->pidx[P->C.cmem[k]];
                        double v = ss / (sz * sz);

                        if (ki >= 0)
                                v += diag[ki] - 2 * z[ki] / sz;
                        var[P->C.cmem[k]] = MAX(v, 0);
                }
        }
}

/* ---- bootstrap ---- */

/* What every bootstrap round reads: the full fit, the cells' samplers and the certificate. */
struct boot_plan {
        const struct pair_counts *P;
        const struct param_layout *L0;      /* layout of the full fit */
        const double *x0;                   /* full fit, before components_gauge() (n + 1) */
        const double *lo0;                  /* Cholesky factor of the full fit's Hessian, or NULL */
        size_t ncell;                       /* (pair, outcome) cells with a positive count */
        const struct sample_poisson *cells; /* their Poisson samplers */
        /* per cell what a round reads (8 bytes, where a struct sample_poisson is 56): its slot, and
         * its inversion table, or -1 - k for its own sampler cells[k] */
        struct draw {
                uint32_t slot;
                int32_t tab;
        } * draws;
        const struct sample_ptable *tabs; /* inversion tables the cells point to */
        const double *aprob;              /* alias table over the cells, weights = counts */
        const uint32_t *alias;
        uint64_t total;      /* outcomes drawn per round (N) */
        uint64_t pois_total; /* the Poisson part's mean: max(0, N - 5 sqrt(N)) */
        uint64_t seed;
        const double *base;           /* per model: init or anchor_rating */
        double k;                     /* scale / ln(base) */
        double lfact[SAMPLE_LFACT_N]; /* log k! */
        double *reps;                 /* rounds x n ratings */
        /* Strong connectivity certificate: per component with an MLE, an out-tree and an in-tree
         * of "beat" edges from one member; each edge is kept when the count in slot main (that
         * direction's wins) or in slot tie is positive. */
        struct cert_edge {
                uint32_t main, tie;
        } * cert;
        size_t ncert;
        double ties0, decided0; /* counted ties and decided outcomes of the full data */
        /* Half-tie model with the full fit's layout: each pair's two parameter indices (m for a
         * fixed model, whose theta stays 0) and each parameter's model, for grad_half */
        bool half;
        uint32_t *ia, *ib, *pmodel;
        /* owned by boot_prepare / boot_release */
        struct sample_poisson *m_cells;
        struct sample_ptable *m_tabs;
        double *m_cdf, *m_aprob;
        uint32_t *m_guide, *m_alias;
};

struct boot_thread {
        const struct boot_plan *B;
        unsigned prior, failed;
        double *w, *l, *t;    /* resampled counts: w has 3 np entries, l = w + np, t = w + 2 np */
        double ties, decided; /* the resample's counted ties and decided outcomes */
        double *y, *na;       /* half-tie model: per pair, a's score w + t / 2 and w + l + t */
        double *g, *s;        /* half-tie model: gradient and exp(theta) per parameter, m + 1 */
        double *x;            /* n + 1 */
        struct param_layout L;
        struct solver_scratch W;
};

/* One multinomial resample of the N outcomes over the cells, with probabilities count / total.
 * Exact, by Poissonization: independent X_k ~ Poisson(M p_k), M = N - 5 sqrt(N), are, given
 * their sum S, Multinomial(S, p); adding N - S independent draws from p (alias table) makes them
 * Multinomial(N, p) whatever S is. S > N (probability about 3e-7) is redrawn, which conditions
 * on S only and so keeps the result exact. Unlike a chain of conditional binomials, no draw
 * depends on the previous one, so every sampler constant is computed once for all rounds. */
static void resample(struct boot_thread *T, struct rng *rg)
{
        const struct boot_plan *B = T->B;
        size_t np = B->P->np;
        uint64_t s;
        int tries = 0;

        /* Only the cells' slots ever hold a count, and every round writes all of them. */
        do {
                s = 0;
                T->ties = 0;
                /* (after many redraws, which cannot happen, plain alias draws: exact as well) */
                bool pois = B->pois_total > 0 && tries++ < 64;
                for (size_t c = 0; c < B->ncell; c++) {
                        const struct draw *d = &B->draws[c];
                        uint64_t x = !pois ? 0
                                     : d->tab >= 0
                                         ? sample_ptable_draw(rg, &B->tabs[d->tab])
                                         : sample_poisson(rg, &B->cells[-1 - d->tab], B->lfact);

                        s += x;
                        T->w[d->slot] = (double)x;
                        if (d->slot >= 2 * np)
                                T->ties += (double)x;
                }
        } while (s > B->total);
        for (uint64_t j = s; j < B->total; j++) {
                size_t slot = B->draws[sample_alias_draw(rg, B->aprob, B->alias, B->ncell)].slot;

                T->w[slot]++;
                if (slot >= 2 * np)
                        T->ties++;
        }
        T->decided = (double)B->total - T->ties;
}

/* Does the resample keep the full fit's layout? Its "beat" edges are a subset of the full
 * data's, so a component without an MLE still has none; one with an MLE keeps it when its
 * certificate edges all survive (see cert_build), and the tie model's status must not change. */
static bool keeps_layout(const struct boot_thread *T)
{
        const struct boot_plan *B = T->B;

        for (size_t e = 0; e < B->ncert; e++)
                if (!(T->w[B->cert[e].main] + T->w[B->cert[e].tie] > 0))
                        return false;
        return (T->ties > 0) == (B->ties0 > 0) && (T->decided > 0) == (B->decided0 > 0);
}

/* The half-tie model's gradient of a resample over the parameters (layout of the full fit), for
 * chord_half: one division per pair and no indirection through the layout. Returns false when
 * the strengths are too spread out for exp(theta) (then the general path is taken). */
static bool grad_half(struct boot_thread *T, const double *x)
{
        const struct boot_plan *B = T->B;
        const struct param_layout *L = B->L0;
        size_t m = L->m, np = B->P->np;
        double *g = T->g, *s = T->s;

        for (size_t k = 0; k < m; k++) {
                double v = x[B->pmodel[k]];

                if (!(fabs(v) < 300))
                        return false;
                s[k] = exp(v);
        }
        s[m] = 1;
        memset(g, 0, (m + 1) * sizeof *g);
        for (size_t p = 0; p < np; p++) {
                uint32_t a = B->ia[p], b = B->ib[p];
                double gx = T->y[p] - T->na[p] * s[a] / (s[a] + s[b]);

                g[a] += gx;
                g[b] -= gx;
        }
        if (L->any_prior)
                for (size_t k = 0; k < m; k++)
                        if (L->cprior[B->P->C.comp[B->pmodel[k]]])
                                g[k] -= RANK_PRIOR_PRECISION * x[B->pmodel[k]];
        return true;
}

/* chord() for the half-tie model with the full fit's layout. -1 when grad_half cannot be used. */
static int chord_half(struct boot_thread *T, double *x)
{
        const struct boot_plan *B = T->B;
        const struct param_layout *L = B->L0;
        size_t m = L->m, np = B->P->np;

        for (size_t p = 0; p < np; p++) {
                T->y[p] = T->w[p] + 0.5 * T->t[p];
                T->na[p] = T->w[p] + T->l[p] + T->t[p];
        }
        for (int it = 0; it < FIT_CHORD_MAX; it++) {
                double dmax;

                if (!grad_half(T, x))
                        return -1;
                num_chol_solve(B->lo0, m, T->g);
                dmax = fit_max_abs(T->g, m);
                if (!isfinite(dmax) || dmax > 1)
                        return 0;
                step_apply(B->P, L, x, T->g, 1);
                if (dmax < FIT_BOOT_TOL)
                        return 1;
        }
        return 0;
}

static void boot_round(void *thread, unsigned round)
{
        struct boot_thread *T = thread;
        const struct boot_plan *B = T->B;
        const struct pair_counts *P = B->P;
        const struct param_layout *L = B->L0;
        size_t n = P->n;
        struct rng rg;
        double *row = B->reps + (size_t)round * n;
        bool ok = false;
        unsigned iters;

        rng_seed(&rg, B->seed, round);
        resample(T, &rg);
        if (!keeps_layout(T)) {
                layout_build(P, T->w, T->l, T->t, &T->L, &T->W);
                L = &T->L;
        }
        if (L->any_prior || L->dprior)
                T->prior++;
        memcpy(T->x, B->x0, (n + 1) * sizeof *T->x);
        if (B->lo0 && L == B->L0 && B->half) {
                int r = chord_half(T, T->x);

                ok = r > 0;
                if (r < 0)
                        ok = chord(P, T->w, T->l, T->t, L, T->x, B->lo0, &T->W);
        } else if (B->lo0 && layout_same(L, B->L0, P->C.ncomp)) {
                ok = chord(P, T->w, T->l, T->t, L, T->x, B->lo0, &T->W);
        }
        if (!ok) {
                bool finite = true;

                for (size_t i = 0; i <= n; i++)
                        finite = finite && isfinite(T->x[i]);
                if (!finite)
                        memcpy(T->x, B->x0, (n + 1) * sizeof *T->x);
                ok = newton(P, T->w, T->l, T->t, L, T->x, &T->W, &iters);
        }
        if (!ok)
                T->failed++;
        components_gauge(&P->C, T->x);
        for (size_t i = 0; i < n; i++)
                row[i] = B->base[i] + B->k * T->x[i];
}

static void scratch_free(struct solver_scratch *W)
{
        fit_work_free(&W->fit);
        free(W->s);
        free(W->stack);
        free(W->seen);
        memset(W, 0, sizeof *W);
}

static int scratch_init(struct solver_scratch *W, size_t n)
{
        size_t n1 = n + 1;

        memset(W, 0, sizeof *W);
        W->s = calloc(n1, sizeof *W->s);
        W->stack = calloc(n1, sizeof *W->stack);
        W->seen = calloc(n1, sizeof *W->seen);
        if (fit_work_init(&W->fit, n1, n1 * n1) < 0 || !W->s || !W->stack || !W->seen) {
                scratch_free(W);
                return -1;
        }
        return 0;
}

static void layout_free(struct param_layout *L)
{
        free(L->pidx);
        free(L->cprior);
        memset(L, 0, sizeof *L);
}

static int layout_init(struct param_layout *L, size_t n, size_t ncomp)
{
        memset(L, 0, sizeof *L);
        L->pidx = calloc(n, sizeof *L->pidx);
        L->cprior = calloc(ncomp, sizeof *L->cprior);
        if (!L->pidx || !L->cprior) {
                layout_free(L);
                return -1;
        }
        return 0;
}

/* Table memory cap (entries) for the shared Poisson inversion tables. */
#define PTAB_MAX (1u << 19)

static void boot_release(struct boot_plan *B)
{
        free(B->cert);
        B->cert = NULL;
        free(B->draws);
        B->draws = NULL;
        free(B->ia);
        free(B->ib);
        free(B->pmodel);
        B->ia = B->ib = B->pmodel = NULL;
        free(B->m_cells);
        free(B->m_tabs);
        free(B->m_cdf);
        free(B->m_guide);
        free(B->m_aprob);
        free(B->m_alias);
        B->m_cells = NULL;
        B->m_tabs = NULL;
        B->m_cdf = NULL;
        B->m_guide = NULL;
        B->m_aprob = NULL;
        B->m_alias = NULL;
}

/*
 * The certificate of keeps_layout(): for each component the full fit has an MLE for, a tree of
 * "beat" edges reaching every member from its first member, and one reaching the first member
 * from every other, grown Prim-like along the edges with the largest counts (the least likely to
 * vanish in a resample). Both trees surviving prove the resample's component strongly connected.
 * O(components (pairs + size^2)).
 */
static int cert_build(struct boot_plan *B)
{
        const struct pair_counts *P = B->P;
        size_t n = P->n, np = P->np;
        double *best = calloc(n + 1, sizeof *best);
        struct cert_edge *via = calloc(n + 1, sizeof *via);
        unsigned char *in = calloc(n + 1, 1);
        int rc = -1;

        B->cert = calloc(2 * n + 1, sizeof *B->cert);
        B->ncert = 0;
        if (!best || !via || !in || !B->cert)
                goto out;
        for (size_t p = 0; p < np; p++) {
                B->ties0 += P->t[p];
                B->decided0 += P->w[p] + P->l[p];
        }
        for (size_t c = 0; c < P->C.ncomp; c++) {
                size_t lo = P->C.cstart[c], hi = P->C.cstart[c + 1];

                if (hi - lo <= 1 || B->L0->cprior[c])
                        continue;
                for (int dir = 0; dir < 2; dir++) { /* 0: edges leaving the tree, 1: entering */
                        size_t u = P->C.cmem[lo];

                        for (size_t k = lo; k < hi; k++) {
                                best[P->C.cmem[k]] = 0;
                                in[P->C.cmem[k]] = 0;
                        }
                        for (size_t added = 1;; added++) {
                                size_t next = n;

                                in[u] = 1;
                                for (size_t e = P->adj_start[u]; e < P->adj_start[u + 1]; e++) {
                                        size_t q = P->adj[e];
                                        bool from_a = (P->pa[q] == u) == (dir == 0);
                                        size_t v = P->pa[q] == u ? P->pb[q] : P->pa[q];
                                        /* the edge's direction is pa -> pb when from_a */
                                        double cnt = (from_a ? P->w[q] : P->l[q]) + P->t[q];

                                        if (!in[v] && cnt > best[v]) {
                                                best[v] = cnt;
                                                via[v] = (struct cert_edge){
                                                        .main = (uint32_t)((from_a ? 0 : np) + q),
                                                        .tie = (uint32_t)(2 * np + q)
                                                };
                                        }
                                }
                                if (added == hi - lo)
                                        break;
                                for (size_t k = lo; k < hi; k++) {
                                        size_t v = P->C.cmem[k];

                                        if (!in[v] && best[v] > 0 &&
                                            (next == n || best[v] > best[next]))
                                                next = v;
                                }
                                if (next == n) /* cannot happen: the component has an MLE */
                                        goto out;
                                B->cert[B->ncert++] = via[next];
                                u = next;
                        }
                }
        }
        rc = 0;
out:
        free(best);
        free(via);
        free(in);
        return rc;
}

/* Cells, their samplers, the shared inversion tables (one per distinct count, found with a
 * small open-addressing hash on the count's bits) and the alias table. */
struct count_key { /* a cell's count, for grouping equal counts */
        double w;
        uint32_t cell;
};

static int count_key_cmp(const void *a, const void *b)
{
        const struct count_key *x = a, *y = b;

        if (x->w != y->w)
                return x->w < y->w ? -1 : 1;
        return (x->cell > y->cell) - (x->cell < y->cell);
}

static int boot_prepare(struct boot_plan *B)
{
        const struct pair_counts *P = B->P;
        size_t np = P->np, nc = 0, ntab = 0, used = 0, npois = 0;
        double *cw = calloc(3 * np + 1, sizeof *cw), ctot = 0, lam;
        uint32_t *awork = calloc(6 * np + 2, sizeof *awork),
                 *slot = calloc(3 * np + 1, sizeof *slot);
        struct count_key *keys = calloc(3 * np + 1, sizeof *keys);
        int rc = -1;

        B->m_cells = calloc(3 * np + 1, sizeof *B->m_cells);
        B->m_tabs = calloc(3 * np + 1, sizeof *B->m_tabs);
        B->m_aprob = calloc(3 * np + 1, sizeof *B->m_aprob);
        B->m_alias = calloc(3 * np + 1, sizeof *B->m_alias);
        B->m_cdf = calloc(PTAB_MAX, sizeof *B->m_cdf); /* pages untouched beyond `used` */
        B->m_guide = calloc(PTAB_MAX, sizeof *B->m_guide);
        B->draws = calloc(3 * np + 1, sizeof *B->draws);
        if (!cw || !awork || !slot || !keys || !B->m_cells || !B->m_tabs || !B->m_aprob ||
            !B->m_alias || !B->m_cdf || !B->m_guide || !B->draws)
                goto out;
        for (size_t p = 0; p < np; p++) {
                double v[3] = { P->w[p], P->l[p], P->t[p] };

                for (size_t kind = 0; kind < 3; kind++) {
                        if (!(v[kind] > 0))
                                continue;
                        slot[nc] = (uint32_t)(kind * np + p);
                        keys[nc] = (struct count_key){ v[kind], (uint32_t)nc };
                        cw[nc++] = v[kind];
                        ctot += v[kind];
                }
        }
        for (int i = 0; i < SAMPLE_LFACT_N; i++)
                B->lfact[i] = sample_log_factorial(i);
        B->total = (uint64_t)llround(ctot);
        lam = (double)B->total - 5 * sqrt((double)B->total);
        B->pois_total = lam > 0 ? (uint64_t)lam : 0;
        /* Cells of equal count share one inversion table; those left without (no room, or a
         * count whose table would be too long) keep their own sampler in m_cells. */
        qsort(keys, nc, sizeof *keys, count_key_cmp);
        for (size_t k = 0; k < nc;) {
                size_t end = k;
                struct sample_poisson ce;
                uint64_t lo;
                size_t len;
                long tab = -1;

                while (end < nc && keys[end].w == keys[k].w)
                        end++;
                sample_poisson_setup(&ce, (double)B->pois_total * keys[k].w / ctot);
                if (ce.lam > 0) {
                        sample_ptable_range(ce.lam, &lo, &len);
                        if (used + len <= PTAB_MAX) {
                                sample_ptable_build(ce.lam, lo, len, B->m_cdf + used,
                                                    B->m_guide + used);
                                B->m_tabs[ntab] =
                                    (struct sample_ptable){ .lo = lo,
                                                            .len = len,
                                                            .cdf = B->m_cdf + used,
                                                            .guide = B->m_guide + used };
                                used += len;
                                tab = (long)ntab++;
                        }
                }
                for (; k < end; k++) {
                        uint32_t c = keys[k].cell;

                        B->draws[c].slot = slot[c];
                        if (tab >= 0) {
                                B->draws[c].tab = (int32_t)tab;
                        } else {
                                B->m_cells[npois] = ce;
                                B->draws[c].tab = (int32_t)(-1 - (long)npois++);
                        }
                }
        }
        if (nc > 0)
                sample_alias_build(cw, nc, B->m_aprob, B->m_alias, awork);
        B->ncell = nc;
        B->cells = B->m_cells;
        B->tabs = B->m_tabs;
        B->aprob = B->m_aprob;
        B->alias = B->m_alias;
        rc = 0;
out:
        free(cw);
        free(awork);
        free(slot);
        free(keys);
        return rc;
}

/* The index arrays of grad_half, when the fit is the half-tie model. */
static int half_prepare(struct boot_plan *B)
{
        const struct pair_counts *P = B->P;
        const struct param_layout *L = B->L0;

        B->half = L->didx < 0 && P->ties != RANK_TIES_DAVIDSON;
        if (!B->half)
                return 0;
        B->ia = calloc(P->np + 1, sizeof *B->ia);
        B->ib = calloc(P->np + 1, sizeof *B->ib);
        B->pmodel = calloc(L->m + 1, sizeof *B->pmodel);
        if (!B->ia || !B->ib || !B->pmodel)
                return -1;
        for (size_t i = 0; i < P->n; i++)
                if (L->pidx[i] >= 0)
                        B->pmodel[L->pidx[i]] = (uint32_t)i;
        for (size_t p = 0; p < P->np; p++) {
                int a = L->pidx[P->pa[p]], b = L->pidx[P->pb[p]];

                B->ia[p] = a >= 0 ? (uint32_t)a : (uint32_t)L->m;
                B->ib[p] = b >= 0 ? (uint32_t)b : (uint32_t)L->m;
        }
        return 0;
}

/* Runs the bootstrap and fills ci_low, ci_high and se of every model. */
static int bootstrap(struct boot_plan *B, const struct rank_opts *o, struct rank_result *res,
                     char *err, size_t errlen)
{
        const struct pair_counts *P = B->P;
        size_t n = P->n, np = P->np;
        unsigned nt = MIN(o->threads, o->rounds);
        struct boot_thread *T = calloc(nt, sizeof *T);
        double *col = calloc(o->rounds, sizeof *col);
        int rc = -1;

        B->reps = calloc((size_t)o->rounds * n, sizeof *B->reps);
        if (!T || !col || !B->reps || boot_prepare(B) < 0 || cert_build(B) < 0 ||
            half_prepare(B) < 0) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (unsigned k = 0; k < nt; k++) {
                T[k].B = B;
                T[k].w = calloc(3 * np + 1, sizeof *T[k].w);
                T[k].l = T[k].w + np;
                T[k].t = T[k].w + 2 * np;
                T[k].x = calloc(n + 1, sizeof *T[k].x);
                T[k].y = calloc(2 * np + 1, sizeof *T[k].y);
                T[k].na = T[k].y + np;
                T[k].g = calloc(2 * (n + 2), sizeof *T[k].g);
                T[k].s = T[k].g + n + 2;
                if (!T[k].w || !T[k].x || !T[k].y || !T[k].g ||
                    layout_init(&T[k].L, n, P->C.ncomp) < 0 || scratch_init(&T[k].W, n) < 0) {
                        fit_seterr(err, errlen, "out of memory");
                        goto out;
                }
        }
        fit_rounds(T, nt, sizeof(*T), o->rounds, boot_round);
        res->rounds = o->rounds;
        for (unsigned k = 0; k < nt; k++) {
                res->rounds_prior += T[k].prior;
                res->rounds_failed += T[k].failed;
        }
        for (size_t i = 0; i < n; i++) {
                double mean = 0, ss = 0;

                for (unsigned r = 0; r < o->rounds; r++)
                        col[r] = B->reps[(size_t)r * n + i];
                for (unsigned r = 0; r < o->rounds; r++)
                        mean += col[r];
                mean /= o->rounds;
                for (unsigned r = 0; r < o->rounds; r++)
                        ss += (col[r] - mean) * (col[r] - mean);
                num_sort(col, o->rounds);
                res->models[i].ci_low = num_quantile(col, o->rounds, 0.025);
                res->models[i].ci_high = num_quantile(col, o->rounds, 0.975);
                res->models[i].se = sqrt(ss / (o->rounds - 1));
        }
        rc = 0;
out:
        if (T) {
                for (unsigned k = 0; k < nt; k++) {
                        free(T[k].w);
                        free(T[k].x);
                        free(T[k].y);
                        free(T[k].g);
                        layout_free(&T[k].L);
                        scratch_free(&T[k].W);
                }
        }
        free(T);
        free(col);
        free(B->reps);
        B->reps = NULL;
        boot_release(B);
        return rc;
}

/* ---- fragility ---- */

/* One (pair, outcome) cell that may lose outcomes: the change of theta_i - theta_j per outcome
 * removed (influence approximation), and how many it has. */
struct flip_candidate {
        double delta;
        uint32_t pair;
        uint8_t kind; /* enum cell_kind */
        double count;
};

/* What every fragility search reads: the fit, its Hessian's factor, the models in order. */
struct frag_plan {
        const struct pair_counts *P;
        const struct param_layout *L0;
        const double *x0;      /* the fit, before components_gauge() */
        const double *lo;      /* factor of its Hessian */
        const uint32_t *order; /* models by component, then rating descending */
        size_t norder;
        struct rank_flip *flips; /* n, filled per model */
};

struct frag_thread {
        const struct frag_plan *F;
        size_t k0, k1; /* positions [k0, k1) of order whose flip with the next one is computed */
        bool oom;
        double *w; /* counts after removal: 3 np (l = w + np, t = w + 2 np) */
        double *x; /* n + 1 */
        double *u; /* n + 1 */
        struct flip_candidate
            *cand; /* 3 np: the candidates taken so far, in order (sorted of them) */
        struct flip_candidate *heap; /* 3 np: the others, a heap (nheap of them) */
        size_t sorted, nheap;
        double have; /* outcomes in the sorted prefix */
        struct param_layout L;
        struct solver_scratch W;
};

/* Score of one outcome of cell (p, kind) at x0: its derivative by theta_a - theta_b (sx) and by
 * log nu (sd, Davidson only). */
static void cell_score(const struct frag_plan *F, size_t p, int kind, double *sx, double *sd)
{
        const struct pair_counts *P = F->P;
        double xd = F->x0[P->pa[p]] - F->x0[P->pb[p]];

        *sd = 0;
        if (F->L0->didx < 0) {
                double q = 1 / (1 + exp(-xd));

                *sx = kind == CELL_A ? 1 - q : kind == CELL_B ? -q : 0.5 - q;
                return;
        }
        double qa, qb, qt;

        davidson_probs(xd, exp(F->x0[P->n]), &qa, &qb, &qt, NULL);
        *sx = (kind == CELL_A ? 0.5 : kind == CELL_B ? -0.5 : 0) - 0.5 * (qa - qb);
        *sd = (kind == CELL_TIE ? 1 : 0) - qt;
}

/* Candidate order: most negative delta first (ties by cell, for determinism). */
static bool cand_before(const struct flip_candidate *x, const struct flip_candidate *y)
{
        if (x->delta != y->delta)
                return x->delta < y->delta;
        if (x->pair != y->pair)
                return x->pair < y->pair;
        return x->kind < y->kind;
}

static void heap_down(struct flip_candidate *h, size_t n, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, best = i;
                struct flip_candidate t;

                if (l < n && cand_before(&h[l], &h[best]))
                        best = l;
                if (l + 1 < n && cand_before(&h[l + 1], &h[best]))
                        best = l + 1;
                if (best == i)
                        return;
                t = h[i], h[i] = h[best], h[best] = t;
                i = best;
        }
}

/* Moves candidates from the heap (most negative first) to the end of the sorted prefix T->cand
 * until the prefix holds `outcomes` outcomes, or the heap is empty. */
static void cand_take(struct frag_thread *T, double outcomes)
{
        while (T->nheap > 0 && T->have < outcomes) {
                struct flip_candidate top = T->heap[0];

                T->heap[0] = T->heap[--T->nheap];
                heap_down(T->heap, T->nheap, 0);
                T->cand[T->sorted++] = top;
                T->have += top.count;
        }
}

/* Refits without the first `k` outcomes of the candidates (in order) and says whether model i
 * then rates below model j. */
static bool flipped(struct frag_thread *T, double k, size_t i, size_t j)
{
        const struct frag_plan *F = T->F;
        const struct pair_counts *P = F->P;
        size_t np = P->np, n = P->n;
        double *w = T->w, *l = w + np, *t = w + 2 * np;
        const struct param_layout *L = F->L0;
        unsigned iters;
        bool ok = false;

        bool emptied = false;

        cand_take(T, k);
        memcpy(w, P->w, np * sizeof *w);
        memcpy(l, P->l, np * sizeof *l);
        memcpy(t, P->t, np * sizeof *t);
        for (size_t q = 0; q < T->sorted && k > 0; q++) {
                const struct flip_candidate *c = &T->cand[q];
                double take = MIN(c->count, k), *cell = &w[(size_t)c->kind * np + c->pair];

                *cell -= take;
                emptied = emptied || !(*cell > 0);
                k -= take;
        }
        /* the layout can only change when a cell lost all its outcomes */
        if (emptied) {
                layout_build(P, w, l, t, &T->L, &T->W);
                if (!layout_same(&T->L, F->L0, P->C.ncomp))
                        L = &T->L;
        }
        memcpy(T->x, F->x0, (n + 1) * sizeof *T->x);
        if (L == F->L0)
                ok = chord(P, w, l, t, L, T->x, F->lo, &T->W);
        if (!ok) {
                memcpy(T->x, F->x0, (n + 1) * sizeof *T->x);
                newton(P, w, l, t, L, T->x, &T->W, &iters);
        }
        return T->x[i] < T->x[j];
}

/*
 * The flip of model i (rated above j): the influence of one outcome of each cell on
 * theta_i - theta_j is -(sx (u_a - u_b) + sd u_nu) with u = H^-1 (e_i - e_j); the cells are taken
 * most negative first until the predicted change reaches -(theta_i - theta_j); then refits find
 * the smallest number of outcomes, along that order, whose removal really puts i below j:
 * growing by half while it does not, then halving the interval.
 */
static void flip_one(struct frag_thread *T, size_t i, size_t j, struct rank_flip *out)
{
        const struct frag_plan *F = T->F;
        const struct pair_counts *P = F->P;
        const struct param_layout *L = F->L0;
        size_t np = P->np, m = L->m, nc = 0;
        double d = F->x0[i] - F->x0[j], need, predicted = 0, avail = 0, lo, hi;
        int refits = 0;

        out->below = (long)j;
        memset(T->u, 0, (m + 1) * sizeof *T->u);
        if (L->pidx[i] >= 0)
                T->u[L->pidx[i]] += 1;
        if (L->pidx[j] >= 0)
                T->u[L->pidx[j]] -= 1;
        num_chol_solve(F->lo, m, T->u);
        for (size_t p = 0; p < np; p++) {
                int ia = L->pidx[P->pa[p]], ib = L->pidx[P->pb[p]];
                double ud = (ia >= 0 ? T->u[ia] : 0) - (ib >= 0 ? T->u[ib] : 0);
                double cnt[3] = { P->w[p], P->l[p], P->t[p] };

                for (int kind = 0; kind < 3; kind++) {
                        double sx, sd, delta;

                        if (!(cnt[kind] > 0))
                                continue;
                        cell_score(F, p, kind, &sx, &sd);
                        delta = -(sx * ud + (L->didx >= 0 ? sd * T->u[L->didx] : 0));
                        if (delta < 0) {
                                T->heap[nc++] = (struct flip_candidate){ .delta = delta,
                                                                         .pair = (uint32_t)p,
                                                                         .kind = (uint8_t)kind,
                                                                         .count = cnt[kind] };
                                avail += cnt[kind];
                        }
                }
        }
        T->nheap = nc;
        T->sorted = 0;
        T->have = 0;
        for (size_t q = nc / 2; q-- > 0;)
                heap_down(T->heap, nc, q);
        need = d;
        for (size_t q = 0; need > 0; q++) {
                cand_take(T, T->have + 1); /* the next candidate */
                if (q >= T->sorted)
                        break;
                double take = MIN(T->cand[q].count, ceil(need / -T->cand[q].delta));

                predicted += take;
                need += take * T->cand[q].delta;
        }
        out->predicted = need > 0 ? avail : predicted;
        if (!(d > 0)) { /* equal ratings: no order to reverse */
                out->found = true;
                return;
        }
        /* lo: known not to flip; hi: the next count to try, then the smallest known to flip */
        lo = 0;
        hi = MAX(1, MIN(predicted, avail));
        for (;;) {
                if (refits++ >= FLIP_REFITS)
                        return; /* not found */
                if (flipped(T, hi, i, j))
                        break;
                lo = hi;
                if (hi >= avail)
                        return; /* even every outcome that helps is not enough */
                hi = MIN(avail, ceil(hi * 1.5) + 1);
        }
        while (hi - lo > 1 && refits++ < FLIP_REFITS) {
                double mid = floor((lo + hi) / 2);

                if (flipped(T, mid, i, j))
                        hi = mid;
                else
                        lo = mid;
        }
        out->found = true;
        out->votes = hi;
        need = hi;
        for (size_t q = 0; q < T->sorted && need > 0; q++) {
                need -= MIN(T->cand[q].count, need);
                out->nremovals++;
        }
        out->removals = calloc(out->nremovals + 1, sizeof *out->removals);
        if (!out->removals) {
                T->oom = true;
                out->nremovals = 0;
                return;
        }
        need = hi;
        for (size_t q = 0; q < out->nremovals; q++) {
                double take = MIN(T->cand[q].count, need);

                out->removals[q] = (struct rank_removal){ .a = P->pa[T->cand[q].pair],
                                                          .b = P->pb[T->cand[q].pair],
                                                          .kind = T->cand[q].kind,
                                                          .count = take };
                need -= take;
        }
}

static void frag_main(void *arg)
{
        struct frag_thread *T = arg;
        const struct frag_plan *F = T->F;

        for (size_t k = T->k0; k < T->k1; k++) {
                size_t i = F->order[k], j = F->order[k + 1];

                if (F->P->C.comp[i] == F->P->C.comp[j])
                        flip_one(T, i, j, &F->flips[i]);
        }
}

/* A model's place in the order of fragility's pairs. */
struct order_key {
        unsigned comp;
        double theta;
        uint32_t index;
};

/* component ascending, then theta descending, then index */
static int order_key_cmp(const void *a, const void *b)
{
        const struct order_key *x = a, *y = b;

        if (x->comp != y->comp)
                return x->comp < y->comp ? -1 : 1;
        if (x->theta != y->theta)
                return x->theta > y->theta ? -1 : 1;
        return (x->index > y->index) - (x->index < y->index);
}

static void frag_thread_free(struct frag_thread *T)
{
        free(T->w);
        free(T->x);
        free(T->u);
        free(T->cand);
        free(T->heap);
        layout_free(&T->L);
        scratch_free(&T->W);
}

/* Fills res->flips (n entries) for the fit x0 (before gauge) with Hessian factor lo. */
static int fragility(const struct pair_counts *P, const struct param_layout *L0, const double *x0,
                     const double *lo, unsigned threads, struct rank_result *res)
{
        size_t n = P->n, np = P->np, npos = n > 0 ? n - 1 : 0;
        struct frag_plan F = { .P = P, .L0 = L0, .x0 = x0, .lo = lo };
        struct order_key *keys = calloc(n + 1, sizeof *keys);
        uint32_t *order = calloc(n + 1, sizeof *order);
        unsigned nt = (unsigned)MAX(1, MIN((size_t)threads, npos));
        struct frag_thread *T = calloc(nt, sizeof *T);
        int rc = -1;

        res->flips = calloc(n + 1, sizeof *res->flips);
        if (!keys || !order || !T || !res->flips)
                goto out;
        for (size_t i = 0; i < n; i++) {
                keys[i] = (struct order_key){ P->C.comp[i], x0[i], (uint32_t)i };
                res->flips[i].below = -1;
        }
        qsort(keys, n, sizeof *keys, order_key_cmp);
        for (size_t i = 0; i < n; i++)
                order[i] = keys[i].index;
        F.order = order;
        F.norder = n;
        F.flips = res->flips;
        for (unsigned k = 0; k < nt; k++) {
                T[k].F = &F;
                T[k].k0 = npos * k / nt;
                T[k].k1 = npos * (k + 1) / nt;
                T[k].w = calloc(3 * np + 1, sizeof *T[k].w);
                T[k].x = calloc(n + 1, sizeof *T[k].x);
                T[k].u = calloc(n + 2, sizeof *T[k].u);
                T[k].cand = calloc(3 * np + 1, sizeof *T[k].cand);
                T[k].heap = calloc(3 * np + 1, sizeof *T[k].heap);
                if (!T[k].w || !T[k].x || !T[k].u || !T[k].cand || !T[k].heap ||
                    layout_init(&T[k].L, n, P->C.ncomp) < 0 || scratch_init(&T[k].W, n) < 0)
                        goto out;
        }
        fit_parallel(T, nt, sizeof(*T), frag_main);
        rc = 0;
        for (unsigned k = 0; k < nt; k++)
                if (T[k].oom)
                        rc = -1;
out:
        for (unsigned k = 0; T && k < nt; k++)
                frag_thread_free(&T[k]);
        free(T);
        free(keys);
        free(order);
        return rc;
}

/* ---- setup ---- */

/* One input pair's outcomes, before pairs are aggregated. */
struct pair_outcomes {
        uint32_t a, b; /* a < b */
        double w, l, t;
};

/* Sorts ag by (a, b), keeping the input order among equal pairs (so that the sums are added in
 * a fixed order): two stable counting-sort passes, by b then by a, O(na + n). */
static int sort_agg(struct pair_outcomes *ag, size_t na, size_t n)
{
        struct pair_outcomes *tmp = malloc((na + 1) * sizeof *tmp), *src = ag, *dst = tmp;
        size_t *count = calloc(n + 1, sizeof *count);

        if (!tmp || !count) {
                free(tmp);
                free(count);
                return -1;
        }
        for (int pass = 0; pass < 2; pass++) {
                memset(count, 0, (n + 1) * sizeof *count);
                for (size_t i = 0; i < na; i++)
                        count[(pass ? src[i].a : src[i].b) + 1]++;
                for (size_t k = 0; k < n; k++)
                        count[k + 1] += count[k];
                for (size_t i = 0; i < na; i++)
                        dst[count[pass ? src[i].a : src[i].b]++] = src[i];
                struct pair_outcomes *t = src;
                src = dst;
                dst = t;
        }
        /* after two passes the sorted array is back in the original buffer */
        free(tmp);
        free(count);
        return 0;
}

static void pair_counts_free(struct pair_counts *P)
{
        free(P->pa);
        free(P->pb);
        free(P->w);
        free(P->l);
        free(P->t);
        free(P->adj_start);
        free(P->adj);
        components_fini(&P->C);
        free(P->cref);
        free(P->ctotal);
        memset(P, 0, sizeof *P);
}

/* Validates the pairs, adds up the raw per-model counts into res, and builds the problem. */
static int pair_counts_build(struct pair_counts *P, size_t n, const struct rank_pair *pairs,
                             size_t npairs, const struct rank_opts *o, struct rank_result *res,
                             char *err, size_t errlen)
{
        struct pair_outcomes *ag = NULL;
        size_t na = 0, np = 0, *fill = NULL;
        double *mtotal = NULL;
        int rc = -1;

        memset(P, 0, sizeof *P);
        P->n = n;
        P->ties = o->ties;
        if (npairs > 0 && !pairs) {
                fit_seterr(err, errlen, "pairs is NULL");
                goto out;
        }
        ag = calloc(npairs + 1, sizeof *ag);
        if (!ag) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < npairs; i++) {
                const struct rank_pair *q = &pairs[i];
                double v[4] = { q->a_wins, q->b_wins, q->ties, q->both_bad }, tc;
                struct rank_model *ma, *mb;

                if (q->a >= n || q->b >= n) {
                        fit_seterr(err, errlen, "pair %zu: model index %u out of range (n = %zu)",
                                   i, q->a >= n ? q->a : q->b, n);
                        goto out;
                }
                if (q->a == q->b) {
                        fit_seterr(err, errlen, "pair %zu compares model %u with itself", i, q->a);
                        goto out;
                }
                for (int k = 0; k < 4; k++) {
                        if (!isfinite(v[k]) || v[k] < 0) {
                                fit_seterr(err, errlen,
                                           "pair %zu: count %g is negative or not finite", i, v[k]);
                                goto out;
                        }
                }
                ma = &res->models[q->a];
                mb = &res->models[q->b];
                ma->wins += q->a_wins;
                ma->losses += q->b_wins;
                mb->wins += q->b_wins;
                mb->losses += q->a_wins;
                ma->ties += q->ties;
                mb->ties += q->ties;
                ma->both_bad += q->both_bad;
                mb->both_bad += q->both_bad;
                tc = o->ties == RANK_TIES_EXCLUDE
                         ? 0
                         : q->ties + (o->both_bad == RANK_BOTH_BAD_TIE ? q->both_bad : 0);
                if (!(q->a_wins + q->b_wins + tc > 0))
                        continue;
                ag[na].t = tc;
                if (q->a < q->b) {
                        ag[na].a = q->a, ag[na].b = q->b;
                        ag[na].w = q->a_wins, ag[na].l = q->b_wins;
                } else {
                        ag[na].a = q->b, ag[na].b = q->a;
                        ag[na].w = q->b_wins, ag[na].l = q->a_wins;
                }
                na++;
        }
        if (sort_agg(ag, na, n) < 0) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < na; i++) {
                if (np > 0 && ag[np - 1].a == ag[i].a && ag[np - 1].b == ag[i].b) {
                        ag[np - 1].w += ag[i].w;
                        ag[np - 1].l += ag[i].l;
                        ag[np - 1].t += ag[i].t;
                } else {
                        ag[np++] = ag[i];
                }
        }
        P->np = np;
        P->pa = calloc(np + 1, sizeof *P->pa);
        P->pb = calloc(np + 1, sizeof *P->pb);
        P->w = calloc(np + 1, sizeof *P->w);
        P->l = calloc(np + 1, sizeof *P->l);
        P->t = calloc(np + 1, sizeof *P->t);
        P->adj_start = calloc(n + 1, sizeof *P->adj_start);
        P->adj = calloc(2 * np + 1, sizeof *P->adj);
        P->cref = calloc(n, sizeof *P->cref);
        P->ctotal = calloc(n, sizeof *P->ctotal);
        fill = calloc(n + 1, sizeof *fill);
        mtotal = calloc(n, sizeof *mtotal);
        if (!P->pa || !P->pb || !P->w || !P->l || !P->t || !P->adj_start || !P->adj || !P->cref ||
            !P->ctotal || !fill || !mtotal) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (size_t p = 0; p < np; p++) {
                double tot = ag[p].w + ag[p].l + ag[p].t;

                if (!isfinite(tot)) {
                        fit_seterr(err, errlen, "counts too large");
                        goto out;
                }
                P->pa[p] = ag[p].a;
                P->pb[p] = ag[p].b;
                P->w[p] = ag[p].w;
                P->l[p] = ag[p].l;
                P->t[p] = ag[p].t;
                P->adj_start[ag[p].a + 1]++;
                P->adj_start[ag[p].b + 1]++;
                mtotal[ag[p].a] += tot;
                mtotal[ag[p].b] += tot;
        }
        for (size_t i = 0; i < n; i++)
                P->adj_start[i + 1] += P->adj_start[i];
        for (size_t p = 0; p < np; p++) {
                P->adj[P->adj_start[P->pa[p]] + fill[P->pa[p]]++] = p;
                P->adj[P->adj_start[P->pb[p]] + fill[P->pb[p]]++] = p;
        }
        if (components_build(&P->C, n, P->pa, P->pb, np, o->anchor) != 0) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        /* reference: the member with the most counted outcomes (best conditioned) */
        for (size_t c = 0; c < P->C.ncomp; c++) {
                size_t best = P->C.cmem[P->C.cstart[c]];

                for (size_t k = P->C.cstart[c]; k < P->C.cstart[c + 1]; k++) {
                        size_t i = P->C.cmem[k];

                        if (mtotal[i] > mtotal[best])
                                best = i;
                        P->ctotal[c] += mtotal[i];
                }
                P->ctotal[c] /= 2;
                P->cref[c] = (uint32_t)best;
        }
        rc = 0;
out:
        free(ag);
        free(fill);
        free(mtotal);
        return rc;
}

int rank_opts_check(size_t n, const struct rank_opts *o, char *err, size_t errlen)
{
        if (n == 0 || n > RANK_MODELS_MAX) {
                fit_seterr(err, errlen, "number of models %zu not in 1..%d", n, RANK_MODELS_MAX);
                return -1;
        }
        if ((unsigned)o->ties > RANK_TIES_EXCLUDE) {
                fit_seterr(err, errlen, "unknown ties mode %d", (int)o->ties);
                return -1;
        }
        if ((unsigned)o->both_bad > RANK_BOTH_BAD_EXCLUDE) {
                fit_seterr(err, errlen, "unknown both_bad mode %d", (int)o->both_bad);
                return -1;
        }
        if ((unsigned)o->ci > RANK_CI_NONE) {
                fit_seterr(err, errlen, "unknown ci mode %d", (int)o->ci);
                return -1;
        }
        if (o->anchor < -1 || (o->anchor >= 0 && (size_t)o->anchor >= n)) {
                fit_seterr(err, errlen, "anchor %ld out of range (n = %zu)", o->anchor, n);
                return -1;
        }
        if (!isfinite(o->scale) || !(o->scale > 0) || !isfinite(o->base) || !(o->base > 1) ||
            !isfinite(o->init) || !isfinite(o->anchor_rating)) {
                fit_seterr(err, errlen,
                           "scale must be > 0, base > 1, init and anchor_rating finite");
                return -1;
        }
        if (o->ci == RANK_CI_BOOTSTRAP) {
                if (o->rounds < RANK_ROUNDS_MIN || o->rounds > RANK_ROUNDS_MAX) {
                        fit_seterr(err, errlen, "rounds %u not in %d..%d", o->rounds,
                                   RANK_ROUNDS_MIN, RANK_ROUNDS_MAX);
                        return -1;
                }
                if (o->threads < 1 || o->threads > RANK_THREADS_MAX) {
                        fit_seterr(err, errlen, "threads %u not in 1..%d", o->threads,
                                   RANK_THREADS_MAX);
                        return -1;
                }
        }
        return 0;
}

/* ---- public ---- */

void rank_opts_default(struct rank_opts *o)
{
        memset(o, 0, sizeof *o);
        o->ties = RANK_TIES_HALF;
        o->both_bad = RANK_BOTH_BAD_TIE;
        o->ci = RANK_CI_SANDWICH;
        o->rounds = 1000;
        o->seed = 42;
        o->threads = 2;
        o->anchor = -1;
        o->anchor_rating = 1000;
        o->scale = 400;
        o->base = 10;
        o->init = 1000;
        o->model_se = true;
}

void rank_result_fini(struct rank_result *r)
{
        if (!r)
                return;
        for (size_t i = 0; r->flips && i < r->n; i++)
                free(r->flips[i].removals);
        free(r->flips);
        free(r->models);
        free(r->cov);
        memset(r, 0, sizeof *r);
}

double rank_predict(const struct rank_result *r, size_t i, size_t j)
{
        double x, qa, qb, qt;

        if (!r || !r->models || i >= r->n || j >= r->n || i == j ||
            r->models[i].component != r->models[j].component)
                return 0.5;
        x = r->models[i].theta - r->models[j].theta;
        if (r->ties == RANK_TIES_DAVIDSON && r->tie_strength > 0) {
                davidson_probs(x, r->tie_strength, &qa, &qb, &qt, NULL);
                return qa + 0.5 * qt;
        }
        return 1 / (1 + exp(-x));
}

int rank_fit(size_t n, const struct rank_pair *pairs, size_t npairs, const struct rank_opts *opts,
             struct rank_result *out, char *err, size_t errlen)
{
        struct rank_opts def;
        const struct rank_opts *o = opts;
        struct pair_counts P;
        struct param_layout L;
        struct solver_scratch W;
        struct rank_result res;
        double *x = NULL, *xs = NULL, *lo = NULL, *mi = NULL, *gm = NULL, *ws = NULL, *var = NULL,
               *base = NULL, *tmp = NULL;
        double k, prior = 0;
        size_t m, n1 = n + 1;
        bool have_lo = false, lo_skipped;
        int rc = -1;

        memset(&P, 0, sizeof P);
        memset(&L, 0, sizeof L);
        memset(&W, 0, sizeof W);
        memset(&res, 0, sizeof res);
        if (err && errlen > 0)
                err[0] = '\0';
        if (!out) {
                fit_seterr(err, errlen, "out is NULL");
                return -1;
        }
        memset(out, 0, sizeof *out);
        if (!o) {
                rank_opts_default(&def);
                o = &def;
        }
        if (rank_opts_check(n, o, err, errlen) < 0)
                return -1;
        res.n = n;
        res.ties = o->ties;
        res.models = calloc(n, sizeof *res.models);
        if (!res.models) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        if (pair_counts_build(&P, n, pairs, npairs, o, &res, err, errlen) < 0)
                goto out;
        if (layout_init(&L, n, P.C.ncomp) < 0 || scratch_init(&W, n) < 0)
                goto oom;
        x = calloc(n1, sizeof *x);
        xs = calloc(n1, sizeof *xs);
        var = calloc(n1, sizeof *var);
        base = calloc(n1, sizeof *base);
        tmp = calloc(n1 * n1, sizeof *tmp);
        lo = calloc(n1 * n1, sizeof *lo);
        mi = calloc((n1 + 1) * n1, sizeof *mi); /* + a zero row: sandwich_var */
        if (!x || !xs || !var || !base || !tmp || !lo || !mi)
                goto oom;

        /* the fit */
        layout_build(&P, P.w, P.l, P.t, &L, &W);
        m = L.m;
        res.converged = newton(&P, P.w, P.l, P.t, &L, x, &W, &res.iterations);
        memcpy(xs, x, n1 * sizeof *x);
        res.loglik = eval(&P, P.w, P.l, P.t, &L, x, W.fit.g, W.fit.h, &prior) - prior;
        for (size_t p = 0; p < P.np; p++)
                res.counted += P.w[p] + P.l[p] + P.t[p];
        if (o->ties == RANK_TIES_DAVIDSON) {
                res.tie_strength = L.didx >= 0 ? exp(x[n]) : 0;
                res.tie_prior = L.dprior;
        }
        components_gauge(&P.C, x);
        k = o->scale / log(o->base);
        for (size_t i = 0; i < n; i++) {
                bool anch = o->anchor >= 0 && P.C.comp[i] == P.C.comp[o->anchor];

                base[i] = anch ? o->anchor_rating : o->init;
        }

        /* model-based standard errors: the Hessian at the fit (in W.fit.h, lower); its factor also
         * starts the bootstrap's resamples */
        memcpy(lo, W.fit.h, m * m * sizeof *lo);
        lo_skipped = !o->model_se && !o->covariance && o->ci != RANK_CI_BOOTSTRAP && !o->robustness;
        if (lo_skipped) {
                /* nobody needs them: the sandwich below factors the Hessian itself */
        } else if (m > 0 && num_chol(lo, m) == 0) {
                have_lo = true;
                num_chol_inverse(lo, m, mi, tmp);
                components_gauge_var(&P.C, L.pidx, mi, L.m, var, W.fit.g2);
                for (size_t i = 0; i < n; i++)
                        res.models[i].se_model = k * sqrt(var[i]);
                if (o->covariance) {
                        if (!(res.cov = calloc(n * n, sizeof *res.cov)))
                                goto oom;
                        gauge_cov(&P, &L, mi, res.cov, W.fit.g2);
                }
        } else if (m > 0) {
                res.converged = false;
        }
        if (o->covariance && !res.cov && !(res.cov = calloc(n * n, sizeof *res.cov)))
                goto oom;

        if (o->ci == RANK_CI_SANDWICH && m > 0 && (have_lo || lo_skipped)) {
                gm = calloc(n1 * n1, sizeof *gm);
                ws = calloc(3 * n1 + 2 * P.np + 1, sizeof *ws);
                if (!gm || !ws)
                        goto oom;
                /* arena-rank's ridge on each maximum-likelihood component, expressed on its free
                 * parameters: eps (I - J / size) is what eps I becomes once the reference is
                 * held fixed and the sum-to-zero direction projected out */
                memcpy(gm, W.fit.h, m * m * sizeof *gm);
                for (size_t c = 0; c < P.C.ncomp; c++) {
                        size_t size = P.C.cstart[c + 1] - P.C.cstart[c];
                        double eps = RIDGE * P.ctotal[c];

                        if (size <= 1 || L.cprior[c])
                                continue;
                        for (size_t a = P.C.cstart[c]; a < P.C.cstart[c + 1]; a++) {
                                int ia = L.pidx[P.C.cmem[a]];

                                if (ia < 0)
                                        continue;
                                gm[(size_t)ia * m + (size_t)ia] += eps;
                                for (size_t b = P.C.cstart[c]; b < P.C.cstart[c + 1]; b++) {
                                        int ib = L.pidx[P.C.cmem[b]];

                                        if (ib >= 0 && ib <= ia)
                                                gm[(size_t)ia * m + (size_t)ib] -=
                                                    eps / (double)size;
                                }
                        }
                }
                if (num_chol(gm, m) < 0) {
                        res.converged = false;
                } else {
                        num_chol_inverse(gm, m, mi, tmp);
                        sandwich_var(&P, &L, xs, mi, var, ws);
                        for (size_t i = 0; i < n; i++)
                                res.models[i].se = k * sqrt(var[i]);
                }
        }

        for (size_t i = 0; i < n; i++) {
                struct rank_model *md = &res.models[i];
                unsigned c = P.C.comp[i];
                size_t size = P.C.cstart[c + 1] - P.C.cstart[c];
                double won = 0, lost = 0;

                for (size_t e = P.adj_start[i]; e < P.adj_start[i + 1]; e++) {
                        size_t p = P.adj[e];

                        won += (P.pa[p] == i ? P.w[p] : P.l[p]) + P.t[p];
                        lost += (P.pa[p] == i ? P.l[p] : P.w[p]) + P.t[p];
                }
                md->theta = x[i];
                md->rating = base[i] + k * x[i];
                md->ci_low = md->rating - Z95 * md->se;
                md->ci_high = md->rating + Z95 * md->se;
                md->component = c;
                md->n = md->wins + md->losses + md->ties + md->both_bad;
                md->flags |= fit_model_flags(size, won, lost, o->anchor, i);
                if (L.cprior[c])
                        md->flags |= RANK_FLAG_PRIOR;
        }

        if (o->robustness && have_lo && fragility(&P, &L, xs, lo, o->threads, &res) < 0)
                goto oom;
        if (o->robustness && !res.flips) { /* no free parameter: nothing is ordered */
                if (!(res.flips = calloc(n, sizeof *res.flips)))
                        goto oom;
                for (size_t i = 0; i < n; i++)
                        res.flips[i].below = -1;
        }

        if (o->ci == RANK_CI_BOOTSTRAP) {
                struct boot_plan B;

                if (!(res.counted < 1e15)) {
                        fit_seterr(err, errlen, "too many outcomes (%g) for the bootstrap",
                                   res.counted);
                        goto out;
                }
                memset(&B, 0, sizeof B);
                B.P = &P;
                B.L0 = &L;
                B.x0 = xs;
                B.lo0 = have_lo ? lo : NULL;
                B.seed = o->seed;
                B.base = base;
                B.k = k;
                if (bootstrap(&B, o, &res, err, errlen) < 0)
                        goto out;
                if (res.rounds_failed > 0)
                        res.converged = false;
        }

        /* ranks, and a last guard: everything finite */
        fit_rank_models(res.models, n);
        for (size_t i = 0; i < n; i++) {
                struct rank_model *md = &res.models[i];

                if (!isfinite(md->theta) || !isfinite(md->rating) || !isfinite(md->ci_low) ||
                    !isfinite(md->ci_high) || !isfinite(md->se) || !isfinite(md->se_model)) {
                        fit_seterr(err, errlen, "numerical failure (model %zu)", i);
                        goto out;
                }
        }
        if (!isfinite(res.loglik) || !isfinite(res.tie_strength)) {
                fit_seterr(err, errlen, "numerical failure");
                goto out;
        }
        res.components = P.C.ncomp;
        if (!res.converged && res.rounds_failed > 0)
                fit_seterr(err, errlen, "did not converge: %u of %u bootstrap rounds failed",
                           res.rounds_failed, res.rounds);
        else if (!res.converged)
                fit_seterr(err, errlen, "did not converge (stopped after %u Newton iterations)",
                           res.iterations);
        *out = res;
        memset(&res, 0, sizeof res);
        rc = 0;
        goto out;
oom:
        fit_seterr(err, errlen, "out of memory");
out:
        rank_result_fini(&res);
        pair_counts_free(&P);
        layout_free(&L);
        scratch_free(&W);
        free(x);
        free(xs);
        free(var);
        free(base);
        free(tmp);
        free(lo);
        free(mi);
        free(gm);
        free(ws);
        return rc;
}
