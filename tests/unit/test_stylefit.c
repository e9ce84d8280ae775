/*
 * test_stylefit.c - stylefit.c against an independent computation (tests/unit/stylefit_ref.py:
 * the arena's method written with numpy and scipy, run with Debian's /usr/bin/python3) on votes
 * with a planted length bias, and the documented conventions: the bias is found and removed,
 * weights act as counts, bootstrap intervals agree with the sandwich and do not depend on the
 * number of threads, constant features are left out, the anchor, invalid input.
 *
 * Run from the repository root.
 */
#define _POSIX_C_SOURCE 200809L

#include "stylefit.h"
#include "rank.h"
#include "t.h"

#include <jansson.h>
#include <unistd.h>

#define NM     8
#define NVOTES 6000
#define K_ELO  (400 / 2.302585092994045684)
#define REF    "/usr/bin/python3 tests/unit/stylefit_ref.py "

/* true strengths; model 7 is weak but writes three times as long */
static const double truth[NM] = { 0.6, 0.4, 0.2, 0.1, -0.1, -0.2, -0.4, -0.3 };
static const double length_bias = 1.2; /* log-odds per unit of (la - lb) / (la + lb + 1) */

static uint64_t state = 77;

static double unif(void)
{
        uint64_t z = (state += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return ((double)((z ^ (z >> 31)) >> 11) + 0.5) * 0x1.0p-53;
}

static void answer(uint32_t model, float *f)
{
        double mean = model == 7 ? 1800 : 600;

        f[0] = (float)floor(mean * (0.5 + unif()));
        f[1] = (float)floor(unif() * (model == 3 ? 6 : 2));
        f[2] = (float)floor(unif() * 8);
        f[3] = (float)floor(unif() * 4);
}

static size_t make_votes(struct stylefit_vote *v)
{
        state = 77;
        for (size_t i = 0; i < NVOTES; i++) {
                uint32_t a = (uint32_t)(unif() * NM), b = (uint32_t)(unif() * (NM - 1));
                double d, p, u;

                b += b >= a;
                v[i] = (struct stylefit_vote){ .a = a, .b = b, .weight = 1 };
                answer(a, v[i].fa);
                answer(b, v[i].fb);
                d = (v[i].fa[0] - v[i].fb[0]) / (v[i].fa[0] + v[i].fb[0] + 1);
                p = 1 / (1 + exp(-(truth[a] - truth[b] + length_bias * d)));
                u = unif();
                v[i].outcome = u < 0.1 ? STYLEFIT_TIE : u < 0.1 + 0.9 * p ? STYLEFIT_A : STYLEFIT_B;
        }
        return NVOTES;
}

/* Runs the reference on the votes; NULL when it could not run. */
static json_t *reference(const struct stylefit_vote *v, size_t nv)
{
        char path[] = "/tmp/prefd-stylefit-XXXXXX", cmd[256];
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        json_error_t jerr;
        json_t *out;

        if (!f)
                return NULL;
        for (size_t i = 0; i < nv; i++)
                fprintf(f, "%u,%u,%.1f,%g,%g,%g,%g,%g,%g,%g,%g\n", v[i].a, v[i].b,
                        v[i].outcome == STYLEFIT_A   ? 1.0
                        : v[i].outcome == STYLEFIT_B ? 0.0
                                                     : 0.5,
                        v[i].fa[0], v[i].fa[1], v[i].fa[2], v[i].fa[3], v[i].fb[0], v[i].fb[1],
                        v[i].fb[2], v[i].fb[3]);
        fclose(f);
        snprintf(cmd, sizeof cmd, REF "%s", path);
        f = popen(cmd, "r");
        out = f ? json_loadf(f, 0, &jerr) : NULL;
        if (f && pclose(f) != 0) {
                json_decref(out);
                out = NULL;
        }
        unlink(path);
        return out;
}

static double jnum(json_t *o, const char *key, size_t i)
{
        return json_number_value(json_array_get(json_object_get(o, key), i));
}

static struct rank_opts opts(enum rank_ci ci)
{
        struct rank_opts o;

        rank_opts_default(&o);
        o.ci = ci;
        o.rounds = 200;
        return o;
}

static void test_against_reference(void)
{
        static struct stylefit_vote v[NVOTES];
        size_t nv = make_votes(v);
        struct rank_opts o = opts(RANK_CI_SANDWICH);
        struct stylefit_coef coef[STYLEFIT_FEATURES];
        struct rank_result r;
        char err[256];
        json_t *ref = reference(v, nv);

        REQUIRE(ref != NULL);
        CHECK(json_is_true(json_object_get(ref, "converged")));
        REQUIRE(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == 0);
        CHECK(r.converged);
        CHECK_STR(err, "");
        for (size_t i = 0; i < NM; i++) {
                CHECK_NEAR(r.models[i].theta, jnum(ref, "theta", i), 1e-6);
                CHECK_NEAR(r.models[i].se / K_ELO, jnum(ref, "se_theta", i), 1e-6);
                CHECK_NEAR(r.models[i].rating, 1000 + K_ELO * r.models[i].theta, 1e-9);
        }
        for (size_t j = 0; j < STYLEFIT_FEATURES; j++) {
                CHECK(!coef[j].constant);
                CHECK_NEAR(coef[j].beta, jnum(ref, "beta", j), 1e-6);
                CHECK_NEAR(coef[j].se, jnum(ref, "se_beta", j), 1e-6);
                CHECK_NEAR(coef[j].ci_high - coef[j].beta, 1.959964 * coef[j].se, 1e-5);
        }
        json_decref(ref);
        rank_result_fini(&r);
}

/* The planted bias is found, and taking it out moves the verbose model down. */
static void test_length_bias(void)
{
        static struct stylefit_vote v[NVOTES];
        size_t nv = make_votes(v);
        struct rank_opts o = opts(RANK_CI_SANDWICH);
        struct stylefit_coef coef[STYLEFIT_FEATURES];
        struct rank_result r, plain;
        struct rank_pair pairs[NVOTES];
        char err[256];

        REQUIRE(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == 0);
        CHECK(coef[0].ci_low > 0.1); /* length helps, clearly */
        for (int j = 1; j < STYLEFIT_FEATURES; j++)
                CHECK(coef[j].ci_low < 0 && coef[j].ci_high > 0); /* nothing planted there */
        for (size_t i = 0; i < nv; i++)
                pairs[i] = (struct rank_pair){ .a = v[i].a,
                                               .b = v[i].b,
                                               .a_wins = v[i].outcome == STYLEFIT_A,
                                               .b_wins = v[i].outcome == STYLEFIT_B,
                                               .ties = v[i].outcome == STYLEFIT_TIE };
        REQUIRE(rank_fit(NM, pairs, nv, &o, &plain, err, sizeof err) == 0);
        /* plain: the verbose model 7 passes the true -0.1 .. -0.2 models; controlled: it does not
         */
        CHECK(plain.models[7].theta > plain.models[5].theta);
        CHECK(r.models[7].theta < r.models[5].theta);
        CHECK(r.models[7].theta < plain.models[7].theta - 0.25);
        /* the others stay close to the truth (centred) */
        for (size_t i = 0; i < NM; i++)
                CHECK(fabs(r.models[i].theta - truth[i]) < 0.15);
        /* counts are the input counts */
        double n = 0;
        for (size_t i = 0; i < NM; i++)
                n += r.models[i].n;
        CHECK_NEAR(n, 2.0 * NVOTES, 1e-9);
        rank_result_fini(&r);
        rank_result_fini(&plain);
}

/* Weights count like repeated votes: every weight 2 is every vote twice. */
static void test_weights(void)
{
        static struct stylefit_vote v[NVOTES], v2[2 * NVOTES];
        size_t nv = make_votes(v);
        struct rank_opts o = opts(RANK_CI_SANDWICH);
        struct stylefit_coef c1[STYLEFIT_FEATURES], c2[STYLEFIT_FEATURES];
        struct rank_result r1, r2;
        char err[256];

        for (size_t i = 0; i < nv; i++) {
                v2[2 * i] = v2[2 * i + 1] = v[i];
                v[i].weight = 2;
        }
        REQUIRE(stylefit_fit(NM, v, nv, &o, &r1, c1, err, sizeof err) == 0);
        REQUIRE(stylefit_fit(NM, v2, 2 * nv, &o, &r2, c2, err, sizeof err) == 0);
        for (size_t i = 0; i < NM; i++) {
                CHECK_NEAR(r1.models[i].rating, r2.models[i].rating, 1e-7);
                CHECK_NEAR(r1.models[i].se, r2.models[i].se, 1e-7);
        }
        for (size_t j = 0; j < STYLEFIT_FEATURES; j++)
                CHECK_NEAR(c1[j].beta, c2[j].beta, 1e-9);
        rank_result_fini(&r1);
        rank_result_fini(&r2);
}

static void test_bootstrap(void)
{
        static struct stylefit_vote v[NVOTES];
        size_t nv = make_votes(v);
        struct rank_opts o = opts(RANK_CI_SANDWICH);
        struct stylefit_coef cs[STYLEFIT_FEATURES], c1[STYLEFIT_FEATURES], c2[STYLEFIT_FEATURES];
        struct rank_result rs, r1, r2;
        char err[256];

        REQUIRE(stylefit_fit(NM, v, nv, &o, &rs, cs, err, sizeof err) == 0);
        o.ci = RANK_CI_BOOTSTRAP;
        o.threads = 1;
        REQUIRE(stylefit_fit(NM, v, nv, &o, &r1, c1, err, sizeof err) == 0);
        o.threads = 2;
        REQUIRE(stylefit_fit(NM, v, nv, &o, &r2, c2, err, sizeof err) == 0);
        CHECK(r1.converged && r1.rounds == 200 && r1.rounds_failed == 0);
        for (size_t i = 0; i < NM; i++) {
                CHECK(memcmp(&r1.models[i].ci_low, &r2.models[i].ci_low, sizeof(double)) == 0);
                CHECK(memcmp(&r1.models[i].ci_high, &r2.models[i].ci_high, sizeof(double)) == 0);
                CHECK(r1.models[i].rating == rs.models[i].rating);
                CHECK(r1.models[i].se / rs.models[i].se > 0.75 &&
                      r1.models[i].se / rs.models[i].se < 1.33);
        }
        for (size_t j = 0; j < STYLEFIT_FEATURES; j++) {
                CHECK(c1[j].ci_low < c1[j].beta && c1[j].beta < c1[j].ci_high);
                CHECK(c1[j].se / cs[j].se > 0.75 && c1[j].se / cs[j].se < 1.33);
        }
        rank_result_fini(&rs);
        rank_result_fini(&r1);
        rank_result_fini(&r2);
}

/* A feature nobody varies is left out; the anchor shifts its component; a model with no vote is
 * isolated; invalid input is refused. */
static void test_conventions(void)
{
        static struct stylefit_vote v[NVOTES];
        size_t nv = make_votes(v);
        struct rank_opts o = opts(RANK_CI_SANDWICH);
        struct stylefit_coef coef[STYLEFIT_FEATURES], c0[STYLEFIT_FEATURES];
        struct rank_result r, ra;
        char err[256];

        for (size_t i = 0; i < nv; i++)
                v[i].fa[1] = v[i].fb[1] = 3; /* the same headers everywhere */
        REQUIRE(stylefit_fit(NM + 1, v, nv, &o, &r, coef, err, sizeof err) == 0);
        CHECK(coef[1].constant && coef[1].beta == 0 && coef[1].se == 0);
        CHECK(!coef[0].constant);
        CHECK(r.models[NM].flags & RANK_FLAG_ISOLATED);
        CHECK(r.models[NM].rating == 1000 && r.models[NM].se == 0);
        CHECK_INT(r.components, 2);
        o.anchor = 2;
        o.anchor_rating = 1200;
        REQUIRE(stylefit_fit(NM + 1, v, nv, &o, &ra, c0, err, sizeof err) == 0);
        CHECK(ra.models[2].rating == 1200 && (ra.models[2].flags & RANK_FLAG_ANCHOR));
        for (size_t i = 0; i < NM; i++)
                CHECK_NEAR(ra.models[i].rating - 1200, r.models[i].rating - r.models[2].rating,
                           1e-9);
        CHECK_NEAR(c0[0].beta, coef[0].beta, 1e-12);
        rank_result_fini(&r);
        rank_result_fini(&ra);

        o.anchor = -1;
        o.ties = RANK_TIES_DAVIDSON;
        CHECK(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == -1);
        CHECK(strstr(err, "ties") != NULL);
        o.ties = RANK_TIES_HALF;
        v[3].b = v[3].a;
        CHECK(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == -1);
        v[3].b = (v[3].a + 1) % NM;
        v[4].fa[0] = -1;
        CHECK(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == -1);
        v[4].fa[0] = 1;
        v[5].weight = 0;
        CHECK(stylefit_fit(NM, v, nv, &o, &r, coef, err, sizeof err) == -1);
        CHECK(r.models == NULL);
        /* no votes at all: every model isolated */
        REQUIRE(stylefit_fit(3, v, 0, &o, &r, coef, err, sizeof err) == 0);
        CHECK_INT(r.components, 3);
        CHECK(r.models[1].rating == 1000);
        rank_result_fini(&r);
}

int main(void)
{
        RUN(against_reference);
        RUN(length_bias);
        RUN(weights);
        RUN(bootstrap);
        RUN(conventions);
        T_DONE();
}
