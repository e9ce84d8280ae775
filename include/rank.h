/*
 * rank.h - Bradley-Terry ratings from aggregated pairwise outcome counts.
 *
 * Pure computation: no I/O, no globals, no logging. rank_fit() may run on any thread (the server
 * runs it on a worker); with RANK_CI_BOOTSTRAP it starts and joins its own pthreads.
 *
 * Model. Model i has a strength pi_i = exp(theta_i). In a decided comparison,
 * P(i beats j) = pi_i / (pi_i + pi_j). Ties, per rank_opts.ties:
 *   RANK_TIES_HALF      a tie is half a win each way (the Chatbot Arena convention);
 *   RANK_TIES_DAVIDSON  Davidson (1970): P(i beats j) = pi_i / D, P(tie) = nu sqrt(pi_i pi_j) / D,
 *                       D = pi_i + pi_j + nu sqrt(pi_i pi_j), with the tie strength nu >= 0 fitted
 *                       (evalica's `newman` fits the same model; its v is nu / 2);
 *   RANK_TIES_EXCLUDE   ties are dropped.
 * "Both bad" votes count as ties (RANK_BOTH_BAD_TIE; dropped with the ties under
 * RANK_TIES_EXCLUDE) or are dropped (RANK_BOTH_BAD_EXCLUDE). The outcomes left are the
 * "counted" outcomes.
 *
 * Fit. Maximum likelihood by Newton's method with a backtracking line search on the
 * log-likelihood, the Hessian solved by Cholesky on the reduced system (one reference model per
 * component held fixed, plus log nu for Davidson), from theta = 0, nu = 1; converged when the
 * largest Newton step is below 1e-9 in natural-log units (at most 100 iterations). Cost per
 * iteration O(pairs + m^3), m = models - components; a whole fit with sandwich intervals takes
 * about 5 ms for 129 models and 8256 pairs and 0.7 s for 1024 models (one 2.6 GHz core). Memory
 * about 6 (n + 1)^2 doubles, plus 2 (n + 1)^2 per bootstrap thread.
 *
 * Gauge and scale. Ratings are comparable only within a connected component of the comparison
 * graph (an edge per pair with a counted outcome); each component is fitted with the mean of its
 * natural-log strengths 0, or, in the anchor's component, with the anchor's theta 0. Then
 *   rating = init + scale * log_base(pi) = init + scale / ln(base) * theta,
 * with anchor_rating in place of init in the anchor's component.
 *
 * Components are numbered 0, 1, ... in order of their lowest model index (model 0 is always in
 * component 0). A model with no counted comparison is a component of its own, flagged
 * RANK_FLAG_ISOLATED, with theta 0, rating init (anchor_rating if it is the anchor), no interval.
 *
 * When the MLE does not exist. Within a component the maximum-likelihood strengths are finite
 * exactly when the directed graph "i beat j at least once" (a counted tie is an edge both ways)
 * is strongly connected. When it is not (for example a model that never won), that whole
 * component is fitted instead by the posterior mode under independent Gaussian priors
 *   theta_i ~ N(0, 1 / RANK_PRIOR_PRECISION),  i.e. log-likelihood - (lambda / 2) sum_i theta_i^2,
 * lambda = RANK_PRIOR_PRECISION = 0.1 (sd 3.16 natural-log units, 549 rating points at scale 400
 * base 10); its models are flagged RANK_FLAG_PRIOR. The mode has mean theta 0 automatically.
 * Components whose MLE exists are pure MLE. Under RANK_TIES_DAVIDSON, when every counted outcome is
 * a tie the MLE of nu is infinite, and log nu gets the same N(0, 1 / lambda) prior
 * (rank_result.tie_prior); with no counted tie nu = 0 (the MLE; the fit is plain Bradley-Terry).
 *
 * Intervals (95%), per rank_opts.ci:
 *   RANK_CI_SANDWICH   as lmarena's arena-rank: with H the Hessian of the negative log-likelihood
 *                      over the counted outcomes, G = sum over (pair, outcome) cells of
 *                      count * score score^T (the per-outcome gradient covariance; a tie is the
 *                      outcome 1/2), cov = (H + eps I)^-1 G (H + eps I)^-1 with arena-rank's
 *                      ridge eps = 1e-5 * (counted outcomes of the component). G annihilates the
 *                      sum-to-zero direction, so there the ridge acts as a pseudo-inverse: cov is
 *                      the covariance of the centred thetas (computed exactly so on the reduced
 *                      system); with an anchor, of theta_i - theta_anchor. Under Davidson the
 *                      scores include log nu and the theta block is used. In a component under
 *                      the prior, H includes lambda I and there is no ridge.
 *                      interval = rating -+ 1.96 se.
 *   RANK_CI_BOOTSTRAP  `rounds` resamples: the N = round(total counted outcomes) outcomes are
 *                      redrawn multinomially over the (pair, outcome) cells with probabilities
 *                      count / total (exactly: independent Poisson counts of total mean
 *                      N - 5 sqrt(N), topped up to N by draws from an alias table; see rank.c);
 *                      each resample is refitted from the full fit (fixed-Hessian iterations to
 *                      1e-7, Newton when those stall; the prior applies to a resample's component
 *                      exactly when that resample's MLE does not exist); the interval is the 2.5
 *                      and 97.5 percentiles of each model's rating (linear interpolation between
 *                      order statistics, numpy's default), se their standard deviation. Round r
 *                      draws from xoshiro256** seeded through splitmix64 from (seed, r), so the
 *                      result is bit-identical for any number of threads.
 *   RANK_CI_NONE       the interval collapses to the rating.
 * In every mode rank_model.se_model is the model-based standard error (inverse Fisher
 * information; with the prior, of the posterior curvature), in the same gauge, unless
 * rank_opts.model_se is false (then 0: it costs a matrix inverse, m^3 / 3).
 *
 * rank = 1 + the number of models of the same component whose ci_low is above this model's
 * ci_high (the Chatbot Arena rule).
 *
 * Fragility (rank_opts.robustness). For each model i and the model j rated just below it in the
 * same component, the smallest set of counted outcomes found whose removal puts j above i: with
 * u = H^-1 (e_i - e_j) (H the Hessian at the fit), removing one outcome of cell (pair, outcome)
 * changes theta_i - theta_j by about -(u^T score) (the influence approximation; for a half-tie
 * fit the score is (y - P(a beats b)) (e_a - e_b), y = 1, 0, 1/2); the cells are taken most
 * negative first until the predicted change reaches -(theta_i - theta_j); then refits without the
 * first k outcomes in that order (warm-started from the fit with its factorised Hessian, Newton
 * when the layout changes) find the smallest k that really reverses the order, growing k by half
 * while it does not, then bisecting; at most FLIP_REFITS refits per pair (rank.c). flips[i].found
 * is false when even every outcome that helps, or that budget, does not do it. Cost per pair
 * O(cells log cells + refits (pairs + m^2)), pairs spread over rank_opts.threads threads;
 * results do not depend on their number.
 *
 * Ownership: rank_fit() reads `pairs` (borrowed) and fills *out, which the caller owns and
 * releases with rank_result_fini().
 */
#ifndef RANK_H
#define RANK_H

#include "prefd.h"

/* Prior precision (1 / variance, natural-log units) used only where the MLE does not exist. */
#define RANK_PRIOR_PRECISION 0.1
/* Largest number of models rank_fit accepts (dense linear algebra: see "Fit" above). */
#define RANK_MODELS_MAX 1024
/* Bounds on rank_opts.rounds and rank_opts.threads (checked only with RANK_CI_BOOTSTRAP). */
#define RANK_ROUNDS_MIN  10
#define RANK_ROUNDS_MAX  100000
#define RANK_THREADS_MAX 64

/* One pair's aggregated outcome counts. Counts are finite and >= 0, possibly fractional (votes
 * weighted by rater reliability). A pair may appear several times and in either orientation;
 * rank_fit adds them up. a != b, both < n. */
struct rank_pair {
        uint32_t a;      /* model index of one side */
        uint32_t b;      /* model index of the other side */
        double a_wins;   /* outcomes where a won */
        double b_wins;   /* outcomes where b won */
        double ties;     /* ties */
        double both_bad; /* "both bad" votes */
};

enum rank_ties {
        RANK_TIES_HALF,     /* a tie is half a win each way (default) */
        RANK_TIES_DAVIDSON, /* Davidson tie model with a fitted tie strength nu */
        RANK_TIES_EXCLUDE,  /* ties are dropped */
};

enum rank_both_bad {
        RANK_BOTH_BAD_TIE,     /* a "both bad" vote is a tie (default) */
        RANK_BOTH_BAD_EXCLUDE, /* "both bad" votes are dropped */
};

enum rank_ci {
        RANK_CI_SANDWICH,  /* sandwich (robust) SEs as arena-rank computes them (default) */
        RANK_CI_BOOTSTRAP, /* multinomial bootstrap percentiles */
        RANK_CI_NONE,      /* no interval: ci_low = ci_high = rating */
};

/* Per-model flags (bits of rank_model.flags). */
enum rank_flag {
        RANK_FLAG_NO_WINS = 1u << 0,   /* has counted comparisons but never won or tied */
        RANK_FLAG_NO_LOSSES = 1u << 1, /* has counted comparisons but never lost or tied */
        RANK_FLAG_PRIOR = 1u << 2,     /* its component has no MLE: rating under the prior */
        RANK_FLAG_ISOLATED = 1u << 3,  /* no counted comparison: own component, rating = init */
        RANK_FLAG_ANCHOR = 1u << 4,    /* the anchor model */
};

/* Options. Start from rank_opts_default() and change fields. */
struct rank_opts {
        enum rank_ties ties;         /* default RANK_TIES_HALF */
        enum rank_both_bad both_bad; /* default RANK_BOTH_BAD_TIE */
        enum rank_ci ci;             /* default RANK_CI_SANDWICH */
        unsigned rounds;             /* bootstrap rounds, default 1000 */
        uint64_t seed;               /* bootstrap seed, default 42 */
        unsigned threads;            /* bootstrap threads, default 2; results do not depend on it */
        long anchor;                 /* model pinned to anchor_rating, -1 (default) for none */
        double anchor_rating;        /* default 1000 */
        double scale;                /* rating points per factor `base` of strength, default 400 */
        double base;                 /* default 10; must be > 1 */
        double init;                 /* rating of mean log-strength, default 1000 */
        bool covariance;             /* also fill rank_result.cov (default false) */
        bool model_se;               /* compute rank_model.se_model (default true) */
        bool robustness;             /* also fill rank_result.flips (default false) */
};

/* One model's result. */
struct rank_model {
        double theta;    /* natural-log strength in the reported gauge (mean 0 or anchor 0) */
        double rating;   /* init (or anchor_rating) + scale / ln(base) * theta */
        double ci_low;   /* lower end of the 95% interval (rating points) */
        double ci_high;  /* upper end of the 95% interval (rating points) */
        double se;       /* SE of rating by the interval method: sandwich SE, bootstrap SD, or 0 */
        double se_model; /* model-based (Fisher information) SE of rating, rating points */
        unsigned rank;   /* 1 + models of the component whose ci_low > this ci_high */
        unsigned component; /* connected component, numbered by lowest model index */
        unsigned flags;     /* RANK_FLAG_* bits */
        double wins;        /* input outcomes this model won (counted or not) */
        double losses;      /* input outcomes this model lost */
        double ties;        /* input ties involving this model */
        double both_bad;    /* input "both bad" votes involving this model */
        double n;           /* wins + losses + ties + both_bad */
};

/* Outcomes of one (pair, outcome) cell taken out by a flip. */
struct rank_removal {
        uint32_t a, b; /* the pair's models, a < b */
        uint8_t
            kind; /* 0: a won, 1: b won, 2: a counted tie (a tie, or "both bad" counted as one) */
        double count; /* outcomes taken out */
};

/* How fragile the order of a model and the one rated just below it is (see "Fragility"). */
struct rank_flip {
        long below;                    /* the model rated just below, same component; -1: none */
        bool found;                    /* a set was found, and the refit without it confirms */
        double votes;                  /* outcomes in that set (0 when the ratings are equal) */
        struct rank_removal *removals; /* nremovals cells; owned by the result */
        size_t nremovals;
        double predicted; /* outcomes the influence approximation alone asked for */
};

/* The result of rank_fit(). All numbers are finite. Owned by the caller: rank_result_fini(). */
struct rank_result {
        size_t n;                  /* number of models */
        struct rank_model *models; /* n entries, indexed like the input; owned */
        size_t components;         /* connected components (1 = all comparable) */
        enum rank_ties ties;       /* tie handling used (for rank_predict) */
        double tie_strength;       /* Davidson nu (0 unless RANK_TIES_DAVIDSON) */
        bool tie_prior;            /* Davidson: nu is a posterior mode (every outcome a tie) */
        unsigned iterations;       /* Newton iterations of the main fit */
        bool converged;            /* main fit and every bootstrap round converged */
        double loglik;             /* log-likelihood of the counted outcomes at the fit */
        double counted;            /* total counted outcomes (after the exclusions) */
        unsigned rounds;           /* bootstrap rounds run (0 unless RANK_CI_BOOTSTRAP) */
        unsigned rounds_prior;     /* bootstrap rounds in which some component needed the prior */
        unsigned rounds_failed;    /* bootstrap rounds that did not converge (kept as they ended) */
        /* With rank_opts.covariance: the model-based covariance (inverse Fisher information, as
         * se_model) of the reported thetas, n x n row-major, natural-log units; 0 between
         * components and for isolated models (all 0 when the fit has no free parameter or its
         * Hessian is singular). Owned; NULL otherwise. */
        double *cov;
        /* With rank_opts.robustness: per model, its flip against the model rated just below it.
         * n entries, owned; NULL otherwise. */
        struct rank_flip *flips;
};

/* Fill *o with the defaults listed in struct rank_opts. */
/* 0 when the options are valid for n models, else -1 with a message in err. */
int rank_opts_check(size_t n, const struct rank_opts *o, char *err, size_t errlen);
void rank_opts_default(struct rank_opts *o);

/* Fit n models (indices 0..n-1) to npairs aggregated pairs. o may be NULL for the defaults.
 * Returns 0 and fills *out (caller owns; release with rank_result_fini), or -1 on invalid input
 * (n = 0 or > RANK_MODELS_MAX, index >= n or a == b, negative or non-finite count, unknown enum,
 * anchor out of range, scale/base/init/anchor_rating not finite or scale <= 0 or base <= 1,
 * rounds or threads out of bounds with RANK_CI_BOOTSTRAP) or out of memory, with a one-line
 * message in err (if err != NULL and errlen > 0) and *out zeroed. A fit that does not converge
 * still returns 0, with out->converged false, the last (finite) iterate and a warning in err;
 * otherwise err is "" on return 0. */
int rank_fit(size_t n, const struct rank_pair *pairs, size_t npairs, const struct rank_opts *o,
             struct rank_result *out, char *err, size_t errlen) PREFD_MUSTCHECK;

/* Release what *r owns and zero it. NULL and zeroed results are fine. */
void rank_result_fini(struct rank_result *r);

/* Predicted probability that model i beats model j, a tie counting half: under RANK_TIES_DAVIDSON
 * P(win) + P(tie) / 2, otherwise 1 / (1 + exp(theta_j - theta_i)). rank_predict(r, i, j) +
 * rank_predict(r, j, i) = 1. Returns 0.5 when i == j, when i or j is out of range, and when i and
 * j are in different components (no comparison is possible there). */
double rank_predict(const struct rank_result *r, size_t i, size_t j);

#endif
