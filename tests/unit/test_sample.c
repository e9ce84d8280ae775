/*
 * test_sample.c - the generator (rng.h) and the draws of sample.h, checked against their
 * distributions: seeds and streams reproduce, rng_below is uniform, Poisson variates by table
 * inversion and by PTRS have the right mean, variance and point masses, the alias method draws
 * each index with its weight's share, and log k! matches lgamma.
 *
 * The draws are seeded, so each check sees one fixed sample; the bounds are 5 standard errors
 * wide and hold for every seed with overwhelming probability.
 */
#include "sample.h"

#include "t.h"

#define N 400000

static void test_rng_streams(void)
{
        struct rng a, b, c;
        rng_seed(&a, 42, 0);
        rng_seed(&b, 42, 0);
        rng_seed(&c, 42, 1);
        int same = 0, differ = 0;
        for (int i = 0; i < 1000; i++) {
                uint64_t x = rng_next(&a), y = rng_next(&b), z = rng_next(&c);
                same += x == y;
                differ += x != z;
        }
        CHECK_INT(same, 1000);   /* a seed and stream reproduce */
        CHECK_INT(differ, 1000); /* another stream is another sequence */
        double lo = 1, hi = 0;
        for (int i = 0; i < N; i++) {
                double u = rng_unif(&a);
                lo = u < lo ? u : lo;
                hi = u > hi ? u : hi;
        }
        CHECK(lo > 0 && hi < 1); /* the open interval */
        CHECK(lo < 1e-4 && hi > 1 - 1e-4);
}

static void test_below(void)
{
        struct rng r;
        rng_seed(&r, 7, 3);
        enum { K = 7 };
        long count[K] = { 0 }, outside = 0;
        for (int i = 0; i < N; i++) {
                uint64_t x = rng_below(&r, K);
                if (x < K)
                        count[x]++;
                else
                        outside++;
        }
        CHECK_INT(outside, 0);
        double e = (double)N / K, sd = sqrt(e * (1 - 1.0 / K));
        for (int k = 0; k < K; k++)
                CHECK(fabs((double)count[k] - e) < 5 * sd);
        CHECK_INT(rng_below(&r, 1), 0);
}

static void test_log_factorial(void)
{
        double worst = 0;
        for (int k = 0; k < 3000; k++) {
                double d = fabs(sample_log_factorial(k) - lgamma(k + 1.0));
                worst = d > worst ? d : worst;
        }
        CHECK(worst < 1e-9);
}

/* Mean, variance and P(X = mode) of n draws, against Poisson(lam)'s. */
static void check_poisson(const char *how, double lam, const uint64_t *x, size_t n)
{
        double sum = 0, ss = 0;
        uint64_t mode = (uint64_t)floor(lam);
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
                sum += (double)x[i];
                at += x[i] == mode;
        }
        double mean = sum / (double)n;
        for (size_t i = 0; i < n; i++)
                ss += ((double)x[i] - mean) * ((double)x[i] - mean);
        double var = ss / (double)(n - 1);
        double p = exp(-lam + (double)mode * log(lam) - lgamma((double)mode + 1));
        bool ok = fabs(mean - lam) < 5 * sqrt(lam / (double)n) &&
                  fabs(var - lam) < 5 * lam * sqrt((2 + 1 / lam) / (double)n) &&
                  fabs((double)at / (double)n - p) < 5 * sqrt(p * (1 - p) / (double)n);
        if (!ok)
                fprintf(stderr, "%s lam %g: mean %g var %g P(%llu) %g (expected %g)\n", how, lam,
                        mean, var, (unsigned long long)mode, (double)at / (double)n, p);
        CHECK(ok);
}

static void test_poisson(void)
{
        static const double lams[] = { 0.3, 3, 9.5, 10, 42, 1000, 250000 };
        static uint64_t x[N];
        double lfact[SAMPLE_LFACT_N];
        for (int i = 0; i < SAMPLE_LFACT_N; i++)
                lfact[i] = sample_log_factorial(i);
        struct rng r;
        rng_seed(&r, 2024, 0);
        for (size_t j = 0; j < sizeof(lams) / sizeof(lams[0]); j++) {
                double lam = lams[j];
                struct sample_poisson c;
                sample_poisson_setup(&c, lam);
                for (size_t i = 0; i < N; i++)
                        x[i] = sample_poisson(&r, &c, lfact);
                check_poisson(lam < 10 ? "inversion" : "PTRS", lam, x, N);

                uint64_t lo;
                size_t len;
                sample_ptable_range(lam, &lo, &len);
                double *cdf = calloc(len, sizeof(*cdf));
                uint32_t *guide = calloc(len, sizeof(*guide));
                REQUIRE(cdf && guide);
                sample_ptable_build(lam, lo, len, cdf, guide);
                CHECK(cdf[len - 1] == 1);
                struct sample_ptable t = { lo, len, cdf, guide };
                for (size_t i = 0; i < N; i++)
                        x[i] = sample_ptable_draw(&r, &t);
                check_poisson("table", lam, x, N);
                free(cdf);
                free(guide);
        }
        struct sample_poisson none;
        sample_poisson_setup(&none, 0);
        CHECK_INT(sample_poisson(&r, &none, lfact), 0);
}

static void test_alias(void)
{
        static const double w[] = { 5, 0, 1, 0.25, 12, 3 };
        enum { K = sizeof(w) / sizeof(w[0]) };
        double prob[K], total = 0;
        uint32_t alias[K], work[2 * K];
        sample_alias_build(w, K, prob, alias, work);
        for (int k = 0; k < K; k++)
                total += w[k];
        struct rng r;
        rng_seed(&r, 99, 5);
        long count[K] = { 0 }, outside = 0;
        for (int i = 0; i < N; i++) {
                size_t k = sample_alias_draw(&r, prob, alias, K);
                if (k < K)
                        count[k]++;
                else
                        outside++;
        }
        CHECK_INT(outside, 0);
        for (int k = 0; k < K; k++) {
                double p = w[k] / total, e = p * N;
                CHECK(fabs((double)count[k] - e) <= 5 * sqrt(e * (1 - p)) + (p == 0 ? 0 : 1));
        }
        CHECK_INT(count[1], 0); /* a weight of 0 is never drawn */
        CHECK_INT(count[3] > 0, 1);
}

int main(void)
{
        RUN(rng_streams);
        RUN(below);
        RUN(log_factorial);
        RUN(poisson);
        RUN(alias);
        T_DONE();
}
