/* test_tally.c - the vote index's counts under filters, fed directly (no database). */
#include "t.h"
#include "tally.h"

#include <stdlib.h>

#define DAY 86400000000LL

static const struct tally_pair *pair(const struct tally_pair *p, size_t n, int64_t lo, int64_t hi)
{
        for (size_t i = 0; i < n; i++)
                if (p[i].lo == lo && p[i].hi == hi)
                        return &p[i];
        return NULL;
}

static double total(const struct tally_pair *p, size_t n)
{
        double t = 0;
        for (size_t i = 0; i < n; i++)
                t += p[i].lo_wins + p[i].hi_wins + p[i].ties + p[i].both_bad;
        return t;
}

static void test_counts(void)
{
        struct tally *t = tally_new(NULL, 1 << 30);
        REQUIRE(t != NULL);
        /* model 7 on the left beats 3 on day 1 (en, math); 3 on the left beats 7 (zh) on day 2...
         */
        CHECK_INT(tally_add(t, 1, 7, 3, TALLY_LEFT, "math", "en", 1 * DAY, 0, NULL), 0);
        CHECK_INT(tally_add(t, 1, 3, 7, TALLY_LEFT, "math", "zh", 2 * DAY, 0, NULL), 0);
        CHECK_INT(tally_add(t, 1, 3, 7, TALLY_TIE, "code", "en", 3 * DAY, 0, NULL), 0);
        CHECK_INT(tally_add(t, 1, 7, 9, TALLY_RIGHT, "code", "en", 3 * DAY + 5, 0, NULL), 0);
        CHECK_INT(tally_add(t, 1, 9, 3, TALLY_BOTH_BAD, "math", "en", 0, 0, NULL),
                  0);                                                           /* out of order */
        CHECK_INT(tally_add(t, 1, 5, 5, TALLY_LEFT, "x", "y", 0, 0, NULL), -1); /* same model */
        CHECK_INT(tally_add(t, 2, 1, 2, TALLY_LEFT, "", "", 0, 0, NULL), 0); /* another project */

        struct tally_pair *p;
        size_t n;
        struct tally_filter f = { 0 };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_INT(n, 3);
        CHECK_NEAR(total(p, n), 5, 0);
        const struct tally_pair *x = pair(p, n, 3, 7);
        REQUIRE(x != NULL);
        CHECK_NEAR(x->hi_wins, 1, 0); /* 7 beat 3 on the left */
        CHECK_NEAR(x->lo_wins, 1, 0); /* 3 beat 7 on the left */
        CHECK_NEAR(x->ties, 1, 0);
        CHECK_NEAR(x->left_wins, 2, 0);
        x = pair(p, n, 7, 9);
        REQUIRE(x != NULL);
        CHECK_NEAR(x->hi_wins, 1, 0); /* 9 on the right won */
        CHECK_NEAR(x->right_wins, 1, 0);
        CHECK_NEAR(pair(p, n, 3, 9)->both_bad, 1, 0);
        free(p);

        f = (struct tally_filter){ .language = "en" };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 4, 0);
        free(p);
        f = (struct tally_filter){ .category = "math", .language = "en" };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 2, 0);
        free(p);
        f = (struct tally_filter){ .category = "nothing" };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_INT(n, 0);
        free(p);

        /* Time windows [since, until), to the microsecond, also after an out-of-order add. */
        f = (struct tally_filter){ .has_since = true, .since_us = 1 * DAY };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 4, 0);
        free(p);
        f = (struct tally_filter){ .has_since = true, .since_us = 1 * DAY + 1 };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 3, 0);
        free(p);
        f = (struct tally_filter){ .has_until = true, .until_us = 3 * DAY + 5 };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 4, 0);
        free(p);
        f = (struct tally_filter){ .has_since = true,
                                   .since_us = 2 * DAY,
                                   .has_until = true,
                                   .until_us = 4 * DAY,
                                   .language = "en" };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 2, 0);
        free(p);
        /* Projects are apart. */
        f = (struct tally_filter){ 0 };
        REQUIRE(tally_count(t, 2, &f, &p, &n) == 0);
        CHECK_INT(n, 1);
        CHECK_NEAR(p[0].lo_wins, 1, 0);
        free(p);
        CHECK_INT(tally_count(t, 3, &f, &p, &n), -1);
        CHECK(tally_bytes(t) > 0);
        tally_free(t);
}

static void test_many(void)
{
        /* A hundred thousand votes over 20 models, counted whole and by window. */
        struct tally *t = tally_new(NULL, 1 << 30);
        REQUIRE(t != NULL);
        long in_window = 0, failed = 0;
        for (long i = 0; i < 100000; i++) {
                int64_t a = i % 20, b = (i * 7 + 3) % 20;
                if (a == b)
                        b = (b + 1) % 20;
                int64_t at = (i * 7919) % 1000 * DAY / 10;
                in_window += at >= 10 * DAY && at < 50 * DAY;
                failed += tally_add(t, 9, a + 1, b + 1, (enum tally_choice)(i % 4),
                                    i % 3 ? "c1" : "c2", "en", at, 0, NULL) != 0;
        }
        CHECK_INT(failed, 0);
        struct tally_pair *p;
        size_t n;
        struct tally_filter f = { 0 };
        REQUIRE(tally_count(t, 9, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), 100000, 0);
        free(p);
        f = (struct tally_filter){
                .has_since = true, .since_us = 10 * DAY, .has_until = true, .until_us = 50 * DAY
        };
        REQUIRE(tally_count(t, 9, &f, &p, &n) == 0);
        CHECK_NEAR(total(p, n), (double)in_window, 0);
        free(p);
        tally_free(t);
}

static void test_weights(void)
{
        struct tally *t = tally_new(NULL, 1 << 30);
        REQUIRE(t != NULL);
        /* Rater 5 says model 1 (left) is better, rater 6 says 2 (left); one imported vote for 1. */
        CHECK_INT(tally_add(t, 1, 1, 2, TALLY_LEFT, "", "", 10, 5, NULL), 0);
        CHECK_INT(tally_add(t, 1, 1, 2, TALLY_LEFT, "", "", 11, 5, NULL), 0);
        CHECK_INT(tally_add(t, 1, 2, 1, TALLY_LEFT, "", "", 12, 6, NULL), 0);
        CHECK_INT(tally_add(t, 1, 1, 2, TALLY_RIGHT, "", "", 13, 0, NULL), 0);
        struct tally_weight w[] = { { 5, 0.25 }, { 6, 2 }, { 99, 7 } };
        struct tally_filter f = { .weights = w, .nweights = 3 };
        struct tally_pair *p;
        size_t n;
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        REQUIRE(n == 1);
        CHECK_NEAR(p[0].lo_wins, 0.25 + 0.25, 1e-12); /* rater 5's two votes for model 1 */
        CHECK_NEAR(p[0].hi_wins, 2 + 1, 1e-12);       /* rater 6's, and the imported one at 1 */
        CHECK_NEAR(p[0].left_wins, 0.5 + 2, 1e-12);
        free(p);
        f = (struct tally_filter){ 0 };
        REQUIRE(tally_count(t, 1, &f, &p, &n) == 0);
        CHECK_NEAR(p[0].lo_wins + p[0].hi_wins, 4, 0);
        free(p);
        tally_free(t);
}

/* tally_votes: the matching votes whose answers' features are known, with the features and the
 * outcome turned to the lower model id's side; the others are counted as missing. */
static void test_style_votes(void)
{
        struct tally *t = tally_new(NULL, 1 << 30);
        REQUIRE(t != NULL);
        const struct tally_style s1 = { { 100, 1, 2, 3 }, { 50, 0, 0, 1 } };
        const struct tally_style s2 = { { 10, 0, 4, 0 }, { 900, 2, 0, 0 } };
        /* 7 left beats 3 right; 3 left beats 9 right; a tie 9 left, 3 right; one with no features
         */
        CHECK_INT(tally_add(t, 1, 7, 3, TALLY_LEFT, "math", "en", 1 * DAY, 0, &s1), 0);
        CHECK_INT(tally_add(t, 1, 3, 9, TALLY_LEFT, "math", "en", 2 * DAY, 5, &s2), 0);
        CHECK_INT(tally_add(t, 1, 9, 3, TALLY_TIE, "code", "en", 3 * DAY, 5, &s1), 0);
        CHECK_INT(tally_add(t, 1, 3, 7, TALLY_RIGHT, "math", "en", 4 * DAY, 0, NULL), 0);
        struct tally_weight w[] = { { 5, 0.25 } };
        struct tally_filter f = { .category = "math", .weights = w, .nweights = 1 };
        struct tally_vote *v;
        int64_t *ids;
        size_t n, nm, missing;
        REQUIRE(tally_votes(t, 1, &f, &v, &n, &ids, &nm, &missing) == 0);
        CHECK_INT(n, 2);
        CHECK_INT(missing, 1);
        CHECK_INT(nm, 3);
        for (size_t i = 0; i < n; i++) {
                int64_t lo = ids[v[i].lo], hi = ids[v[i].hi];
                CHECK(lo < hi);
                if (lo == 3 && hi == 7) { /* 7 (the higher id) on the left won */
                        CHECK_INT(v[i].outcome, TALLY_HI);
                        CHECK(!v[i].left_is_lo);
                        CHECK(v[i].style_lo[0] == 50 && v[i].style_hi[0] == 100);
                        CHECK(v[i].style_hi[3] == 3 && v[i].weight == 1);
                } else { /* 3 on the left beat 9 */
                        CHECK(lo == 3 && hi == 9);
                        CHECK_INT(v[i].outcome, TALLY_LO);
                        CHECK(v[i].left_is_lo);
                        CHECK(v[i].style_lo[0] == 10 && v[i].style_hi[0] == 900);
                        CHECK(v[i].style_hi[1] == 2 && v[i].weight == 0.25f);
                }
        }
        free(v);
        free(ids);
        /* a time window: the tie on day 3 only */
        struct tally_filter g = {
                .has_since = true, .since_us = 3 * DAY, .has_until = true, .until_us = 4 * DAY
        };
        REQUIRE(tally_votes(t, 1, &g, &v, &n, &ids, &nm, &missing) == 0);
        CHECK_INT(n, 1);
        CHECK_INT(missing, 0);
        CHECK_INT(v[0].outcome, TALLY_TIED);
        CHECK(ids[v[0].lo] == 3 && v[0].style_lo[0] == 50 && v[0].style_hi[0] == 100);
        free(v);
        free(ids);
        CHECK(tally_votes(t, 2, &g, &v, &n, &ids, &nm, &missing) == -1); /* no such index */
        tally_free(t);
}

int main(void)
{
        RUN(weights);
        RUN(counts);
        RUN(many);
        RUN(style_votes);
        T_DONE();
}
