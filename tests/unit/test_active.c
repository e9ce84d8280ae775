/*
 * test_active.c - the weights of active sampling (active.c) on fits of known data: a well
 * measured pair gains less than a barely measured one, a far-apart pair less than a close one,
 * a pair never compared (another component) comes first, the floor and the sum hold, the draw
 * follows the weights, invalid input.
 */
#include "active.h"
#include "rank.h"
#include "t.h"

static struct rank_result fit(size_t n, const struct rank_pair *p, size_t np)
{
        struct rank_opts o;
        rank_opts_default(&o);
        o.covariance = true;
        o.ci = RANK_CI_NONE;
        struct rank_result r;
        char err[200];
        if (rank_fit(n, p, np, &o, &r, err, sizeof(err)) != 0)
                memset(&r, 0, sizeof(r));
        return r;
}

static double wsum(const double *w, size_t n)
{
        double s = 0;
        for (size_t i = 0; i < n; i++)
                s += w[i];
        return s;
}

/* Four close models in a cycle; pair 0-1 has 400 votes, 2-3 has 8: 2-3 gains more. */
static void test_measured_less(void)
{
        struct rank_pair p[] = { { 0, 1, 210, 190, 0, 0 },
                                 { 1, 2, 20, 18, 0, 0 },
                                 { 2, 3, 4, 4, 0, 0 },
                                 { 3, 0, 18, 20, 0, 0 } };
        struct rank_result r = fit(4, p, 4);
        REQUIRE(r.cov != NULL);
        struct active_pair c[] = { { 0, 1 }, { 2, 3 } };
        double w[2];
        REQUIRE(active_weights(&r, c, 2, 0, 1, w) == 0);
        CHECK(w[1] > 2 * w[0]);
        CHECK(fabs(wsum(w, 2) - 1) < 1e-12);
        /* the floor: every pair keeps floor / npairs */
        REQUIRE(active_weights(&r, c, 2, 0.5, 8, w) == 0);
        CHECK(w[0] >= 0.25 - 1e-12 && w[1] >= 0.25 - 1e-12);
        CHECK(fabs(wsum(w, 2) - 1) < 1e-12);
        /* floor 1: uniform */
        REQUIRE(active_weights(&r, c, 2, 1, 8, w) == 0);
        CHECK(fabs(w[0] - 0.5) < 1e-12 && fabs(w[1] - 0.5) < 1e-12);
        rank_result_fini(&r);
}

/* Equal votes on every pair; models 0, 1, 2 close (2 lowest), model 3 far below: the far pair 0-3
 * gains less than 2-3, the adjacent one. */
static void test_far_less(void)
{
        struct rank_pair p[] = { { 0, 1, 26, 24, 0, 0 }, { 0, 2, 27, 23, 0, 0 },
                                 { 1, 2, 26, 24, 0, 0 }, { 0, 3, 49, 1, 0, 0 },
                                 { 1, 3, 49, 1, 0, 0 },  { 2, 3, 48, 2, 0, 0 } };
        struct rank_result r = fit(4, p, 6);
        REQUIRE(r.cov != NULL);
        struct active_pair c[] = { { 2, 3 }, { 0, 3 } };
        double w[2];
        REQUIRE(active_weights(&r, c, 2, 0, 1, w) == 0);
        CHECK(w[0] > w[1]);
        rank_result_fini(&r);
}

/* Models 2 and 3 never voted on: pair 2-3 comes first, well ahead of 0-1. */
static void test_unknown_first(void)
{
        struct rank_pair p[] = { { 0, 1, 120, 80, 0, 0 } };
        struct rank_result r = fit(4, p, 1);
        REQUIRE(r.cov != NULL);
        struct active_pair c[] = { { 0, 1 }, { 2, 3 }, { 1, 2 } };
        double w[3];
        REQUIRE(active_weights(&r, c, 3, ACTIVE_FLOOR, ACTIVE_POWER, w) == 0);
        CHECK(w[1] > 0.4 && w[2] > 0.4);
        CHECK(w[0] < 0.05);
        CHECK(w[0] >= ACTIVE_FLOOR / 3 - 1e-12);
        CHECK(fabs(wsum(w, 3) - 1) < 1e-12);
        rank_result_fini(&r);
}

static void test_draw(void)
{
        double w[] = { 0.1, 0.6, 0.3 }, cum[3];
        active_cumulate(w, 3, cum);
        CHECK(cum[2] == 1);
        CHECK(active_draw(cum, 3, 0) == 0);
        CHECK(active_draw(cum, 3, 0.0999) == 0);
        CHECK(active_draw(cum, 3, 0.1001) == 1);
        CHECK(active_draw(cum, 3, 0.6999) == 1);
        CHECK(active_draw(cum, 3, 0.7001) == 2);
        CHECK(active_draw(cum, 3, 0.9999999) == 2);
}

static void test_invalid(void)
{
        struct rank_pair p[] = { { 0, 1, 12, 8, 0, 0 } };
        struct rank_result r = fit(2, p, 1);
        REQUIRE(r.cov != NULL);
        double w[1];
        CHECK(active_weights(&r, (struct active_pair[]){ { 0, 2 } }, 1, 0.1, 1, w) == -1);
        CHECK(active_weights(&r, (struct active_pair[]){ { 1, 1 } }, 1, 0.1, 1, w) == -1);
        CHECK(active_weights(&r, (struct active_pair[]){ { 0, 1 } }, 0, 0.1, 1, w) == -1);
        CHECK(active_weights(&r, (struct active_pair[]){ { 0, 1 } }, 1, 1.5, 1, w) == -1);
        CHECK(active_weights(&r, (struct active_pair[]){ { 0, 1 } }, 1, 0.1, 0, w) == -1);
        CHECK(active_weights(NULL, (struct active_pair[]){ { 0, 1 } }, 1, 0.1, 1, w) == -1);
        rank_result_fini(&r);
        struct rank_opts o;
        rank_opts_default(&o);
        char err[100];
        REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof(err)) == 0);
        CHECK(active_weights(&r, (struct active_pair[]){ { 0, 1 } }, 1, 0.1, 1, w) == -1);
        rank_result_fini(&r);
}

int main(void)
{
        RUN(measured_less);
        RUN(far_less);
        RUN(unknown_first);
        RUN(draw);
        RUN(invalid);
        T_DONE();
}
