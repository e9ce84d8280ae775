/*
 * active.h - active sampling: which model pairs a vote should go to next, so that the ranking's
 * uncertainty shrinks fastest (project option "schedule": "active").
 *
 * Pure computation: no I/O, no globals; runs on a worker thread (server/activity refresh) and in
 * tests/bench/bench_active.c, which simulates the same rule.
 *
 * The rule. Let theta be the fit and Sigma its model-based covariance (rank_result.cov, inverse
 * Fisher information, natural-log units). Sort the models of each connected component by theta;
 * the adjacent contrasts are c_k = e_(k) - e_(k+1) for consecutive models in that order. One more
 * vote on pair (a, b), x = e_a - e_b, p = P(a beats b), adds Fisher information
 * I = p (1 - p) x x^T, and by the Sherman-Morrison formula lowers the variance of c_k^T theta by
 *     I (c_k^T Sigma x)^2 / (1 + I x^T Sigma x),  I = p (1 - p).
 * The pair's gain g_ab is that reduction summed over the adjacent contrasts: the expected shrinking
 * of the (squared) intervals of the differences between adjacent ranks, the numbers a leaderboard
 * reader compares. It is the arena paper's rule (weight by the reduction of Var(theta_a -
 * theta_b) per vote) aimed at the contrasts that decide the ranks: a pair of far-apart models
 * (p near 0 or 1) or one already measured well gains little.
 *
 * Unknown pairs: when a and b lie in different components (or one is isolated) no contrast joins
 * them yet: g_ab is the gain of a first vote under the fit's prior (rank.h: each theta of variance
 * 1 / RANK_PRIOR_PRECISION, p = 1/2, the pair its own contrast: 16.7), or the largest known gain
 * when that is more. So a pair never voted on comes first.
 *
 * Weights: w_ab = (1 - floor) g_ab^power / sum g^power + floor / npairs (power > 1 sharpens the
 * rule towards the best pairs; the benchmark chose it), so every pair keeps at
 * least floor / npairs of the picks (the coverage floor) and the weights sum to 1.
 *
 * Cost: O(m^2) to prepare plus O(m) per pair, O(m^3) for all pairs of m models (250 models: about
 * 16 million multiply-adds).
 */
#ifndef ACTIVE_H
#define ACTIVE_H

#include "prefd.h"
#include "rank.h"

/* The settings the server uses and the benchmark measures (tuned there: a power of 1, the
 * plain proportional rule, saved only 3% of the votes; 8 saves 27% at an arena-like spread). */
#define ACTIVE_FLOOR 0.1
#define ACTIVE_POWER 8.0

/* A candidate pair: model indices of the fit, a != b. */
struct active_pair {
        uint32_t a, b;
};

/*
 * Fills w[0..npairs) with the sampling weights of pairs[] (borrowed) under fit (borrowed; must
 * have been fitted with rank_opts.covariance, n models). floor in [0, 1], power > 0. Returns 0,
 * or -1 on invalid input (no covariance, an index >= n, npairs 0) or out of memory.
 */
int active_weights(const struct rank_result *fit, const struct active_pair *pairs, size_t npairs,
                   double floor, double power, double *w) PREFD_MUSTCHECK;

/*
 * Turns weights into the cumulative upper bounds cum[i] = w[0] + ... + w[i], scaled so that
 * cum[npairs - 1] = 1 exactly (w and cum may be the same array).
 */
void active_cumulate(const double *w, size_t npairs, double *cum);

/* The index i of the first cum[i] > u, u in [0, 1): the pair drawn by u (binary search). */
size_t active_draw(const double *cum, size_t npairs, double u);

#endif
