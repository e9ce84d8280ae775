/*
 * quality.c - rater statistics, agreement and reliability weights; see quality.h.
 */
#include "quality.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_unit_value(const void *a, const void *b)
{
        const struct quality_vote *x = *(const struct quality_vote *const *)a;
        const struct quality_vote *y = *(const struct quality_vote *const *)b;
        if (x->unit != y->unit)
                return x->unit < y->unit ? -1 : 1;
        if (x->value != y->value)
                return x->value < y->value ? -1 : 1;
        return 0;
}

/* The votes on ordinary comparisons, ordered by unit then value. */
static const struct quality_vote **sorted(const struct quality_vote *votes, size_t n, size_t *count)
{
        const struct quality_vote **v = malloc((n + 1) * sizeof(*v));
        if (!v)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (!votes[i].gold)
                        v[k++] = &votes[i];
        qsort(v, k, sizeof(*v), by_unit_value);
        *count = k;
        return v;
}

/* End of the run of equal values that starts at g, within a unit ending at end. */
static size_t unit_value_end(const struct quality_vote **v, size_t end, size_t g)
{
        size_t ge = g;
        while (ge < end && v[ge]->value == v[g]->value)
                ge++;
        return ge;
}

/* End of the unit that starts at i. */
static size_t unit_end(const struct quality_vote **v, size_t n, size_t i)
{
        size_t j = i;
        while (j < n && v[j]->unit == v[i]->unit)
                j++;
        return j;
}

static int by_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* The rater's accuracy p in the likelihood: Laplace's rule, kept off 0 and 1. */
static double accuracy_estimate(double right, double n)
{
        return fmin(fmax((right + 1) / (n + 2), 0.01), 0.99);
}

/*
 * Reliability (quality.h): the one-coin Dawid-Skene model fitted by expectation-maximisation.
 * Each round finds, for every comparison with two or more votes, the posterior of its true
 * value given all votes and the raters' accuracies, then re-estimates each rater's accuracy
 * from control pairs and the posteriors of the values they chose.
 */
static int weigh(const struct quality_vote **v, size_t count, size_t nraters,
                 struct quality_rater *out)
{
        double *p = malloc((nraters + 1) * sizeof(double));
        double *right = malloc((nraters + 1) * sizeof(double)); /* sum of posteriors */
        long *seen = malloc((nraters + 1) * sizeof(long));
        double *loglik = malloc((count + 1) * sizeof(double)); /* per value group */
        int rc = -1;
        if (!p || !right || !seen || !loglik)
                goto out;
        /* Start from control pairs; without any, assume better than a coin. */
        for (size_t k = 0; k < nraters; k++)
                p[k] = out[k].gold_seen ? accuracy_estimate((double)out[k].gold_correct,
                                                            (double)out[k].gold_seen)
                                        : 0.7;
        for (int round = 0; round < QUALITY_ROUNDS; round++) {
                memset(right, 0, nraters * sizeof(double));
                memset(seen, 0, nraters * sizeof(long));
                for (size_t i = 0; i < count;) {
                        size_t end = unit_end(v, count, i);
                        if (end - i < 2) {
                                i = end;
                                continue;
                        }
                        /* Groups of equal values; the log-likelihood of each being the truth. */
                        size_t groups = 0;
                        for (size_t g = i; g < end;) {
                                g = unit_value_end(v, end, g);
                                groups++;
                        }
                        double c = groups > QUALITY_VALUES ? (double)groups : QUALITY_VALUES;
                        double base = 0;
                        for (size_t k = i; k < end; k++)
                                base += log((1 - p[v[k]->rater]) / (c - 1));
                        double top = base;
                        for (size_t g = i; g < end;) {
                                size_t ge = unit_value_end(v, end, g);
                                double l = base;
                                for (size_t k = g; k < ge; k++) {
                                        double pk = p[v[k]->rater];
                                        l += log(pk) - log((1 - pk) / (c - 1));
                                }
                                loglik[g] = l;
                                top = fmax(top, l);
                                g = ge;
                        }
                        /* Values nobody chose share the likelihood base. */
                        double z = (c - (double)groups) * exp(base - top);
                        for (size_t g = i; g < end; g = unit_value_end(v, end, g))
                                z += exp(loglik[g] - top);
                        for (size_t g = i; g < end;) {
                                size_t ge = unit_value_end(v, end, g);
                                double post = exp(loglik[g] - top) / z;
                                for (size_t k = g; k < ge; k++) {
                                        right[v[k]->rater] += post;
                                        seen[v[k]->rater]++;
                                }
                                g = ge;
                        }
                        i = end;
                }
                double moved = 0;
                for (size_t k = 0; k < nraters; k++) {
                        double next = accuracy_estimate((double)out[k].gold_correct + right[k],
                                                        (double)(out[k].gold_seen + seen[k]));
                        moved = fmax(moved, fabs(next - p[k]));
                        p[k] = next;
                }
                if (moved < 1e-9)
                        break;
        }
        for (size_t k = 0; k < nraters; k++) {
                struct quality_rater *r = &out[k];
                double n = (double)(r->gold_seen + seen[k]);
                r->evidence = r->gold_seen + seen[k];
                r->accuracy = n > 0 ? ((double)r->gold_correct + right[k]) / n : NAN;
                double e = n > 0 ? fmax(0, 2 * r->accuracy - 1) : 0;
                r->weight = (n * e + QUALITY_PRIOR_VOTES) / (n + QUALITY_PRIOR_VOTES);
        }
        rc = 0;
out:
        free(p);
        free(right);
        free(seen);
        free(loglik);
        return rc;
}

int quality_raters(const struct quality_vote *votes, size_t n, size_t nraters,
                   struct quality_rater *out)
{
        memset(out, 0, nraters * sizeof(*out));
        size_t *at = calloc(nraters + 1, sizeof(size_t)); /* start of each rater's times */
        double *times = malloc((n + 1) * sizeof(double));
        size_t count;
        const struct quality_vote **v = sorted(votes, n, &count);
        int rc = -1;
        if (!at || !times || !v)
                goto out;

        for (size_t i = 0; i < n; i++) {
                const struct quality_vote *x = &votes[i];
                struct quality_rater *r = &out[x->rater];
                r->flags += x->flags;
                if (x->seconds >= 0)
                        at[x->rater + 1]++;
                if (x->gold) {
                        r->gold_seen++;
                        r->gold_correct += x->gold_correct;
                        continue;
                }
                r->votes++;
                if (x->value == 0) {
                        r->ties++;
                } else {
                        r->decided++;
                        r->left += x->left;
                }
        }
        /* Median time per vote: each rater's times in their own slice of one array. */
        for (size_t k = 0; k < nraters; k++)
                at[k + 1] += at[k];
        size_t *fill = calloc(nraters + 1, sizeof(size_t));
        if (!fill)
                goto out;
        for (size_t i = 0; i < n; i++)
                if (votes[i].seconds >= 0)
                        times[at[votes[i].rater] + fill[votes[i].rater]++] = votes[i].seconds;
        free(fill);
        for (size_t k = 0; k < nraters; k++) {
                size_t m = at[k + 1] - at[k];
                double *t = times + at[k];
                qsort(t, m, sizeof(double), by_double);
                out[k].median_seconds = m == 0  ? NAN
                                        : m % 2 ? t[m / 2]
                                                : (t[m / 2 - 1] + t[m / 2]) / 2;
        }

        /* Agreement with the most common value among the other votes on the same comparison. */
        for (size_t i = 0; i < count;) {
                size_t end = unit_end(v, count, i);
                for (size_t k = i; k < end; k++) {
                        int64_t best = 0;
                        long best_n = 0, others = 0;
                        bool unique = false;
                        for (size_t g = i; g < end;) {
                                size_t ge = g;
                                while (ge < end && v[ge]->value == v[g]->value)
                                        ge++;
                                long cnt = (long)(ge - g) - (v[g]->value == v[k]->value);
                                others += cnt;
                                if (cnt > best_n) {
                                        best_n = cnt;
                                        best = v[g]->value;
                                        unique = true;
                                } else if (cnt == best_n && cnt > 0) {
                                        unique = false;
                                }
                                g = ge;
                        }
                        if (others > 0 && unique) {
                                struct quality_rater *r = &out[v[k]->rater];
                                r->agree_n++;
                                r->agree_match += v[k]->value == best;
                        }
                }
                i = end;
        }
        if (weigh(v, count, nraters, out) != 0)
                goto out;
        rc = 0;
out:
        free(at);
        free(times);
        free(v);
        return rc;
}

/* One (category, value) count of a unit with two or more votes. */
struct value_count {
        uint32_t category;
        int64_t value;
        double count;
};

static int by_category_value(const void *a, const void *b)
{
        const struct value_count *x = a, *y = b;
        if (x->category != y->category)
                return x->category < y->category ? -1 : 1;
        return x->value < y->value ? -1 : x->value > y->value;
}

/* Sums of one scope (all, or a category) on the way to alpha and percent agreement. */
struct sums {
        double observed, votes, pairs, agreeing, same; /* same: sum over values of n_c^2 */
        long units;
};

static void finish(const struct sums *s, struct quality_agreement *out)
{
        double expected = s->votes * s->votes - s->same;
        *out = (struct quality_agreement){ .alpha = NAN, .percent = NAN, .units = s->units };
        if (expected > 0)
                out->alpha = 1 - (s->votes - 1) * s->observed / expected;
        if (s->pairs > 0)
                out->percent = s->agreeing / s->pairs;
}

int quality_agreement(const struct quality_vote *votes, size_t n, size_t ncategories,
                      struct quality_agreement *all, struct quality_agreement *by_category)
{
        size_t count;
        const struct quality_vote **v = sorted(votes, n, &count);
        struct value_count *cv = malloc((count + 1) * sizeof(*cv));
        struct sums *per = calloc(ncategories + 1, sizeof(*per)), total = { 0 };
        int rc = -1;
        if (!v || !cv || !per)
                goto out;
        size_t ncv = 0;
        for (size_t i = 0; i < count;) {
                size_t end = unit_end(v, count, i);
                double m = (double)(end - i);
                if (m < 2) {
                        i = end;
                        continue;
                }
                /* A comparison belongs to one category: its first vote's. */
                uint32_t cat = v[i]->category;
                struct sums *c = cat < ncategories ? &per[cat] : NULL;
                double same = 0, agreeing = 0;
                for (size_t g = i; g < end;) {
                        size_t ge = unit_value_end(v, end, g);
                        double k = (double)(ge - g);
                        same += k * k;
                        agreeing += k * (k - 1) / 2;
                        cv[ncv++] = (struct value_count){ cat, v[g]->value, k };
                        g = ge;
                }
                for (struct sums *s = &total; s; s = s == &total ? c : NULL) {
                        s->observed += (m * m - same) / (m - 1);
                        s->votes += m;
                        s->pairs += m * (m - 1) / 2;
                        s->agreeing += agreeing;
                        s->units++;
                }
                i = end;
        }
        /* Sum of n_c^2 per category (sorted by category, value), then over all categories. */
        qsort(cv, ncv, sizeof(*cv), by_category_value);
        for (size_t i = 0; i < ncv;) {
                size_t j = i;
                double nc = 0;
                while (j < ncv && cv[j].category == cv[i].category && cv[j].value == cv[i].value)
                        nc += cv[j++].count;
                if (cv[i].category < ncategories)
                        per[cv[i].category].same += nc * nc;
                i = j;
        }
        for (size_t i = 0; i < ncv; i++)
                cv[i].category = 0;
        qsort(cv, ncv, sizeof(*cv), by_category_value);
        for (size_t i = 0; i < ncv;) {
                size_t j = i;
                double nc = 0;
                while (j < ncv && cv[j].value == cv[i].value)
                        nc += cv[j++].count;
                total.same += nc * nc;
                i = j;
        }
        finish(&total, all);
        for (size_t k = 0; k < ncategories; k++)
                finish(&per[k], &by_category[k]);
        rc = 0;
out:
        free(v);
        free(cv);
        free(per);
        return rc;
}
