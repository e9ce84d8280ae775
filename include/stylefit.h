/*
 * stylefit.h - Bradley-Terry with style control: model strengths plus coefficients for the style
 * differences of the two answers of each vote (the contextual model behind the Chatbot Arena's
 * default "with style control" board, FastChat's fit_contextual_bt).
 *
 * Pure computation: no I/O, no globals, no logging; any thread (with RANK_CI_BOOTSTRAP it starts
 * and joins its own pthreads, like rank_fit).
 *
 * Features. Each answer has STYLEFIT_FEATURES non-negative counts: its length in Unicode
 * characters, its Markdown headers, list items and bold spans (style.h counts them). For a vote
 * between answers A and B (A shown on the left, the arena's model_a: with sides drawn at random
 * the differences centre near 0, as the arena's do), feature j is
 * d_j = (A_j - B_j) / (A_j + B_j + 1), and over the votes of
 * the fit it is standardised, z_j = (d_j - mean_j) / sd_j, with the mean and the population
 * standard deviation of the d_j of the votes in the fit (each vote once, whatever its weight) - the
 * arena's preprocess_for_style with add_one and every ratio applied. A feature whose sd is 0 (say
 * no answer has a header) carries no information and is left out of the fit
 * (stylefit_coef.constant).
 *
 * Model. With theta the models' natural-log strengths and beta the coefficients,
 *   P(A wins) = p = 1 / (1 + exp(-(theta_a - theta_b + beta . z))),
 * a tie (and, under RANK_BOTH_BAD_TIE, a "both bad" vote) is the outcome y = 1/2, a win for A 1,
 * for B 0. The fit minimises
 *   -sum_v w_v [y_v log p_v + (1 - y_v) log(1 - p_v)]
 *     + (STYLEFIT_L2 / 2) (sum_i (theta_i / ln base)^2 + sum_j beta_j^2)
 * (w_v the vote's weight): fit_contextual_bt's L2 penalty with its default reg = 0.5 on the
 * ratings in log-base units and the coefficients. The penalty makes the optimum unique and finite
 * always (no prior is needed when a model never won) and puts each connected component's mean
 * theta at 0, the same gauge as rank.h; the anchor then shifts its component as there. Newton's
 * method with backtracking from theta = beta = 0, converged when the largest step is below 1e-9.
 * Cost: O(votes k^2 + (n + k)^3) per iteration, k = STYLEFIT_FEATURES.
 *
 * Intervals (95%), per rank_opts.ci:
 *   RANK_CI_SANDWICH   cov = H^-1 G H^-1, H the Hessian of the penalised objective at the fit,
 *                      G = sum_v w_v (y_v - p_v)^2 x_v x_v^T with x_v the vote's covariate vector
 *                      (e_a - e_b, z_v); models: the variance of the reported (gauged) theta;
 *                      interval = estimate -+ 1.96 se;
 *   RANK_CI_BOOTSTRAP  `rounds` resamples of the votes (as many votes as the fit has, drawn
 *                      uniformly with replacement - the arena's bootstrap), each refitted from the
 *                      full fit with its factorised Hessian (Newton when that stalls); 2.5 and
 *                      97.5 percentiles, se the standard deviation; round r draws from (seed, r),
 *                      so results do not depend on the number of threads. The features are
 *                      standardised once, over the full set of votes;
 *   RANK_CI_NONE       no interval.
 * rank, component and the flags (no_wins, no_losses, isolated, anchor) follow rank.h.
 */
#ifndef STYLEFIT_H
#define STYLEFIT_H

#include "rank.h"

#define STYLEFIT_FEATURES 4   /* length, headers, list items, bold */
#define STYLEFIT_L2       0.5 /* fit_contextual_bt's reg */

/* Names of the features, in order ("length", "headers", "lists", "bold"). */
extern const char *const stylefit_feature_names[STYLEFIT_FEATURES];

enum stylefit_outcome { STYLEFIT_A, STYLEFIT_B, STYLEFIT_TIE, STYLEFIT_BOTH_BAD };

/* One vote. a != b, both < n; weight finite and > 0; features finite and >= 0. */
struct stylefit_vote {
        uint32_t a, b;               /* the two models */
        uint8_t outcome;             /* enum stylefit_outcome */
        float weight;                /* 1 unless weighted (rater reliability) */
        float fa[STYLEFIT_FEATURES]; /* features of a's answer */
        float fb[STYLEFIT_FEATURES]; /* features of b's answer */
};

/* One coefficient: log-odds of winning per standard deviation of its feature. */
struct stylefit_coef {
        double beta;            /* 0 when constant */
        double ci_low, ci_high; /* 95% interval (= beta without one) */
        double se;              /* by the interval method */
        double mean, sd;        /* of the feature's d_j over the votes of the fit */
        bool constant;          /* sd 0: left out of the fit */
};

/*
 * Fits n models to nv votes under o (rank_opts_default for NULL); ties must be RANK_TIES_HALF
 * or RANK_TIES_EXCLUDE (a Davidson tie model has no style-controlled counterpart here).
 * Returns 0 and fills *out (models, counts, flags, ranks; caller frees with rank_result_fini)
 * and coef[0 .. STYLEFIT_FEATURES), or -1 on invalid input or out of memory with a one-line message
 * in err and *out zeroed. A fit that does not converge returns 0 with out->converged false and a
 * warning in err.
 */
int stylefit_fit(size_t n, const struct stylefit_vote *votes, size_t nv, const struct rank_opts *o,
                 struct rank_result *out, struct stylefit_coef coef[STYLEFIT_FEATURES], char *err,
                 size_t errlen) PREFD_MUSTCHECK;

#endif
