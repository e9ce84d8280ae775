/*
 * bench_quality.c - timing and accuracy of the rater statistics and reliability weights
 * (quality.h) on synthetic data; prints figures, no pass/fail.
 *
 * 500 raters: 80% careful (right with a probability drawn from 0.75 to 0.95), 10% tossing a
 * coin, 5% choosing the worse answer on purpose, 5% always choosing the left one. 200,000
 * comparisons, five votes each by distinct raters, plus a control pair after every 19 votes:
 * 1,052,631 votes (fixed seed). Times quality_raters (statistics and the Dawid-Skene fit) and
 * quality_agreement, then reports how well the estimated accuracies and weights separate the
 * kinds of raters.
 *
 *   build/bench/bench_quality [comparisons]
 */
#define _POSIX_C_SOURCE 200809L

#include "quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RATERS  500
#define OVERLAP 5

enum kind { CAREFUL, COIN, ADVERSARY, LEFTY };

static uint64_t state = 20261123;

static uint64_t next_u64(void)
{
        uint64_t z = (state += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

static double unif(void)
{
        return ((double)(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The value a rater of this kind chooses between truth and other (truth shown left or not). */
static int64_t choose(enum kind k, double p, int64_t truth, int64_t other, bool truth_left)
{
        switch (k) {
        case CAREFUL:
                return unif() < p ? truth : other;
        case COIN:
                return unif() < 0.5 ? truth : other;
        case ADVERSARY:
                return other;
        default:
                return truth_left ? truth : other;
        }
}

int main(int argc, char **argv)
{
        long units = argc > 1 ? atol(argv[1]) : 200000;
        if (units <= 0) {
                fprintf(stderr, "usage: bench_quality [comparisons]\n");
                return 2;
        }
        enum kind kind[RATERS];
        double skill[RATERS];
        for (int r = 0; r < RATERS; r++) {
                kind[r] = r % 20 < 16    ? CAREFUL
                          : r % 20 < 18  ? COIN
                          : r % 20 == 18 ? ADVERSARY
                                         : LEFTY;
                skill[r] = 0.75 + 0.2 * unif();
        }
        size_t ordinary = (size_t)units * OVERLAP, cap = ordinary + ordinary / 19 + 1;
        struct quality_vote *v = malloc(cap * sizeof(*v));
        if (!v)
                return 1;
        size_t n = 0, cast = 0;
        for (long u = 0; u < units; u++) {
                int chosen[OVERLAP];
                for (int k = 0; k < OVERLAP; k++) {
                        bool fresh;
                        do {
                                chosen[k] = (int)(next_u64() % RATERS);
                                fresh = true;
                                for (int j = 0; j < k; j++)
                                        fresh &= chosen[j] != chosen[k];
                        } while (!fresh);
                }
                int64_t truth = 1 + (int64_t)(next_u64() % 20), other = truth % 20 + 1;
                bool truth_left = next_u64() & 1;
                for (int k = 0; k < OVERLAP; k++) {
                        int r = chosen[k];
                        int64_t value = choose(kind[r], skill[r], truth, other, truth_left);
                        v[n++] = (struct quality_vote){ .unit = u,
                                                        .rater = (uint32_t)r,
                                                        .category = (uint32_t)(u % 8),
                                                        .value = value,
                                                        .left = (value == truth) == truth_left,
                                                        .seconds = 5 + 30 * unif() };
                        if (++cast % 19 == 0) { /* a control pair after every 19 votes */
                                int64_t g = choose(kind[r], skill[r], 1, 2, next_u64() & 1);
                                v[n++] = (struct quality_vote){ .unit = -1 - (int64_t)n,
                                                                .rater = (uint32_t)r,
                                                                .gold = true,
                                                                .gold_correct = g == 1,
                                                                .seconds = -1 };
                        }
                }
        }
        printf("%zu votes by %d raters on %ld comparisons (overlap %d)\n", n, RATERS, units,
               OVERLAP);

        struct quality_rater *out = calloc(RATERS, sizeof(*out));
        if (!out)
                return 1;
        double t0 = now_ms();
        if (quality_raters(v, n, RATERS, out) != 0)
                return 1;
        double t1 = now_ms();
        struct quality_agreement a, by[8];
        if (quality_agreement(v, n, 8, &a, by) != 0)
                return 1;
        double t2 = now_ms();
        printf("quality_raters (statistics + Dawid-Skene): %8.1f ms\n", t1 - t0);
        printf("quality_agreement (all and 8 categories):  %8.1f ms  alpha %.3f, percent %.3f\n",
               t2 - t1, a.alpha, a.percent);

        static const char *const names[] = { "careful", "coin", "adversary", "lefty" };
        double err = 0;
        int careful = 0;
        for (int k = 0; k < 4; k++) {
                double wmin = 1, wmax = 0, wsum = 0;
                int count = 0;
                for (int r = 0; r < RATERS; r++) {
                        if ((int)kind[r] != k)
                                continue;
                        wmin = fmin(wmin, out[r].weight);
                        wmax = fmax(wmax, out[r].weight);
                        wsum += out[r].weight;
                        count++;
                        if (k == CAREFUL) {
                                err += fabs(out[r].accuracy - skill[r]);
                                careful++;
                        }
                }
                printf("  %-9s %3d raters: weight mean %.3f, range %.3f to %.3f\n", names[k], count,
                       wsum / count, wmin, wmax);
        }
        printf("  careful raters: mean |estimated - true accuracy| %.4f\n", err / careful);
        free(out);
        free(v);
        return 0;
}
