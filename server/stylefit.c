/*
 * stylefit.c - Bradley-Terry with style control; stylefit.h states the model and every convention.
 *
 * Parameters x: x[0 .. n) the thetas, x[n .. n + k) the coefficients of the k features that are
 * not constant. The penalty makes every parameter free (no reference model, no prior). Hessians
 * are of the negative penalised log-likelihood, m x m row-major, m = n + k, lower triangle.
 */
#define _POSIX_C_SOURCE 200809L

#include "stylefit.h"

#include "components.h"
#include "fit.h"
#include "numeric.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054
#define K   STYLEFIT_FEATURES

const char *const stylefit_feature_names[STYLEFIT_FEATURES] = { "length", "headers", "lists",
                                                                "bold" };

/* The votes of the fit, read-only once built. */
struct data {
        size_t n, nv, k;     /* models, counted votes, features in the fit */
        uint32_t *a, *b;     /* per vote */
        double *y, *w;       /* outcome for a (1, 1/2, 0) and weight */
        double *z;           /* nv x k standardised features */
        int feat[K];         /* the input feature of each fitted one */
        double lam_theta;    /* STYLEFIT_L2 / ln(base)^2 */
        struct components C; /* of the counted votes' graph, with the anchor or -1 */
};

/* ---- the objective ---- */

/* log(1 + e^x) without overflow */
static double softplus(double x)
{
        return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double sigmoid(double x)
{
        if (x >= 0)
                return 1 / (1 + exp(-x));
        double e = exp(x);
        return e / (1 + e);
}

static double linpred(const struct data *D, const double *x, size_t v)
{
        const double *z = D->z + v * D->k;
        double s = x[D->a[v]] - x[D->b[v]];

        for (size_t j = 0; j < D->k; j++)
                s += x[D->n + j] * z[j];
        return s;
}

/* Adds c x_v x_v^T to the lower triangle of h, x_v = (e_a - e_b, z_v). */
static void add_outer(const struct data *D, size_t v, double c, double *h)
{
        size_t n = D->n, m = n + D->k, a = D->a[v], b = D->b[v];
        const double *z = D->z + v * D->k;

        h[a * m + a] += c;
        h[b * m + b] += c;
        h[MAX(a, b) * m + MIN(a, b)] -= c;
        for (size_t j = 0; j < D->k; j++) {
                double *row = h + (n + j) * m;

                row[a] += c * z[j];
                row[b] -= c * z[j];
                for (size_t l = 0; l <= j; l++)
                        row[n + l] += c * z[j] * z[l];
        }
}

/*
 * The penalised log-likelihood at x with the votes weighted w_v cnt_v (cnt NULL: 1), its gradient
 * into g and, when h != NULL, its negative Hessian into h (lower triangle). *ll (if not NULL)
 * gets the log-likelihood alone.
 */
static double eval(const struct data *D, const double *cnt, const double *x, double *g, double *h,
                   double *ll)
{
        size_t n = D->n, m = n + D->k;
        double f = 0, pen = 0;

        memset(g, 0, m * sizeof *g);
        if (h)
                memset(h, 0, m * m * sizeof *h);
        for (size_t v = 0; v < D->nv; v++) {
                double w = D->w[v] * (cnt ? cnt[v] : 1), xd, p, r;
                const double *z = D->z + v * D->k;

                if (!(w > 0))
                        continue;
                xd = linpred(D, x, v);
                p = sigmoid(xd);
                f += w * (D->y[v] * xd - softplus(xd));
                r = w * (D->y[v] - p);
                g[D->a[v]] += r;
                g[D->b[v]] -= r;
                for (size_t j = 0; j < D->k; j++)
                        g[n + j] += r * z[j];
                if (h)
                        add_outer(D, v, w * p * (1 - p), h);
        }
        for (size_t i = 0; i < m; i++) {
                double lam = i < n ? D->lam_theta : STYLEFIT_L2;

                pen += 0.5 * lam * x[i] * x[i];
                g[i] -= lam * x[i];
                if (h)
                        h[i * m + i] += lam;
        }
        if (ll)
                *ll = f;
        return f - pen;
}

/* The gradient alone (what eval() gives, without the objective's logarithms). */
static void gradient(const struct data *D, const double *cnt, const double *x, double *g)
{
        size_t n = D->n, m = n + D->k;

        memset(g, 0, m * sizeof *g);
        for (size_t v = 0; v < D->nv; v++) {
                double w = D->w[v] * (cnt ? cnt[v] : 1), r;
                const double *z = D->z + v * D->k;

                if (!(w > 0))
                        continue;
                r = w * (D->y[v] - sigmoid(linpred(D, x, v)));
                g[D->a[v]] += r;
                g[D->b[v]] -= r;
                for (size_t j = 0; j < D->k; j++)
                        g[n + j] += r * z[j];
        }
        for (size_t i = 0; i < m; i++)
                g[i] -= (i < n ? D->lam_theta : STYLEFIT_L2) * x[i];
}

/* The penalised log-likelihood of the votes weighted by cnt, for fit.h's Newton and chord. */
struct objective {
        const struct data *D;
        const double *cnt;
};

static double objective_eval(void *ctx, const double *x, double *g, double *h)
{
        const struct objective *o = ctx;

        return eval(o->D, o->cnt, x, g, h, NULL);
}

static void objective_grad(void *ctx, const double *x, double *g)
{
        const struct objective *o = ctx;

        gradient(o->D, o->cnt, x, g);
}

static void objective_move(void *ctx, double *x, const double *d, double step)
{
        const struct objective *o = ctx;

        num_axpy(x, step, d, o->D->n + o->D->k);
}

/* The votes weighted by cnt as a problem for fit_newton and fit_chord; o is filled in. */
static struct fit_problem problem(const struct data *D, const double *cnt, struct objective *o)
{
        *o = (struct objective){ D, cnt };
        return (struct fit_problem){ .ctx = o,
                                     .m = D->n + D->k,
                                     .nx = D->n + D->k,
                                     .eval = objective_eval,
                                     .grad = objective_grad,
                                     .move = objective_move };
}

/* Newton's method with backtracking from x; true on convergence, x always finite. */
static bool newton(const struct data *D, const double *cnt, double *x, struct fit_work *W,
                   unsigned *iters)
{
        struct objective o;
        struct fit_problem F = problem(D, cnt, &o);

        return fit_newton(&F, W, x, 0, iters);
}

/* Fixed-Hessian steps with the full fit's factor lo (bootstrap resamples). */
static bool chord(const struct data *D, const double *cnt, double *x, const double *lo,
                  struct fit_work *W)
{
        struct objective o;
        struct fit_problem F = problem(D, cnt, &o);

        return fit_chord(&F, W, x, lo);
}

/* ---- bootstrap ---- */

struct boot {
        const struct data *D;
        const double *x0; /* the full fit, before components_gauge() */
        const double *lo; /* factor of its Hessian */
        uint64_t seed;
        double *reps; /* rounds x m: gauged thetas, then coefficients */
};

struct boot_thread {
        const struct boot *B;
        unsigned failed;
        double *cnt; /* nv: how often each vote was drawn */
        double *x;   /* m */
        struct fit_work W;
};

static void boot_round(void *thread, unsigned round)
{
        struct boot_thread *T = thread;
        const struct boot *B = T->B;
        const struct data *D = B->D;
        size_t m = D->n + D->k;
        struct rng rg;
        unsigned iters;

        rng_seed(&rg, B->seed, round);
        memset(T->cnt, 0, D->nv * sizeof *T->cnt);
        for (size_t v = 0; v < D->nv; v++) { /* uniform on 0 .. nv - 1 (bias below nv / 2^53) */
                size_t k = (size_t)(rng_unif(&rg) * (double)D->nv);

                T->cnt[k < D->nv ? k : D->nv - 1] += 1;
        }
        memcpy(T->x, B->x0, m * sizeof *T->x);
        if (!chord(D, T->cnt, T->x, B->lo, &T->W)) {
                memcpy(T->x, B->x0, m * sizeof *T->x);
                if (!newton(D, T->cnt, T->x, &T->W, &iters))
                        T->failed++;
        }
        components_gauge(&D->C, T->x);
        memcpy(B->reps + (size_t)round * m, T->x, m * sizeof *T->x);
}

/* Runs the rounds; percentiles and sds of the gauged parameters into low, high, se (m each). */
static int bootstrap(struct boot *B, const struct rank_opts *o, double *low, double *high,
                     double *se, unsigned *failed)
{
        const struct data *D = B->D;
        size_t m = D->n + D->k;
        unsigned nt = MIN(o->threads, o->rounds);
        struct boot_thread *T = calloc(nt, sizeof *T);
        double *col = calloc(o->rounds, sizeof *col);
        int rc = -1;

        B->reps = calloc((size_t)o->rounds * m, sizeof *B->reps);
        if (!T || !col || !B->reps)
                goto out;
        for (unsigned t = 0; t < nt; t++) {
                T[t].B = B;
                T[t].cnt = calloc(D->nv + 1, sizeof *T[t].cnt);
                T[t].x = calloc(m, sizeof *T[t].x);
                if (!T[t].cnt || !T[t].x || fit_work_init(&T[t].W, m + 1, m * m + 1) < 0)
                        goto out;
        }
        fit_rounds(T, nt, sizeof(*T), o->rounds, boot_round);
        *failed = 0;
        for (unsigned t = 0; t < nt; t++)
                *failed += T[t].failed;
        for (size_t i = 0; i < m; i++) {
                double mean = 0, ss = 0;

                for (unsigned r = 0; r < o->rounds; r++)
                        mean += (col[r] = B->reps[(size_t)r * m + i]);
                mean /= o->rounds;
                for (unsigned r = 0; r < o->rounds; r++)
                        ss += (col[r] - mean) * (col[r] - mean);
                num_sort(col, o->rounds);
                low[i] = num_quantile(col, o->rounds, 0.025);
                high[i] = num_quantile(col, o->rounds, 0.975);
                se[i] = sqrt(ss / (o->rounds - 1));
        }
        rc = 0;
out:
        for (unsigned t = 0; T && t < nt; t++) {
                free(T[t].cnt);
                free(T[t].x);
                fit_work_free(&T[t].W);
        }
        free(T);
        free(col);
        free(B->reps);
        B->reps = NULL;
        return rc;
}

/* ---- setup ---- */

static void data_free(struct data *D)
{
        free(D->a);
        free(D->b);
        free(D->y);
        free(D->w);
        free(D->z);
        components_fini(&D->C);
        memset(D, 0, sizeof *D);
}

/* Checks the votes, counts them per model into res, keeps the counted ones and standardises their
 * features into D and coef. */
static int data_build(struct data *D, size_t n, const struct stylefit_vote *votes, size_t nv,
                      const struct rank_opts *o, struct rank_result *res,
                      struct stylefit_coef *coef, char *err, size_t errlen)
{
        double sum[K] = { 0 }, sq[K] = { 0 };
        double *d = NULL;
        size_t kept = 0;
        int rc = -1;

        memset(D, 0, sizeof *D);
        D->n = n;
        D->lam_theta = STYLEFIT_L2 / (log(o->base) * log(o->base));
        D->a = calloc(nv + 1, sizeof *D->a);
        D->b = calloc(nv + 1, sizeof *D->b);
        D->y = calloc(nv + 1, sizeof *D->y);
        D->w = calloc(nv + 1, sizeof *D->w);
        d = calloc(K * nv + 1, sizeof *d);
        if (!D->a || !D->b || !D->y || !D->w || !d) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (size_t v = 0; v < nv; v++) {
                const struct stylefit_vote *q = &votes[v];
                struct rank_model *ma, *mb;
                bool tie;

                if (q->a >= n || q->b >= n || q->a == q->b) {
                        fit_seterr(err, errlen, "vote %zu: models %u and %u invalid (n = %zu)", v,
                                   q->a, q->b, n);
                        goto out;
                }
                if (!isfinite(q->weight) || !(q->weight > 0) || q->outcome > STYLEFIT_BOTH_BAD) {
                        fit_seterr(err, errlen, "vote %zu: weight %g or outcome %u invalid", v,
                                   (double)q->weight, q->outcome);
                        goto out;
                }
                for (int j = 0; j < K; j++) {
                        if (!isfinite(q->fa[j]) || !isfinite(q->fb[j]) || q->fa[j] < 0 ||
                            q->fb[j] < 0) {
                                fit_seterr(err, errlen, "vote %zu: feature %d not finite and >= 0",
                                           v, j);
                                goto out;
                        }
                }
                ma = &res->models[q->a];
                mb = &res->models[q->b];
                switch (q->outcome) {
                case STYLEFIT_A:
                        ma->wins += q->weight, mb->losses += q->weight;
                        break;
                case STYLEFIT_B:
                        mb->wins += q->weight, ma->losses += q->weight;
                        break;
                case STYLEFIT_TIE:
                        ma->ties += q->weight, mb->ties += q->weight;
                        break;
                default:
                        ma->both_bad += q->weight, mb->both_bad += q->weight;
                        break;
                }
                tie = q->outcome == STYLEFIT_TIE ||
                      (q->outcome == STYLEFIT_BOTH_BAD && o->both_bad == RANK_BOTH_BAD_TIE);
                if ((q->outcome == STYLEFIT_BOTH_BAD && o->both_bad == RANK_BOTH_BAD_EXCLUDE) ||
                    (tie && o->ties == RANK_TIES_EXCLUDE))
                        continue;
                D->a[kept] = q->a;
                D->b[kept] = q->b;
                D->y[kept] = q->outcome == STYLEFIT_A ? 1 : q->outcome == STYLEFIT_B ? 0 : 0.5;
                D->w[kept] = q->weight;
                for (int j = 0; j < K; j++) {
                        double x =
                            ((double)q->fa[j] - q->fb[j]) / ((double)q->fa[j] + q->fb[j] + 1);

                        d[kept * K + (size_t)j] = x;
                        sum[j] += x;
                }
                kept++;
        }
        D->nv = kept;
        for (size_t v = 0; v < kept; v++)
                for (int j = 0; j < K; j++) {
                        double e = d[v * K + (size_t)j] - sum[j] / (double)kept;

                        sq[j] += e * e;
                }
        for (int j = 0; j < K; j++) {
                coef[j].mean = kept ? sum[j] / (double)kept : 0;
                coef[j].sd = kept ? sqrt(sq[j] / (double)kept) : 0;
                coef[j].constant = !(coef[j].sd > 1e-12 * (1 + fabs(coef[j].mean)));
                if (!coef[j].constant)
                        D->feat[D->k++] = j;
        }
        D->z = calloc(kept * D->k + 1, sizeof *D->z);
        if (!D->z) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        for (size_t v = 0; v < kept; v++)
                for (size_t j = 0; j < D->k; j++) {
                        int f = D->feat[j];

                        D->z[v * D->k + j] = (d[v * K + (size_t)f] - coef[f].mean) / coef[f].sd;
                }
        if (components_build(&D->C, D->n, D->a, D->b, D->nv, o->anchor) != 0) {
                fit_seterr(err, errlen, "out of memory");
                goto out;
        }
        rc = 0;
out:
        free(d);
        return rc;
}

/* rank.c's checks, and the tie modes style control has. */
static int check_opts(size_t n, const struct rank_opts *o, char *err, size_t errlen)
{
        if (rank_opts_check(n, o, err, errlen) < 0)
                return -1;
        if (o->ties != RANK_TIES_HALF && o->ties != RANK_TIES_EXCLUDE) {
                fit_seterr(err, errlen, "style control counts ties half or excludes them");
                return -1;
        }
        return 0;
}

/* ---- public ---- */

int stylefit_fit(size_t n, const struct stylefit_vote *votes, size_t nv,
                 const struct rank_opts *opts, struct rank_result *out,
                 struct stylefit_coef coef[STYLEFIT_FEATURES], char *err, size_t errlen)
{
        struct rank_opts def;
        const struct rank_opts *o = opts;
        struct data D;
        struct fit_work W;
        struct rank_result res;
        double *x = NULL, *xs = NULL, *lo = NULL, *mi = NULL, *gm = NULL, *cv = NULL, *tmp = NULL;
        double *var = NULL, *low = NULL, *high = NULL, *se = NULL, k, ll = 0;
        size_t m;
        bool have_lo = false;
        int rc = -1;

        memset(&D, 0, sizeof D);
        memset(&W, 0, sizeof W);
        memset(&res, 0, sizeof res);
        if (err && errlen > 0)
                err[0] = '\0';
        if (!out || !coef) {
                fit_seterr(err, errlen, "out or coef is NULL");
                return -1;
        }
        memset(out, 0, sizeof *out);
        memset(coef, 0, STYLEFIT_FEATURES * sizeof *coef);
        if (!o) {
                rank_opts_default(&def);
                o = &def;
        }
        if (check_opts(n, o, err, errlen) < 0)
                return -1;
        if (nv > 0 && !votes) {
                fit_seterr(err, errlen, "votes is NULL");
                return -1;
        }
        res.n = n;
        res.ties = o->ties;
        res.models = calloc(n, sizeof *res.models);
        if (!res.models)
                goto oom;
        if (data_build(&D, n, votes, nv, o, &res, coef, err, errlen) < 0)
                goto out;
        m = n + D.k;
        if (fit_work_init(&W, m + 1, m * m + 1) < 0)
                goto oom;
        x = calloc(m + 1, sizeof *x);
        xs = calloc(m + 1, sizeof *xs);
        lo = calloc(m * m + 1, sizeof *lo);
        mi = calloc(m * m + 1, sizeof *mi);
        tmp = calloc(m * m + 1, sizeof *tmp);
        var = calloc(m + 1, sizeof *var);
        low = calloc(m + 1, sizeof *low);
        high = calloc(m + 1, sizeof *high);
        se = calloc(m + 1, sizeof *se);
        if (!x || !xs || !lo || !mi || !tmp || !var || !low || !high || !se)
                goto oom;

        res.converged = newton(&D, NULL, x, &W, &res.iterations);
        memcpy(xs, x, m * sizeof *x);
        eval(&D, NULL, x, W.g, W.h, &ll);
        res.loglik = ll;
        for (size_t v = 0; v < D.nv; v++)
                res.counted += D.w[v];
        memcpy(lo, W.h, m * m * sizeof *lo);
        have_lo = num_chol(lo, m) == 0;
        if (!have_lo)
                res.converged = false;
        components_gauge(&D.C, x);

        if (o->ci == RANK_CI_SANDWICH && have_lo) {
                gm = calloc(m * m + 1, sizeof *gm);
                cv = calloc(m * m + 1, sizeof *cv);
                if (!gm || !cv)
                        goto oom;
                num_chol_inverse(lo, m, mi, tmp);
                for (size_t v = 0; v < D.nv; v++) {
                        double r = D.y[v] - sigmoid(linpred(&D, xs, v));

                        add_outer(&D, v, D.w[v] * r * r, gm);
                }
                for (size_t i = 0; i < m; i++) /* the lower triangle, mirrored */
                        for (size_t j = 0; j < i; j++)
                                gm[j * m + i] = gm[i * m + j];
                num_sym_product(mi, gm, m, cv, tmp);
                components_gauge_var(&D.C, NULL, cv, m, var, tmp);
                for (size_t j = 0; j < D.k; j++)
                        var[n + j] = MAX(cv[(n + j) * m + n + j], 0);
                for (size_t i = 0; i < m; i++) {
                        se[i] = sqrt(var[i]);
                        low[i] = x[i] - Z95 * se[i];
                        high[i] = x[i] + Z95 * se[i];
                }
        } else if (o->ci == RANK_CI_BOOTSTRAP && have_lo && D.nv > 0) {
                struct boot B = { .D = &D, .x0 = xs, .lo = lo, .seed = o->seed };

                if (bootstrap(&B, o, low, high, se, &res.rounds_failed) < 0)
                        goto oom;
                res.rounds = o->rounds;
                if (res.rounds_failed > 0)
                        res.converged = false;
        } else {
                memcpy(low, x, m * sizeof *x);
                memcpy(high, x, m * sizeof *x);
        }

        k = o->scale / log(o->base);
        for (size_t i = 0; i < n; i++) {
                struct rank_model *md = &res.models[i];
                unsigned c = D.C.comp[i];
                size_t size = D.C.cstart[c + 1] - D.C.cstart[c];
                bool anch = o->anchor >= 0 && D.C.comp[o->anchor] == c;
                double base = anch ? o->anchor_rating : o->init;
                double tied =
                    o->ties == RANK_TIES_EXCLUDE
                        ? 0
                        : md->ties + (o->both_bad == RANK_BOTH_BAD_TIE ? md->both_bad : 0);
                double won = md->wins + tied, lost = md->losses + tied;

                md->theta = x[i];
                md->rating = base + k * x[i];
                md->ci_low = base + k * low[i];
                md->ci_high = base + k * high[i];
                md->se = k * se[i];
                md->component = c;
                md->n = md->wins + md->losses + md->ties + md->both_bad;
                md->flags |= fit_model_flags(size, won, lost, o->anchor, i);
        }
        for (size_t j = 0; j < D.k; j++) {
                struct stylefit_coef *cf = &coef[D.feat[j]];

                cf->beta = x[n + j];
                cf->ci_low = low[n + j];
                cf->ci_high = high[n + j];
                cf->se = se[n + j];
        }
        fit_rank_models(res.models, n);
        for (size_t i = 0; i < n; i++) {
                struct rank_model *md = &res.models[i];

                if (!isfinite(md->rating) || !isfinite(md->ci_low) || !isfinite(md->ci_high) ||
                    !isfinite(md->se)) {
                        fit_seterr(err, errlen, "numerical failure (model %zu)", i);
                        goto out;
                }
        }
        res.components = D.C.ncomp;
        if (!res.converged)
                fit_seterr(err, errlen,
                           "did not converge (%u Newton iterations, %u of %u rounds failed)",
                           res.iterations, res.rounds_failed, res.rounds);
        *out = res;
        memset(&res, 0, sizeof res);
        rc = 0;
        goto out;
oom:
        fit_seterr(err, errlen, "out of memory");
out:
        rank_result_fini(&res);
        data_free(&D);
        fit_work_free(&W);
        free(x);
        free(xs);
        free(lo);
        free(mi);
        free(gm);
        free(cv);
        free(tmp);
        free(var);
        free(low);
        free(high);
        free(se);
        return rc;
}
