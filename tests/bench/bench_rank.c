/*
 * bench_rank.c - timing and accuracy of rank_fit on synthetic data; prints figures, no pass/fail.
 *
 * 129 models with true ratings drawn from N(1000, 100^2) (fixed seed); 1,000,000 votes on
 * uniformly drawn pairs, outcomes from Bradley-Terry with ties: with s = P_BT(i beats j) and
 * u = min(s, 1 - s), P(tie) = 2 tau u, P(i wins) = s - tau u, so that a tie counted half leaves
 * the expected score at s (the half-tie fit is then consistent) with about 14% ties at tau = 0.2.
 * The votes are aggregated into one rank_pair per pair, then timed: fit with the sandwich, fit
 * with the Davidson model, bootstrap with 100 and 1000 rounds on 2 threads (and 1 for reference),
 * fragility (robustness) on 2 threads; then style control (stylefit.h) on the first 300,000 votes
 * with answer lengths drawn per vote and a planted length bias, sandwich and 100 bootstrap
 * rounds.
 *
 *   build/bench_rank [votes [models]]
 */
#define _POSIX_C_SOURCE 200809L

#include "rank.h"
#include "stylefit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t MODELS = 129;
#define TAU 0.2

static uint64_t bench_state = 20240601;

static uint64_t next_u64(void)
{
        uint64_t z = (bench_state += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

static double unif(void)
{
        return ((double)(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(void)
{
        return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static size_t pair_index(size_t i, size_t j)
{
        /* i < j; row-major upper triangle */
        return i * MODELS - i * (i + 1) / 2 + (j - i - 1);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Fits `reps` times and returns the median wall time; leaves the last result in *r. */
static double timed_fit(const struct rank_pair *pairs, size_t np, const struct rank_opts *o,
                        int reps, struct rank_result *r)
{
        double t[16];
        char err[256];

        for (int k = 0; k < reps; k++) {
                double t0 = now_ms();

                rank_result_fini(r);
                if (rank_fit(MODELS, pairs, np, o, r, err, sizeof err) < 0) {
                        fprintf(stderr, "rank_fit: %s\n", err);
                        exit(1);
                }
                t[k] = now_ms() - t0;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        return t[reps / 2];
}

/* Correlation and largest error of the fitted ratings against the truth (both centred), and
 * the share of true ratings inside the 95% intervals. */
static void accuracy(const char *what, const struct rank_result *r, const double *truth)
{
        double mt = 0, mf = 0, sxy = 0, sxx = 0, syy = 0, maxerr = 0;
        int inside = 0;

        for (size_t i = 0; i < MODELS; i++) {
                mt += truth[i] / MODELS;
                mf += r->models[i].rating / MODELS;
        }
        for (size_t i = 0; i < MODELS; i++) {
                double a = truth[i] - mt, b = r->models[i].rating - mf;

                sxy += a * b;
                sxx += a * a;
                syy += b * b;
                maxerr = MAX(maxerr, fabs(a - b));
                inside += r->models[i].ci_low - mf <= a && a <= r->models[i].ci_high - mf;
        }
        printf("%-28s corr %.6f, max |error| %.2f rating points, %d/%d true ratings inside "
               "the 95%% intervals\n",
               what, sxy / sqrt(sxx * syy), maxerr, inside, (int)MODELS);
}

/* Style control on nv votes: each answer's length ~ U(100, 2000) characters, the others small
 * counts; outcomes from the true strengths plus 1.0 per unit of the length ratio. */
static void style_bench(const double *truth, long nv)
{
        struct stylefit_vote *v = calloc((size_t)nv + 1, sizeof *v);
        struct stylefit_coef coef[STYLEFIT_FEATURES];
        struct rank_opts o;
        struct rank_result r;
        double k = 400 / log(10), t0, ms;
        char err[256];

        if (!v)
                exit(1);
        for (long i = 0; i < nv; i++) {
                size_t a = (size_t)(unif() * MODELS), b = (size_t)(unif() * (MODELS - 1));
                double d, p, x;

                b += b >= a;
                v[i].a = (uint32_t)a;
                v[i].b = (uint32_t)b;
                v[i].weight = 1;
                for (int j = 0; j < STYLEFIT_FEATURES; j++) {
                        v[i].fa[j] = (float)floor(j == 0 ? 100 + 1900 * unif() : 6 * unif());
                        v[i].fb[j] = (float)floor(j == 0 ? 100 + 1900 * unif() : 6 * unif());
                }
                d = (v[i].fa[0] - v[i].fb[0]) / (v[i].fa[0] + v[i].fb[0] + 1);
                p = 1 / (1 + exp(-((truth[a] - truth[b]) / k + d)));
                x = unif();
                v[i].outcome = x < 0.1 ? STYLEFIT_TIE : x < 0.1 + 0.9 * p ? STYLEFIT_A : STYLEFIT_B;
        }
        rank_opts_default(&o);
        for (int boot = 0; boot < 2; boot++) {
                o.ci = boot ? RANK_CI_BOOTSTRAP : RANK_CI_SANDWICH;
                o.rounds = 100;
                t0 = now_ms();
                if (stylefit_fit(MODELS, v, (size_t)nv, &o, &r, coef, err, sizeof err) < 0) {
                        fprintf(stderr, "stylefit_fit: %s\n", err);
                        exit(1);
                }
                ms = now_ms() - t0;
                printf("style control, %ld votes, %s %8.2f ms  (%u iterations; length coef %.3f, "
                       "%.3f to %.3f)\n",
                       nv, boot ? "100 bootstrap rounds" : "sandwich", ms, r.iterations,
                       coef[0].beta, coef[0].ci_low, coef[0].ci_high);
                rank_result_fini(&r);
        }
        free(v);
}

int main(int argc, char **argv)
{
        long votes = argc > 1 ? atol(argv[1]) : 1000000;
        size_t np;
        struct rank_pair *pairs;
        double *truth, k = 400 / log(10), ms, se_mean = 0, ties = 0;
        struct rank_opts o;
        struct rank_result r;

        if (argc > 2)
                MODELS = (size_t)atol(argv[2]);
        np = MODELS * (MODELS - 1) / 2;
        pairs = calloc(np, sizeof *pairs);
        truth = calloc(MODELS, sizeof *truth);

        if (!pairs || !truth || votes <= 0 || MODELS < 2)
                return 1;
        memset(&r, 0, sizeof r);
        for (size_t i = 0; i < MODELS; i++)
                truth[i] = 1000 + 100 * normal();
        for (size_t i = 0; i < MODELS; i++)
                for (size_t j = i + 1; j < MODELS; j++) {
                        pairs[pair_index(i, j)].a = (uint32_t)i;
                        pairs[pair_index(i, j)].b = (uint32_t)j;
                }
        for (long v = 0; v < votes; v++) {
                size_t i = (size_t)(unif() * MODELS), j = (size_t)(unif() * (MODELS - 1));
                struct rank_pair *p;
                double s, u, x;

                j += j >= i;
                p = &pairs[pair_index(MIN(i, j), MAX(i, j))];
                s = 1 / (1 + exp(-(truth[p->a] - truth[p->b]) / k));
                u = MIN(s, 1 - s);
                x = unif();
                if (x < s - TAU * u)
                        p->a_wins++;
                else if (x < s + TAU * u)
                        p->ties++, ties++;
                else
                        p->b_wins++;
        }
        printf("%zu models, %ld votes (%.1f%% ties), %zu pairs\n", MODELS, votes,
               100 * ties / votes, np);

        rank_opts_default(&o);
        o.ci = RANK_CI_NONE;
        ms = timed_fit(pairs, np, &o, 9, &r);
        printf("fit, no interval             %8.2f ms  (%u Newton iterations, converged %d)\n", ms,
               r.iterations, r.converged);
        o.ci = RANK_CI_SANDWICH;
        ms = timed_fit(pairs, np, &o, 9, &r);
        for (size_t i = 0; i < MODELS; i++)
                se_mean += r.models[i].se / MODELS;
        printf("fit + sandwich               %8.2f ms  (%u iterations, mean se %.2f)\n", ms,
               r.iterations, se_mean);
        accuracy("  sandwich fit vs truth:", &r, truth);
        o.ties = RANK_TIES_DAVIDSON;
        ms = timed_fit(pairs, np, &o, 9, &r);
        printf("Davidson fit + sandwich      %8.2f ms  (%u iterations, nu %.4f)\n", ms,
               r.iterations, r.tie_strength);
        o.ties = RANK_TIES_HALF;
        o.ci = RANK_CI_BOOTSTRAP;
        for (unsigned rounds = 100; rounds <= 1000; rounds *= 10) {
                for (unsigned th = 1; th <= 2; th++) {
                        double bse = 0;

                        o.rounds = rounds;
                        o.threads = th;
                        ms = timed_fit(pairs, np, &o, rounds == 100 ? 5 : 3, &r);
                        for (size_t i = 0; i < MODELS; i++)
                                bse += r.models[i].se / MODELS;
                        printf("bootstrap %4u rounds, %u thr %8.2f ms  (mean sd %.2f, prior rounds "
                               "%u, failed %u)\n",
                               rounds, th, ms, bse, r.rounds_prior, r.rounds_failed);
                }
        }
        accuracy("  bootstrap run vs truth:", &r, truth);
        o.ci = RANK_CI_NONE;
        o.threads = 2;
        o.robustness = true;
        ms = timed_fit(pairs, np, &o, 1, &r);
        {
                size_t found = 0;
                double removed = 0;

                for (size_t i = 0; i < MODELS; i++)
                        if (r.flips[i].found && r.flips[i].below >= 0) {
                                found++;
                                removed += r.flips[i].votes;
                        }
                printf("fragility, 2 thr             %8.2f ms  (%zu of %zu orders reversed by a "
                       "set found, mean %.0f votes)\n",
                       ms, found, MODELS - 1, found ? removed / (double)found : 0);
        }
        o.robustness = false;
        rank_result_fini(&r);
        style_bench(truth, MIN(votes, 300000));
        free(pairs);
        free(truth);
        return 0;
}
