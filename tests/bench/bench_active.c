/*
 * bench_active.c - active sampling (active.h) against coverage, simulated; prints figures.
 *
 * Each seed draws `models` true strengths theta ~ N(0, s^2) (natural-log units; s = 1.0, an
 * arena-like spread of about 174 rating points, then s = 0.6, a closer field) and lets
 * raters answer from them by Bradley-Terry (no ties). Two schedules spend the same votes:
 *   coverage  the pairs take turns (every pair once, in a fresh random order each round), as the
 *             queue of `next` hands out comparisons with schedule "coverage";
 *   active    the first round the same (the server has no weights before its first refresh),
 *             then every REFRESH votes a refit with covariance and active_weights() (the server's
 *             function and defaults, ACTIVE_FLOOR, ACTIVE_POWER), and each vote's pair drawn from
 *             those weights, as prefd_nexts draws from the weights the server stores.
 * Measured at VOTES votes: the mean width of the 95% intervals of the differences between
 * adjacent models in the true order (2 * 1.96 * sd(theta_i - theta_j) from the model-based
 * covariance, in rating points at scale 400 base 10) and Kendall's tau of the fitted order
 * against the truth; then how many votes active needs to reach coverage's width at VOTES (fits
 * every STEP votes). Means over SEEDS seeds.
 *
 *   build/bench/bench_active [seeds [models [votes]]]
 */
#define _POSIX_C_SOURCE 200809L

#include "active.h"
#include "rank.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH 200
#define STEP    100
#define POINTS  (400 / 2.302585092994045684)

static double spread = 1.0;
static double bench_floor = ACTIVE_FLOOR, bench_power = ACTIVE_POWER;

struct sim {
        size_t m, npairs;
        const double *truth;
        struct active_pair *pairs;
        struct rank_pair *counts; /* one per pair, a < b */
        size_t *round;            /* coverage: this round's order */
        size_t in_round;          /* votes of this round so far */
        double *cum;              /* active: cumulative weights, NULL before the first refresh */
        size_t votes;
        struct rng rng;
};

static int fit_of(const struct sim *s, struct rank_result *r)
{
        struct rank_opts o;
        rank_opts_default(&o);
        o.covariance = true;
        o.ci = RANK_CI_NONE;
        o.model_se = false;
        char err[200];
        return rank_fit(s->m, s->counts, s->npairs, &o, r, err, sizeof(err));
}

static void refresh(struct sim *s)
{
        struct rank_result r;
        if (fit_of(s, &r) != 0)
                return;
        if (!s->cum)
                s->cum = malloc(s->npairs * sizeof(*s->cum));
        if (s->cum &&
            active_weights(&r, s->pairs, s->npairs, bench_floor, bench_power, s->cum) == 0)
                active_cumulate(s->cum, s->npairs, s->cum);
        rank_result_fini(&r);
}

static size_t next_pair(struct sim *s, bool active)
{
        if (active && s->cum)
                return active_draw(s->cum, s->npairs, rng_unif(&s->rng));
        if (s->in_round == 0)
                for (size_t i = s->npairs - 1; i > 0; i--) {
                        size_t j = (size_t)rng_below(&s->rng, i + 1), t = s->round[i];
                        s->round[i] = s->round[j];
                        s->round[j] = t;
                }
        size_t p = s->round[s->in_round];
        s->in_round = (s->in_round + 1) % s->npairs;
        return p;
}

static void vote(struct sim *s, bool active)
{
        size_t p = next_pair(s, active);
        struct rank_pair *c = &s->counts[p];
        double pa = 1 / (1 + exp(s->truth[c->b] - s->truth[c->a]));
        if (rng_unif(&s->rng) < pa)
                c->a_wins += 1;
        else
                c->b_wins += 1;
        s->votes++;
        if (active && s->votes >= s->npairs && (s->votes - s->npairs) % REFRESH == 0)
                refresh(s);
}

/* Mean adjacent-difference interval width (rating points) and Kendall's tau; -1 on failure. */
static double measure(const struct sim *s, const size_t *true_order, double *tau)
{
        struct rank_result r;
        if (fit_of(s, &r) != 0)
                return -1;
        size_t m = s->m;
        double w = 0;
        for (size_t k = 0; k + 1 < m; k++) {
                size_t i = true_order[k], j = true_order[k + 1];
                double v = r.cov[i * m + i] + r.cov[j * m + j] - 2 * r.cov[i * m + j];
                w += 2 * 1.96 * sqrt(v > 0 ? v : 0) * POINTS;
        }
        long conc = 0, disc = 0;
        for (size_t i = 0; i < m; i++)
                for (size_t j = i + 1; j < m; j++) {
                        double t = s->truth[i] - s->truth[j];
                        double f = r.models[i].theta - r.models[j].theta;
                        if (t * f > 0)
                                conc++;
                        else if (t * f < 0)
                                disc++;
                }
        *tau = (double)(conc - disc) / (double)(m * (m - 1) / 2);
        rank_result_fini(&r);
        return w / (double)(m - 1);
}

static void sim_init(struct sim *s, size_t m, const double *truth, uint64_t seed)
{
        memset(s, 0, sizeof(*s));
        s->m = m;
        s->truth = truth;
        s->npairs = m * (m - 1) / 2;
        s->pairs = malloc(s->npairs * sizeof(*s->pairs));
        s->counts = calloc(s->npairs, sizeof(*s->counts));
        s->round = malloc(s->npairs * sizeof(*s->round));
        if (!s->pairs || !s->counts || !s->round) {
                fprintf(stderr, "bench_active: out of memory\n");
                exit(1);
        }
        size_t k = 0;
        for (uint32_t a = 0; a < m; a++)
                for (uint32_t b = a + 1; b < m; b++, k++) {
                        s->pairs[k] = (struct active_pair){ a, b };
                        s->counts[k].a = a;
                        s->counts[k].b = b;
                        s->round[k] = k;
                }
        rng_seed(&s->rng, seed, 1);
}

static void sim_fini(struct sim *s)
{
        free(s->pairs);
        free(s->counts);
        free(s->round);
        free(s->cum);
}

static const double *cmp_truth;

static int by_truth(const void *x, const void *y)
{
        double a = cmp_truth[*(const size_t *)x], b = cmp_truth[*(const size_t *)y];
        return a > b ? -1 : a < b ? 1 : 0;
}

static int run(size_t seeds, size_t m, size_t votes)
{
        double *truth = malloc(m * sizeof(*truth));
        size_t *order = malloc(m * sizeof(*order));
        if (!truth || !order)
                return 1;
        double sum[2][2] = { { 0 } }, need_sum = 0, cov_need_sum = 0;
        size_t reached = 0;
        for (size_t seed = 1; seed <= seeds; seed++) {
                struct rng g;
                rng_seed(&g, seed, 0);
                for (size_t i = 0; i < m; i++) {
                        double u1 = rng_unif(&g), u2 = rng_unif(&g);
                        truth[i] = spread * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
                        order[i] = i;
                }
                cmp_truth = truth;
                qsort(order, m, sizeof(*order), by_truth);
                double target = 0;
                for (int active = 0; active < 2; active++) {
                        struct sim s;
                        sim_init(&s, m, truth, seed * 1000 + 7);
                        double tau = 0, width = -1;
                        while (s.votes < votes)
                                vote(&s, active);
                        width = measure(&s, order, &tau);
                        sum[active][0] += width;
                        sum[active][1] += tau;
                        if (!active) {
                                target = width;
                                cov_need_sum += (double)votes;
                        } else {
                                /* active from the start again, fitted every STEP votes */
                                sim_fini(&s);
                                sim_init(&s, m, truth, seed * 1000 + 7);
                                size_t need = 0;
                                while (s.votes < 2 * votes) {
                                        vote(&s, true);
                                        if (s.votes % STEP == 0 && s.votes >= s.npairs &&
                                            measure(&s, order, &tau) <= target) {
                                                need = s.votes;
                                                break;
                                        }
                                }
                                if (need) {
                                        reached++;
                                        need_sum += (double)need;
                                } else {
                                        need_sum += 2.0 * (double)votes;
                                }
                        }
                        sim_fini(&s);
                }
        }
        double n = (double)seeds;
        printf("active sampling: %zu models (theta ~ N(0, %.1f^2)), %zu votes, %zu seeds, "
               "refresh every %d votes, floor %.2f, power %.1f\n",
               m, spread, votes, seeds, REFRESH, bench_floor, bench_power);
        printf("  coverage: mean adjacent 95%% width %.1f points, Kendall tau %.3f\n",
               sum[0][0] / n, sum[0][1] / n);
        printf("  active:   mean adjacent 95%% width %.1f points, Kendall tau %.3f\n",
               sum[1][0] / n, sum[1][1] / n);
        printf("  votes to reach coverage's width at %zu: coverage %.0f, active %.0f (%zu of %zu "
               "seeds reached it within %zu), %.1f%% fewer\n",
               votes, cov_need_sum / n, need_sum / n, reached, seeds, 2 * votes,
               100 * (1 - need_sum / cov_need_sum));
        free(truth);
        free(order);
        return 0;
}

int main(int argc, char **argv)
{
        size_t seeds = argc > 1 ? (size_t)atol(argv[1]) : 10;
        size_t m = argc > 2 ? (size_t)atol(argv[2]) : 24;
        size_t votes = argc > 3 ? (size_t)atol(argv[3]) : 0;
        if (seeds < 1 || m < 3 || m > RANK_MODELS_MAX) {
                fprintf(stderr, "usage: bench_active [seeds [models [votes]]]\n");
                return 2;
        }
        /* BENCH_FLOOR, BENCH_POWER: try other settings than the server's */
        if (getenv("BENCH_FLOOR"))
                bench_floor = atof(getenv("BENCH_FLOOR"));
        if (getenv("BENCH_POWER"))
                bench_power = atof(getenv("BENCH_POWER"));
        if (votes == 0)
                votes = 25 * m * (m - 1) / 2;
        static const double spreads[] = { 1.0, 0.6 };
        for (size_t i = 0; i < sizeof(spreads) / sizeof(spreads[0]); i++) {
                spread = spreads[i];
                if (run(seeds, m, votes) != 0)
                        return 1;
        }
        return 0;
}
