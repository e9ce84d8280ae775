/* test_quality.c - agreement, rater statistics and reliability weights. */
#include "quality.h"
#include "t.h"

#include <stdlib.h>

/*
 * Krippendorff's worked example ("Computing Krippendorff's Alpha-Reliability", 2011): four coders,
 * twelve units, values 1-5, 0 = missing. Nominal alpha = 0.743.
 */
static const int coding[4][12] = {
        { 1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0 },
        { 1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3 },
        { 0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0 },
        { 1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0 },
};

/* splitmix64: the simulations' random numbers, the same on every platform. */
static uint64_t rng;

static unsigned next(void)
{
        uint64_t z = (rng += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return (unsigned)((z ^ (z >> 31)) >> 33);
}

static size_t example(struct quality_vote *v)
{
        size_t n = 0;
        for (int c = 0; c < 4; c++)
                for (int u = 0; u < 12; u++)
                        if (coding[c][u])
                                v[n++] = (struct quality_vote){ .unit = 100 + u,
                                                                .rater = (uint32_t)c,
                                                                .category = (uint32_t)(u % 2),
                                                                .value = coding[c][u],
                                                                .seconds = -1 };
        return n;
}

static void test_krippendorff(void)
{
        struct quality_vote v[48];
        size_t n = example(v);
        struct quality_agreement a, by[2];
        REQUIRE(quality_agreement(v, n, 2, &a, by) == 0);
        CHECK_NEAR(a.alpha, 0.743, 0.0005);
        CHECK_NEAR(a.percent, 43.0 / 55.0, 1e-12); /* counted by hand: 43 agreeing of 55 pairs */
        CHECK_INT(a.units, 11);                    /* unit 12 has a single value */
        /* The even units alone: 1, 3, 5, 7, 9, 11 in 1-based numbering. */
        CHECK_INT(by[0].units, 6);
        CHECK_NEAR(by[0].percent, (3 + 6 + 6 + 6 + 6 + 3) / 30.0, 1e-12);
        CHECK_INT(by[1].units, 5);
        /* Each category's alpha is the alpha of its units alone. */
        struct quality_vote odd[48];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (v[i].category == 1)
                        odd[m++] = v[i];
        struct quality_agreement alone;
        REQUIRE(quality_agreement(odd, m, 0, &alone, NULL) == 0);
        CHECK_NEAR(by[1].alpha, alone.alpha, 1e-12);
        CHECK_NEAR(by[1].percent, alone.percent, 1e-12);
        /* Control pairs are left out. */
        for (size_t i = 0; i < n; i++)
                v[i].gold = true;
        REQUIRE(quality_agreement(v, n, 2, &a, by) == 0);
        CHECK_INT(a.units, 0);
        CHECK_INT(by[0].units, 0);
        CHECK(isnan(a.alpha) && isnan(a.percent));
}

static void test_no_disagreement_possible(void)
{
        struct quality_vote v[4] = { { .unit = 1, .value = 7 },
                                     { .unit = 1, .value = 7, .rater = 1 },
                                     { .unit = 2, .value = 7 },
                                     { .unit = 2, .value = 7, .rater = 1 } };
        struct quality_agreement a;
        REQUIRE(quality_agreement(v, 4, 0, &a, NULL) == 0);
        CHECK(isnan(a.alpha)); /* a single value throughout */
        CHECK_NEAR(a.percent, 1, 0);
}

/*
 * Five raters on the same 200 comparisons between models 1 and 2 where model 1 is better: one
 * always right, two right nine times in ten, one flipping a coin, one always choosing the left
 * answer (which is model 1 half the time).
 */
static void test_simulated_raters(void)
{
        enum { N = 200, R = 5 };
        static struct quality_vote v[R * N + R * 10];
        size_t n = 0;
        rng = 7;
        for (int u = 0; u < N; u++) {
                bool lo_left = next() % 2;
                int64_t left = lo_left ? 1 : 2, right = lo_left ? 2 : 1;
                for (uint32_t k = 0; k < R; k++) {
                        int64_t value = 1;
                        if (k == 1 || k == 2)
                                value = next() % 10 ? 1 : 2;
                        else if (k == 3)
                                value = next() % 2 ? left : right;
                        else if (k == 4)
                                value = left;
                        v[n++] = (struct quality_vote){ .unit = u,
                                                        .rater = k,
                                                        .value = value,
                                                        .left = value == left,
                                                        .seconds = k < 3 ? 20 + u % 7 : 2,
                                                        .flags = k == 3 && u % 50 == 0 };
                }
        }
        /* Ten control pairs each: right every time but the coin (half) and the left-chooser. */
        for (int g = 0; g < 10; g++)
                for (uint32_t k = 0; k < R; k++)
                        v[n++] = (struct quality_vote){ .unit = 1000 + g,
                                                        .rater = k,
                                                        .gold = true,
                                                        .gold_correct = k < 3 || g % 2,
                                                        .seconds = k == 0 ? 30 : -1 };
        struct quality_rater r[R];
        REQUIRE(quality_raters(v, n, R, r) == 0);
        CHECK_INT(r[0].votes, N);
        CHECK_INT(r[0].gold_seen, 10);
        CHECK_INT(r[0].gold_correct, 10);
        CHECK_INT(r[3].gold_correct, 5);
        CHECK_INT(r[4].left, N);
        CHECK_INT(r[4].decided, N);
        CHECK_NEAR(r[3].median_seconds, 2, 0);
        CHECK_NEAR(r[0].median_seconds, 23, 0); /* 200 times 20..26 and ten 30s */
        CHECK_INT(r[3].flags, 4);
        double agree[R];
        for (int k = 0; k < R; k++)
                agree[k] = (double)r[k].agree_match / (double)r[k].agree_n;
        CHECK(agree[0] > 0.9);
        CHECK(agree[1] > 0.8 && agree[2] > 0.8);
        CHECK(agree[3] > 0.35 && agree[3] < 0.65);
        CHECK(agree[4] > 0.35 && agree[4] < 0.65);
        /* Weights: the good raters keep theirs, the coin and the left-chooser lose theirs. */
        CHECK(r[0].weight > 0.95);
        CHECK_NEAR(r[1].accuracy, 0.9, 0.05);
        CHECK_NEAR(r[3].accuracy, 0.5, 0.07);
        CHECK(r[1].weight > 0.6 && r[2].weight > 0.6);
        CHECK(r[3].weight < 0.3);
        CHECK(r[4].weight < 0.3);
        /* Little evidence: close to 1. */
        struct quality_vote few[2] = { { .unit = 1, .rater = 0, .value = 1, .seconds = -1 },
                                       { .unit = 1, .rater = 1, .value = 2, .seconds = -1 } };
        REQUIRE(quality_raters(few, 2, 2, r) == 0);
        CHECK_INT(r[0].agree_n, 1);
        CHECK_NEAR(r[0].weight, 10.0 / 11.0, 1e-12); /* one mismatch against a prior of ten */
        CHECK(isnan(r[0].median_seconds));
}

/*
 * Bad raters in the majority: two raters right nine times in ten, three who always choose the
 * worse answer and a coin, six votes on each of 300 comparisons, ten control pairs each. Plain
 * agreement rewards the colluders; weighing the consensus by the control pairs does not.
 */
static void test_colluding_majority(void)
{
        enum { N = 300, R = 6, G = 10 };
        static struct quality_vote v[R * (N + G)];
        size_t n = 0;
        rng = 11;
        for (int u = 0; u < N; u++)
                for (uint32_t k = 0; k < R; k++) {
                        int64_t value = k < 2 ? (next() % 10 ? 1 : 2) : k < 5 ? 2 : 1 + next() % 2;
                        v[n++] = (struct quality_vote){
                                .unit = u, .rater = k, .value = value, .seconds = -1
                        };
                }
        for (int g = 0; g < G; g++)
                for (uint32_t k = 0; k < R; k++)
                        v[n++] = (struct quality_vote){ .unit = 1000 + g,
                                                        .rater = k,
                                                        .gold = true,
                                                        .gold_correct = k < 2   ? g != 0
                                                                        : k < 5 ? false
                                                                                : g % 2,
                                                        .seconds = -1 };
        struct quality_rater r[R];
        REQUIRE(quality_raters(v, n, R, r) == 0);
        /* Unweighted, the colluders agree with "the majority" and the good raters do not. */
        CHECK((double)r[2].agree_match / (double)r[2].agree_n > 0.6);
        CHECK((double)r[0].agree_match / (double)r[0].agree_n < 0.2);
        /* Weighted, the good raters carry the consensus. */
        CHECK(r[0].weight > 0.6 && r[1].weight > 0.6);
        CHECK(r[0].accuracy > 0.8 && r[1].accuracy > 0.8);
        CHECK(r[2].accuracy < 0.1);
        CHECK_INT(r[0].evidence, N + G);
        for (int k = 2; k < 5; k++)
                CHECK(r[k].weight < 0.05);
        CHECK(r[5].weight < 0.2);
        /* So the weighted vote of each comparison is right where the plain majority is wrong. */
        int plain_right = 0, weighted_right = 0;
        for (int u = 0; u < N; u++) {
                double w1 = 0, w2 = 0;
                int c1 = 0, c2 = 0;
                for (uint32_t k = 0; k < R; k++) {
                        const struct quality_vote *x = &v[u * R + k];
                        if (x->value == 1) {
                                w1 += r[k].weight;
                                c1++;
                        } else {
                                w2 += r[k].weight;
                                c2++;
                        }
                }
                plain_right += c1 > c2;
                weighted_right += w1 > w2;
        }
        CHECK(plain_right < N / 10);
        CHECK(weighted_right > N * 3 / 4); /* where the good raters agree, at least */
}

/*
 * A careful rater among careless ones (always right, a coin, always left), ten control pairs
 * each: disagreeing with the others must not cost the careful rater their weight.
 */
static void test_careful_among_careless(void)
{
        enum { N = 200, R = 3, G = 10 };
        static struct quality_vote v[R * (N + G)];
        size_t n = 0;
        rng = 5;
        for (int u = 0; u < N; u++) {
                bool lo_left = next() % 2;
                int64_t left = lo_left ? 1 : 2;
                int64_t value[R] = { 1, 1 + next() % 2, left };
                for (uint32_t k = 0; k < R; k++)
                        v[n++] = (struct quality_vote){ .unit = u,
                                                        .rater = k,
                                                        .value = value[k],
                                                        .left = value[k] == left,
                                                        .seconds = -1 };
        }
        for (int g = 0; g < G; g++)
                for (uint32_t k = 0; k < R; k++)
                        v[n++] = (struct quality_vote){ .unit = 1000 + g,
                                                        .rater = k,
                                                        .gold = true,
                                                        .gold_correct = k == 0 || g % 2,
                                                        .seconds = -1 };
        struct quality_rater r[R];
        REQUIRE(quality_raters(v, n, R, r) == 0);
        CHECK(r[0].accuracy > 0.9 && r[0].weight > 0.8);
        CHECK(r[1].weight < 0.25 && r[2].weight < 0.25);
        /* Plain agreement cannot tell them apart. */
        for (int k = 0; k < R; k++)
                CHECK_NEAR((double)r[k].agree_match / (double)r[k].agree_n, 0.5, 0.15);
}

int main(void)
{
        RUN(krippendorff);
        RUN(no_disagreement_possible);
        RUN(simulated_raters);
        RUN(colluding_majority);
        RUN(careful_among_careless);
        T_DONE();
}
