/*
 * quality.h - rater statistics, agreement and reliability weights from a project's rated votes.
 * Pure computation, no I/O.
 *
 * A vote's value is the model it chose, or "tie" (0) for a tie or "both bad": left and right are
 * shown in random order, so values compare across raters. A comparison is a unit; control pairs
 * (gold) score raters and are left out of agreement.
 *
 * Agreement of a rater: among their votes on comparisons where the other raters' votes have a
 * single most common value, the share that match it.
 *
 * Krippendorff's alpha (nominal), over comparisons with two or more votes:
 *   alpha = 1 - (n - 1) * sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1) / (n^2 - sum_c n_c^2)
 * with m_u the votes on unit u, n_uc those with value c, n_c = sum_u n_uc, n = sum_c n_c; NaN when
 * no disagreement is possible (fewer than two values occur). Percent agreement is the share of
 * agreeing pairs among all pairs of votes on the same unit.
 *
 * Reliability of a rater: the share a of their answers that were right, over N answers where
 * that can be judged: control pairs (right when they match the known answer) and votes on
 * comparisons with two or more votes (each counting the probability that the value chosen is
 * the comparison's true one). Those probabilities come from the one-coin model of Dawid and
 * Skene (1979): each rater k is right with probability p_k and otherwise picks another value at
 * random, among QUALITY_VALUES - 1 (or more when more values occur on the comparison), so that a
 * coin tossed between the two answers tells nothing; p and the true values are fitted together by
 * expectation-maximisation, starting from the control pairs (p_k = 0.7 without any), for at most
 * QUALITY_ROUNDS rounds. Unlike a plain majority, raters caught by control pairs cannot outvote
 * good ones even when they are the majority, and a careful rater among careless ones is not
 * blamed for disagreeing with them.
 *
 * The weight of a rater's votes in weighted rankings shrinks towards 1 with little evidence:
 *   w = (N * max(0, 2a - 1) + M) / (N + M),   M = QUALITY_PRIOR_VOTES
 * so a rater right as often as a coin, or wrong on purpose, weighs towards 0, an always-right
 * one towards 1, a newcomer 1.
 */
#ifndef QUALITY_H
#define QUALITY_H

#include "prefd.h"

#define QUALITY_PRIOR_VOTES 10.0
#define QUALITY_ROUNDS      50
#define QUALITY_VALUES      2 /* values a rater errs between: in the main, the two answers */

struct quality_vote {
        int64_t unit;      /* the comparison */
        uint32_t rater;    /* dense rater index, < nraters */
        uint32_t category; /* dense category index */
        int64_t value;     /* the chosen model's id, 0 for a tie or both bad */
        bool gold;         /* on a control pair */
        bool gold_correct; /* answered as the control pair's known answer */
        bool left;         /* chose the answer shown on the left */
        double seconds;    /* time taken, < 0 when unknown */
        unsigned flags;    /* flags raised */
};

struct quality_rater {
        long votes;            /* votes on ordinary comparisons */
        long decided;          /* of those, for one answer */
        long left;             /* of those, for the left one */
        long ties;             /* ties and both-bad votes */
        long gold_seen;        /* control pairs answered */
        long gold_correct;     /* ... as expected */
        long agree_n;          /* votes with a majority of others to compare with */
        long agree_match;      /* ... that matched it (unweighted, as API.md defines) */
        long flags;            /* flags raised */
        double median_seconds; /* NaN when no time is known */
        long evidence;         /* N: answers judged for reliability, see above */
        double accuracy;       /* a: their estimated share right, NaN when N is 0 */
        double weight;         /* reliability weight, see above */
};

struct quality_agreement {
        double alpha;   /* NaN when undefined */
        double percent; /* NaN when there is no pair */
        long units;     /* comparisons with two or more votes */
};

/*
 * Statistics of raters 0..nraters-1 from n votes (in any order) into out[nraters]. 0, or -1 when
 * out of memory.
 */
int quality_raters(const struct quality_vote *votes, size_t n, size_t nraters,
                   struct quality_rater *out) PREFD_MUSTCHECK;

/*
 * Agreement over all votes into *all and over the comparisons of each category
 * 0..ncategories-1 into by_category[ncategories] (a comparison's category is that of its votes).
 * 0, or -1 when out of memory.
 */
int quality_agreement(const struct quality_vote *votes, size_t n, size_t ncategories,
                      struct quality_agreement *all,
                      struct quality_agreement *by_category) PREFD_MUSTCHECK;

#endif
