/*
 * test_rank.c - rank.c against independent reference values (evalica's goldens, the Wikipedia
 * example, R BradleyTerry2 on the Vicuna80 votes), closed-form cases, and the documented
 * conventions (gauge, ties, components, prior, intervals, bootstrap determinism, validation).
 *
 * Run from the repository root: fixtures are opened as tests/fixtures/bt/... and
 * tests/data/vicuna80/votes.jsonl.
 */
#define _POSIX_C_SOURCE 200809L

#include "rank.h"
#include "t.h"

#include <jansson.h>

#define FIXTURES "tests/fixtures/bt/"
#define VOTES    "tests/data/vicuna80/votes.jsonl"
#define MAXN     64
#define K_ELO    (400 / 2.302585092994045684) /* rating points per natural-log unit */

/* ---- helpers ---- */

struct names {
        size_t n;
        char name[MAXN][64];
};

static uint32_t name_index(struct names *nm, const char *s)
{
        for (size_t i = 0; i < nm->n; i++)
                if (strcmp(nm->name[i], s) == 0)
                        return (uint32_t)i;
        if (nm->n == MAXN)
                abort();
        snprintf(nm->name[nm->n], sizeof nm->name[0], "%s", s);
        return (uint32_t)nm->n++;
}

static long name_find(const struct names *nm, const char *s)
{
        for (size_t i = 0; i < nm->n; i++)
                if (strcmp(nm->name[i], s) == 0)
                        return (long)i;
        return -1;
}

/* evalica's comparison files: left,right,winner with winner in left|right|tie; one rank_pair
 * per line. Returns the number of pairs, or -1. */
static long load_outcomes(const char *path, struct names *nm, struct rank_pair *out, size_t cap)
{
        FILE *f = fopen(path, "r");
        char line[256];
        long np = 0;

        if (!f)
                return -1;
        if (!fgets(line, sizeof line, f)) {
                fclose(f);
                return -1;
        }
        while (fgets(line, sizeof line, f) && (size_t)np < cap) {
                char a[64], b[64], w[64];
                struct rank_pair *p = &out[np];

                line[strcspn(line, "\r\n")] = '\0';
                if (sscanf(line, "%63[^,],%63[^,],%63s", a, b, w) != 3)
                        continue;
                memset(p, 0, sizeof *p);
                p->a = name_index(nm, a);
                p->b = name_index(nm, b);
                if (strcmp(w, "left") == 0)
                        p->a_wins = 1;
                else if (strcmp(w, "right") == 0)
                        p->b_wins = 1;
                else
                        p->ties = 1;
                np++;
        }
        fclose(f);
        return np;
}

/* evalica's golden file: algorithm,item,score. Fills score[index of item] for `algorithm`;
 * returns how many were found. */
static size_t load_golden(const char *path, const char *algorithm, const struct names *nm,
                          double *score)
{
        FILE *f = fopen(path, "r");
        char line[256];
        size_t found = 0;

        if (!f)
                return 0;
        while (fgets(line, sizeof line, f)) {
                char alg[64], item[64];
                double v;
                long i;

                if (sscanf(line, "%63[^,],%63[^,],%lf", alg, item, &v) != 3)
                        continue;
                if (strcmp(alg, algorithm) != 0 || (i = name_find(nm, item)) < 0)
                        continue;
                score[i] = v;
                found++;
        }
        fclose(f);
        return found;
}

/* The Vicuna80 votes, one rank_pair per vote, parsed with jansson. */
static long load_votes(struct names *nm, struct rank_pair *out, size_t cap)
{
        FILE *f = fopen(VOTES, "r");
        char line[1024];
        long np = 0;

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f) && (size_t)np < cap) {
                json_error_t e;
                json_t *j = json_loads(line, 0, &e);
                const char *a, *b, *w;
                struct rank_pair *p = &out[np];

                if (!j)
                        continue;
                a = json_string_value(json_object_get(j, "model_a"));
                b = json_string_value(json_object_get(j, "model_b"));
                w = json_string_value(json_object_get(j, "winner"));
                if (a && b && w) {
                        memset(p, 0, sizeof *p);
                        p->a = name_index(nm, a);
                        p->b = name_index(nm, b);
                        if (strcmp(w, "model_a") == 0)
                                p->a_wins = 1;
                        else if (strcmp(w, "model_b") == 0)
                                p->b_wins = 1;
                        else
                                p->ties = 1;
                        np++;
                }
                json_decref(j);
        }
        fclose(f);
        return np;
}

static struct rank_pair *alloc_pairs(size_t count)
{
        struct rank_pair *p = calloc(count, sizeof *p);

        if (!p)
                abort();
        return p;
}

static struct rank_pair mk(uint32_t a, uint32_t b, double aw, double bw, double t, double bb)
{
        struct rank_pair p = { a, b, aw, bw, t, bb };

        return p;
}

static struct rank_opts opts_ci(enum rank_ci ci)
{
        struct rank_opts o;

        rank_opts_default(&o);
        o.ci = ci;
        return o;
}

/* The gradient of the half-tie log-likelihood with respect to theta_i, at the result. */
static double half_score(const struct rank_pair *p, size_t np, const struct rank_result *r,
                         size_t i)
{
        double g = 0;

        for (size_t k = 0; k < np; k++) {
                double n = p[k].a_wins + p[k].b_wins + p[k].ties + p[k].both_bad;
                double ya = p[k].a_wins + 0.5 * (p[k].ties + p[k].both_bad);
                double q = 1 / (1 + exp(r->models[p[k].b].theta - r->models[p[k].a].theta));

                if (p[k].a == i)
                        g += ya - n * q;
                else if (p[k].b == i)
                        g -= ya - n * q;
        }
        return g;
}

/* ---- reference values ---- */

/* evalica's goldens: `bradley_terry` (a tie half a win each way, strengths normalised to sum 1)
 * and `newman` (the Davidson model; scores at its iteration's own scale), compared after
 * normalising both to sum 1. evalica stops its iterations on a tolerance, but these goldens agree
 * with the exact MLE to ~1e-15, so the tolerance here is 1e-9 relative. */
static void check_evalica(const char *data, const char *golden, const char *algorithm,
                          enum rank_ties ties)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(256);
        long np = load_outcomes(data, &nm, p, 256);
        double want[MAXN] = { 0 }, sum = 0;
        struct rank_opts o = opts_ci(RANK_CI_NONE);
        struct rank_result r;
        char err[256];

        o.ties = ties;
        REQUIRE(np > 0);
        REQUIRE(load_golden(golden, algorithm, &nm, want) == nm.n);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r, err, sizeof err) == 0);
        CHECK(r.converged);
        CHECK(r.iterations > 0 && r.iterations < 30);
        CHECK_INT(r.components, 1);
        for (size_t i = 0; i < nm.n; i++)
                sum += exp(r.models[i].theta);
        {
                double wsum = 0;

                for (size_t i = 0; i < nm.n; i++)
                        wsum += want[i];
                for (size_t i = 0; i < nm.n; i++)
                        CHECK_NEAR(exp(r.models[i].theta) / sum / (want[i] / wsum), 1, 1e-9);
        }
        rank_result_fini(&r);
        free(p);
}

static void test_evalica_bradley_terry(void)
{
        check_evalica(FIXTURES "simple.csv", FIXTURES "simple-golden.csv", "bradley_terry",
                      RANK_TIES_HALF);
        check_evalica(FIXTURES "food.csv", FIXTURES "food-golden.csv", "bradley_terry",
                      RANK_TIES_HALF);
}

static void test_evalica_newman(void)
{
        check_evalica(FIXTURES "simple.csv", FIXTURES "simple-golden.csv", "newman",
                      RANK_TIES_DAVIDSON);
        check_evalica(FIXTURES "food.csv", FIXTURES "food-golden.csv", "newman",
                      RANK_TIES_DAVIDSON);
}

/* Our Davidson fit is a fixed point of evalica's newman iteration (src/bradley_terry.rs) with
 * its v = nu / 2: one step of that iteration, written out here, leaves scores and v unchanged. */
static void test_newman_fixed_point(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(256);
        long np = load_outcomes(FIXTURES "simple.csv", &nm, p, 256);
        double wm[MAXN][MAXN] = { { 0 } }, tm[MAXN][MAXN] = { { 0 } }, s[MAXN], v;
        double vnum = 0, vden = 0;
        struct rank_opts o = opts_ci(RANK_CI_NONE);
        struct rank_result r;
        char err[256];

        o.ties = RANK_TIES_DAVIDSON;
        REQUIRE(np > 0);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r, err, sizeof err) == 0);
        for (long k = 0; k < np; k++) {
                wm[p[k].a][p[k].b] += p[k].a_wins;
                wm[p[k].b][p[k].a] += p[k].b_wins;
                tm[p[k].a][p[k].b] += p[k].ties;
                tm[p[k].b][p[k].a] += p[k].ties;
        }
        for (size_t i = 0; i < nm.n; i++)
                s[i] = exp(r.models[i].theta);
        v = r.tie_strength / 2;
        for (size_t i = 0; i < nm.n; i++) {
                double num = 0, den = 0;

                for (size_t j = 0; j < nm.n; j++) {
                        double d = s[i] + s[j] + 2 * v * sqrt(s[i] * s[j]);
                        double wt = wm[i][j] + 0.5 * tm[i][j], wtt = wm[j][i] + 0.5 * tm[j][i];

                        num += wt * (s[j] + v * sqrt(s[i] * s[j])) / d;
                        den += wtt * (1 + v * sqrt(s[j] / s[i])) / d;
                        vnum += tm[i][j] * (s[i] + s[j]) / d;
                        vden += wm[i][j] * sqrt(s[i] * s[j]) / d;
                }
                CHECK_NEAR(num / den / s[i], 1, 1e-9);
        }
        CHECK_NEAR((vnum / 2) / (vden * 2) / v, 1, 1e-9);
        /* evalica's own test expects v = 3.46097 after its 100-iteration limit; the MLE is
         * 3.46100 */
        CHECK_NEAR(v, 3.461, 1e-4);
        rank_result_fini(&r);
        free(p);
}

/* Wikipedia's four-team example: geometric-mean-1 strengths A 0.640, B 1.043, C 0.660,
 * D 2.270 to three decimals. */
static void test_wikipedia(void)
{
        FILE *f = fopen(FIXTURES "wikipedia.csv", "r");
        struct names nm = { 0 };
        struct rank_pair p[8];
        const char *team[4] = { "A", "B", "C", "D" };
        const double want[4] = { 0.640, 1.043, 0.660, 2.270 };
        struct rank_result r;
        char line[256], err[256];
        size_t np = 0;

        REQUIRE(f != NULL);
        for (int i = 0; i < 4; i++)
                name_index(&nm, team[i]);
        REQUIRE(fgets(line, sizeof line, f) != NULL);
        while (np < 8 && fgets(line, sizeof line, f)) {
                char a[16], b[16];
                double aw, bw;

                if (sscanf(line, "%15[^,],%15[^,],%lf,%lf", a, b, &aw, &bw) != 4)
                        continue;
                p[np++] = mk(name_index(&nm, a), name_index(&nm, b), aw, bw, 0, 0);
        }
        fclose(f);
        REQUIRE(np == 4);
        REQUIRE(rank_fit(4, p, np, NULL, &r, err, sizeof err) == 0);
        for (int i = 0; i < 4; i++)
                CHECK_NEAR(exp(r.models[i].theta), want[i], 0.0005);
        rank_result_fini(&r);
}

/* R BradleyTerry2 1.1-2 on the Vicuna80 votes, ties half a win each way. */
static void test_vicuna80_bradleyterry2(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        FILE *f = fopen(FIXTURES "vicuna80-bradleyterry2.csv", "r");
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r, ra;
        char line[256], err[256];
        int rows = 0;

        REQUIRE(np == 7040);
        REQUIRE(nm.n == 9);
        REQUIRE(f != NULL);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r, err, sizeof err) == 0);
        o.anchor = name_find(&nm, "bard");
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &ra, err, sizeof err) == 0);
        CHECK(r.converged);
        CHECK(r.iterations >= 2 && r.iterations <= 10);
        CHECK_NEAR(r.counted, 7040, 0);
        REQUIRE(fgets(line, sizeof line, f) != NULL);
        while (fgets(line, sizeof line, f)) {
                char model[64];
                double theta, rating, se;
                long i;

                if (sscanf(line, "%63[^,],%lf,%lf,%lf", model, &theta, &rating, &se) != 4)
                        continue;
                i = name_find(&nm, model);
                REQUIRE(i >= 0);
                rows++;
                CHECK_NEAR(r.models[i].theta, theta, 1e-7);
                CHECK_NEAR(r.models[i].rating, rating, 0.01);
                CHECK_NEAR(r.models[i].rating, rating, 1e-4);
                /* BradleyTerry2's se is relative to bard: our anchor gauge */
                CHECK_NEAR(ra.models[i].se_model / K_ELO, se, 2e-7);
                CHECK_NEAR(ra.models[i].rating - ra.models[o.anchor].rating,
                           r.models[i].rating - r.models[o.anchor].rating, 1e-9);
        }
        fclose(f);
        CHECK_INT(rows, 9);
        rank_result_fini(&r);
        rank_result_fini(&ra);
        free(p);
}

/* ---- conventions ---- */

static void test_anchor(void)
{
        struct rank_pair p[] = {
                mk(0, 1, 30, 10, 5, 0),
                mk(1, 2, 20, 15, 5, 0),
                mk(0, 2, 25, 5, 0, 0),
                mk(2, 3, 12, 11, 2, 0),
        };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r0, r1;
        char err[256];
        double mean = 0;

        REQUIRE(rank_fit(4, p, ARRAY_LEN(p), &o, &r0, err, sizeof err) == 0);
        o.anchor = 2;
        o.anchor_rating = 1200;
        REQUIRE(rank_fit(4, p, ARRAY_LEN(p), &o, &r1, err, sizeof err) == 0);
        for (int i = 0; i < 4; i++)
                mean += r0.models[i].theta / 4;
        CHECK_NEAR(mean, 0, 1e-12);
        CHECK_NEAR(r0.models[0].rating, 1000 + K_ELO * r0.models[0].theta, 1e-9);
        CHECK(r1.models[2].rating == 1200);
        CHECK(r1.models[2].theta == 0);
        CHECK(r1.models[2].flags & RANK_FLAG_ANCHOR);
        CHECK(!(r0.models[2].flags & RANK_FLAG_ANCHOR));
        CHECK_NEAR(r1.models[2].se, 0, 1e-12);
        CHECK_NEAR(r1.models[2].se_model, 0, 1e-12);
        CHECK(r1.models[2].ci_low == 1200 && r1.models[2].ci_high == 1200);
        for (int i = 0; i < 4; i++) {
                CHECK_NEAR(r1.models[i].rating - 1200, r0.models[i].rating - r0.models[2].rating,
                           1e-9);
                CHECK_NEAR(r1.models[i].ci_high - r1.models[i].rating, 1.959964 * r1.models[i].se,
                           1e-4);
        }
        /* the anchor is the reference: the other SEs grow (they now include the anchor's) */
        CHECK(r1.models[0].se_model > r0.models[0].se_model);
        rank_result_fini(&r0);
        rank_result_fini(&r1);
}

static void test_ties_modes(void)
{
        struct rank_pair p[] = {
                mk(0, 1, 10, 4, 8, 0),
                mk(1, 2, 6, 5, 12, 0),
                mk(0, 2, 9, 3, 1, 0),
        };
        struct rank_pair half[3], none[3];
        struct rank_opts o = opts_ci(RANK_CI_NONE);
        struct rank_result rh, rx, rh2, rx2;
        char err[256];

        for (int k = 0; k < 3; k++) {
                half[k] = mk(p[k].a, p[k].b, p[k].a_wins + p[k].ties / 2,
                             p[k].b_wins + p[k].ties / 2, 0, 0);
                none[k] = mk(p[k].a, p[k].b, p[k].a_wins, p[k].b_wins, 0, 0);
        }
        REQUIRE(rank_fit(3, p, 3, &o, &rh, err, sizeof err) == 0);
        REQUIRE(rank_fit(3, half, 3, &o, &rh2, err, sizeof err) == 0);
        o.ties = RANK_TIES_EXCLUDE;
        REQUIRE(rank_fit(3, p, 3, &o, &rx, err, sizeof err) == 0);
        REQUIRE(rank_fit(3, none, 3, &o, &rx2, err, sizeof err) == 0);
        for (int i = 0; i < 3; i++) {
                CHECK_NEAR(rh.models[i].theta, rh2.models[i].theta, 1e-12);
                CHECK_NEAR(rx.models[i].theta, rx2.models[i].theta, 1e-12);
        }
        /* ties pull the ratings together */
        CHECK(rx.models[0].theta - rx.models[2].theta > rh.models[0].theta - rh.models[2].theta);
        CHECK_NEAR(rh.counted, 58, 0);
        CHECK_NEAR(rx.counted, 37, 0);
        /* raw statistics are the input, whatever is excluded */
        CHECK_NEAR(rx.models[1].ties, 20, 0);
        CHECK_NEAR(rx.models[1].wins, 4 + 6, 0);
        CHECK_NEAR(rx.models[1].losses, 10 + 5, 0);
        CHECK_NEAR(rx.models[1].n, 45, 0);
        rank_result_fini(&rh);
        rank_result_fini(&rx);
        rank_result_fini(&rh2);
        rank_result_fini(&rx2);
}

static void test_both_bad(void)
{
        struct rank_pair p[] = {
                mk(0, 1, 10, 4, 3, 5),
                mk(1, 2, 6, 5, 2, 7),
                mk(0, 2, 9, 3, 1, 2),
        };
        struct rank_pair as_tie[3], dropped[3];
        enum rank_ties modes[] = { RANK_TIES_HALF, RANK_TIES_DAVIDSON };
        char err[256];

        for (int k = 0; k < 3; k++) {
                as_tie[k] =
                    mk(p[k].a, p[k].b, p[k].a_wins, p[k].b_wins, p[k].ties + p[k].both_bad, 0);
                dropped[k] = mk(p[k].a, p[k].b, p[k].a_wins, p[k].b_wins, p[k].ties, 0);
        }
        for (size_t m = 0; m < ARRAY_LEN(modes); m++) {
                struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
                struct rank_result r1, r2, r3, r4;

                o.ties = modes[m];
                REQUIRE(rank_fit(3, p, 3, &o, &r1, err, sizeof err) == 0);
                REQUIRE(rank_fit(3, as_tie, 3, &o, &r2, err, sizeof err) == 0);
                o.both_bad = RANK_BOTH_BAD_EXCLUDE;
                REQUIRE(rank_fit(3, p, 3, &o, &r3, err, sizeof err) == 0);
                REQUIRE(rank_fit(3, dropped, 3, &o, &r4, err, sizeof err) == 0);
                for (int i = 0; i < 3; i++) {
                        CHECK_NEAR(r1.models[i].theta, r2.models[i].theta, 1e-12);
                        CHECK_NEAR(r1.models[i].se, r2.models[i].se, 1e-9);
                        CHECK_NEAR(r3.models[i].theta, r4.models[i].theta, 1e-12);
                        CHECK_NEAR(r3.models[i].se, r4.models[i].se, 1e-9);
                }
                CHECK(fabs(r1.models[0].theta - r3.models[0].theta) > 0.01);
                CHECK_NEAR(r1.tie_strength, r2.tie_strength, 1e-12);
                CHECK_NEAR(r3.models[0].both_bad, 7, 0);
                rank_result_fini(&r1);
                rank_result_fini(&r2);
                rank_result_fini(&r3);
                rank_result_fini(&r4);
        }
}

/* Two components {0, 2, 4} and {1, 3}, plus a pair whose counts are all zero (no edge). */
static void test_disconnected(void)
{
        struct rank_pair p[] = {
                mk(0, 2, 12, 7, 1, 0), mk(2, 4, 9, 9, 2, 0), mk(4, 0, 3, 8, 0, 1),
                mk(1, 3, 20, 5, 0, 0), mk(3, 1, 4, 2, 0, 0), mk(0, 1, 0, 0, 0, 0),
        };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r, ra;
        char err[256];
        double m0 = 0, m1 = 0;

        REQUIRE(rank_fit(5, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        CHECK_INT(r.components, 2);
        CHECK_INT(r.models[0].component, 0);
        CHECK_INT(r.models[2].component, 0);
        CHECK_INT(r.models[4].component, 0);
        CHECK_INT(r.models[1].component, 1);
        CHECK_INT(r.models[3].component, 1);
        m0 = (r.models[0].theta + r.models[2].theta + r.models[4].theta) / 3;
        m1 = (r.models[1].theta + r.models[3].theta) / 2;
        CHECK_NEAR(m0, 0, 1e-12);
        CHECK_NEAR(m1, 0, 1e-12);
        /* component {1, 3}: 22 - 9 in 31 outcomes, so theta_1 - theta_3 = log(22 / 9) */
        CHECK_NEAR(r.models[1].theta - r.models[3].theta, log(22.0 / 9), 1e-9);
        CHECK_NEAR(rank_predict(&r, 0, 1), 0.5, 0);
        CHECK_NEAR(rank_predict(&r, 1, 3), 22.0 / 31, 1e-9);
        /* ranks are per component: each has a rank 1 */
        CHECK_INT(r.models[1].rank, 1);
        CHECK(r.models[0].rank == 1 || r.models[2].rank == 1 || r.models[4].rank == 1);
        for (int i = 0; i < 5; i++)
                CHECK(r.models[i].se > 0 && r.models[i].se_model > 0);
        /* the anchor only moves its own component */
        o.anchor = 3;
        o.anchor_rating = 1500;
        REQUIRE(rank_fit(5, p, ARRAY_LEN(p), &o, &ra, err, sizeof err) == 0);
        CHECK(ra.models[3].rating == 1500);
        CHECK_NEAR(ra.models[1].rating - 1500, r.models[1].rating - r.models[3].rating, 1e-9);
        for (int i = 0; i < 5; i += 2)
                CHECK_NEAR(ra.models[i].rating, r.models[i].rating, 1e-9);
        rank_result_fini(&r);
        rank_result_fini(&ra);
}

/* The covariance of the reported thetas: its diagonal gives se_model; a difference's variance
 * does not depend on the gauge, so the anchored fit's variance of theta_i - theta_anchor must
 * equal var_i + var_a - 2 cov_ia of the centred fit; components do not covary. */
static void test_covariance(void)
{
        struct rank_pair p[] = {
                mk(0, 2, 12, 7, 1, 0), mk(2, 4, 9, 9, 2, 0), mk(4, 0, 3, 8, 0, 1),
                mk(1, 3, 20, 5, 0, 0), mk(3, 1, 4, 2, 0, 0), mk(2, 5, 6, 4, 0, 0),
        };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r, ra;
        char err[256];
        const size_t n = 6;

        o.covariance = true;
        REQUIRE(rank_fit(n, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        REQUIRE(r.cov != NULL);
        o.anchor = 4;
        REQUIRE(rank_fit(n, p, ARRAY_LEN(p), &o, &ra, err, sizeof err) == 0);
        REQUIRE(ra.cov != NULL);
        for (size_t i = 0; i < n; i++) {
                double row = 0;

                CHECK_NEAR(K_ELO * sqrt(r.cov[i * n + i]), r.models[i].se_model, 1e-9);
                CHECK_NEAR(K_ELO * sqrt(ra.cov[i * n + i]), ra.models[i].se_model, 1e-9);
                for (size_t j = 0; j < n; j++) {
                        CHECK_NEAR(r.cov[i * n + j], r.cov[j * n + i], 1e-12);
                        if (r.models[i].component != r.models[j].component)
                                CHECK(r.cov[i * n + j] == 0);
                        else
                                row += r.cov[i * n + j];
                }
                CHECK_NEAR(row, 0, 1e-9); /* centred: each row sums to 0 within its component */
                if (r.models[i].component == r.models[4].component) {
                        double d = r.cov[i * n + i] + r.cov[4 * n + 4] - 2 * r.cov[i * n + 4];

                        CHECK_NEAR(ra.cov[i * n + i], d, 1e-9);
                }
        }
        rank_result_fini(&r);
        rank_result_fini(&ra);
        o.covariance = false;
        REQUIRE(rank_fit(n, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        CHECK(r.cov == NULL);
        rank_result_fini(&r);
}

/* Takes the flip's removals out of p (np pairs, one per vote or aggregated), keeping `keep` of the
 * last cell's outcomes in (keep 0: the whole set). Returns the number of outcomes taken out. */
static double remove_flip(struct rank_pair *p, size_t np, const struct rank_flip *f, double keep)
{
        double removed = 0;

        for (size_t q = 0; q < f->nremovals; q++) {
                const struct rank_removal *rm = &f->removals[q];
                double left = rm->count - (q + 1 == f->nremovals ? keep : 0);

                for (size_t k = 0; k < np && left > 0; k++) {
                        struct rank_pair *x = &p[k];
                        bool same = x->a == rm->a && x->b == rm->b,
                             swapped = x->a == rm->b && x->b == rm->a;
                        double *c = NULL;

                        if (!same && !swapped)
                                continue;
                        if (rm->kind == 2)
                                c = x->ties > 0 ? &x->ties : &x->both_bad;
                        else if ((rm->kind == 0) == same)
                                c = &x->a_wins;
                        else
                                c = &x->b_wins;
                        double take = MIN(*c, left);

                        *c -= take;
                        left -= take;
                        removed += take;
                }
        }
        return removed;
}

/* Fragility on Vicuna80: every flip found is confirmed by an independent refit (rank_fit on the
 * votes without the set: the order is reversed), is minimal along its order (one outcome fewer
 * does not reverse it), and does not depend on the number of threads. */
static void test_fragility(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000), *q = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_NONE);
        struct rank_result r, r1, rq;
        char err[256];
        int found = 0;

        REQUIRE(np == 7040);
        o.robustness = true;
        o.threads = 2;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r, err, sizeof err) == 0);
        o.threads = 1;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r1, err, sizeof err) == 0);
        REQUIRE(r.flips != NULL);
        for (size_t i = 0; i < nm.n; i++) {
                const struct rank_flip *f = &r.flips[i];
                double removed;

                CHECK(f->below == r1.flips[i].below && f->found == r1.flips[i].found &&
                      f->votes == r1.flips[i].votes);
                if (f->below < 0) {
                        /* the lowest rated model only */
                        for (size_t j = 0; j < nm.n; j++)
                                CHECK(r.models[j].theta >= r.models[i].theta);
                        continue;
                }
                CHECK(r.models[f->below].theta <= r.models[i].theta);
                for (size_t j = 0; j < nm.n; j++) /* nobody in between */
                        CHECK(!(r.models[j].theta < r.models[i].theta &&
                                r.models[j].theta > r.models[f->below].theta));
                if (!f->found)
                        continue;
                found++;
                CHECK(f->votes >= 1 && f->nremovals >= 1);
                memcpy(q, p, (size_t)np * sizeof *q);
                removed = remove_flip(q, (size_t)np, f, 0);
                CHECK_NEAR(removed, f->votes, 0);
                o.robustness = false;
                REQUIRE(rank_fit(nm.n, q, (size_t)np, &o, &rq, err, sizeof err) == 0);
                CHECK(rq.models[f->below].theta > rq.models[i].theta);
                rank_result_fini(&rq);
                memcpy(q, p, (size_t)np * sizeof *q);
                remove_flip(q, (size_t)np, f, 1);
                REQUIRE(rank_fit(nm.n, q, (size_t)np, &o, &rq, err, sizeof err) == 0);
                CHECK(rq.models[f->below].theta <= rq.models[i].theta);
                rank_result_fini(&rq);
                o.robustness = true;
        }
        CHECK(found >= 6); /* of the 8 adjacent pairs */
        rank_result_fini(&r);
        rank_result_fini(&r1);
        free(p);
        free(q);
}

/* Two models 11 to 9 and one more: removing two of the first's wins makes it a tie (not a
 * reversal), three reverse it; influence alone asks for about as many. */
static void test_fragility_small(void)
{
        struct rank_pair p[] = { mk(0, 1, 11, 9, 0, 0), mk(1, 2, 10, 10, 0, 0),
                                 mk(0, 2, 10, 10, 0, 0) };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r;
        char err[256];

        o.robustness = true;
        REQUIRE(rank_fit(3, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        REQUIRE(r.models[0].theta > r.models[1].theta);
        CHECK_INT(r.flips[0].below, r.models[1].theta > r.models[2].theta ? 1 : 2);
        CHECK(r.flips[0].found);
        CHECK(r.flips[0].votes >= 1 && r.flips[0].votes <= 3);
        CHECK(r.flips[0].predicted >= 1);
        rank_result_fini(&r);
}

/* Model 0 never loses, model 3 never wins: no MLE; the component gets the Gaussian prior. */
static void test_prior(void)
{
        struct rank_pair p[] = {
                mk(0, 1, 8, 0, 0, 0),
                mk(0, 2, 5, 0, 0, 0),
                mk(1, 2, 6, 4, 0, 0),
                mk(1, 3, 7, 0, 0, 0),
                mk(2, 3, 9, 0, 0, 0),
                /* a separate, well-posed component */
                mk(4, 5, 6, 3, 1, 0),
                mk(5, 6, 2, 4, 0, 0),
                mk(6, 4, 3, 3, 0, 0),
        };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r;
        char err[256];

        REQUIRE(rank_fit(7, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        CHECK(r.converged);
        CHECK_INT(r.components, 2);
        CHECK(r.models[0].flags & RANK_FLAG_NO_LOSSES);
        CHECK(!(r.models[0].flags & RANK_FLAG_NO_WINS));
        CHECK(r.models[3].flags & RANK_FLAG_NO_WINS);
        for (int i = 0; i < 4; i++) {
                CHECK(r.models[i].flags & RANK_FLAG_PRIOR);
                CHECK(isfinite(r.models[i].rating) && isfinite(r.models[i].ci_low) &&
                      isfinite(r.models[i].ci_high));
                /* the documented posterior mode: score - lambda theta = 0 */
                CHECK_NEAR(half_score(p, ARRAY_LEN(p), &r, (size_t)i) -
                               RANK_PRIOR_PRECISION * r.models[i].theta,
                           0, 1e-8);
        }
        CHECK(r.models[0].rating > r.models[1].rating);
        CHECK(r.models[1].rating > r.models[2].rating);
        CHECK(r.models[2].rating > r.models[3].rating);
        CHECK(r.models[0].theta < 8 && r.models[3].theta > -8);
        for (int i = 4; i < 7; i++) {
                CHECK_INT(r.models[i].flags, 0);
                /* pure MLE there */
                CHECK_NEAR(half_score(p, ARRAY_LEN(p), &r, (size_t)i), 0, 1e-8);
        }
        rank_result_fini(&r);

        /* a tie is an edge both ways: a model that only tied is fine */
        {
                struct rank_pair q[] = { mk(0, 1, 0, 0, 3, 0), mk(1, 2, 4, 2, 0, 0) };

                REQUIRE(rank_fit(3, q, 2, &o, &r, err, sizeof err) == 0);
                CHECK_INT(r.models[0].flags, 0);
                CHECK_NEAR(r.models[0].theta, r.models[1].theta, 1e-9);
                rank_result_fini(&r);
        }
}

static void test_isolated(void)
{
        struct rank_pair p[] = { mk(0, 2, 5, 3, 0, 0), mk(2, 3, 2, 2, 1, 0), mk(1, 3, 0, 0, 0, 4) };
        struct rank_opts o = opts_ci(RANK_CI_BOOTSTRAP);
        struct rank_result r;
        char err[256];

        /* model 1 only has "both bad" votes, which are excluded: no counted comparison */
        o.both_bad = RANK_BOTH_BAD_EXCLUDE;
        o.rounds = 50;
        o.anchor = 1;
        o.anchor_rating = 900;
        REQUIRE(rank_fit(5, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        CHECK_INT(r.components, 3);
        CHECK_INT(r.models[1].component, 1);
        CHECK_INT(r.models[4].component, 2);
        CHECK(r.models[1].flags & RANK_FLAG_ISOLATED);
        CHECK(r.models[4].flags & RANK_FLAG_ISOLATED);
        CHECK(!(r.models[0].flags & RANK_FLAG_ISOLATED));
        CHECK(r.models[4].rating == 1000);
        CHECK(r.models[1].rating == 900);
        CHECK(r.models[4].ci_low == 1000 && r.models[4].ci_high == 1000);
        CHECK_INT(r.models[4].rank, 1);
        CHECK_NEAR(r.models[4].se, 0, 0);
        CHECK_NEAR(r.models[1].both_bad, 4, 0);
        CHECK_NEAR(rank_predict(&r, 4, 0), 0.5, 0);
        rank_result_fini(&r);
}

/* ---- intervals ---- */

/* Two models, 30 wins, 10 losses, 10 ties: everything in closed form. theta_0 - theta_1 =
 * logit(0.7); H = 50 p q = 10.5; meat = 30 q^2 + 10 p^2 + 10 (1/2 - p)^2 = 8; arena-rank's ridge
 * eps = 1e-5 * 50 acts as eps / 2 on the one free parameter; centred theta_0 = d / 2. */
static void test_sandwich_closed_form(void)
{
        struct rank_pair p[] = { mk(1, 0, 10, 30, 10, 0) };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r;
        char err[256];
        double eps = 1e-5 * 50;

        REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof err) == 0);
        CHECK_NEAR(r.models[0].theta - r.models[1].theta, log(0.7 / 0.3), 1e-12);
        CHECK_NEAR(r.models[0].se_model, K_ELO * 0.5 / sqrt(10.5), 1e-9);
        CHECK_NEAR(r.models[0].se, K_ELO * 0.5 * sqrt(8.0) / (10.5 + eps / 2), 1e-9);
        CHECK_NEAR(r.models[1].se, r.models[0].se, 1e-12);
        CHECK_NEAR(r.models[0].ci_low, r.models[0].rating - 1.959963984540054 * r.models[0].se,
                   1e-9);
        CHECK_NEAR(r.loglik, 35 * log(0.7) + 15 * log(0.3), 1e-9);
        rank_result_fini(&r);
}

/* Two models under Davidson: the model is saturated (two parameters, three outcome
 * probabilities), so the MLE reproduces the observed shares: theta_0 - theta_1 = log(w / l),
 * nu = t / sqrt(w l); the delta method gives var(theta_0 - theta_1) = 1 / w + 1 / l; and the
 * sandwich equals the model-based SE up to arena-rank's 1e-5 ridge. */
static void test_davidson_closed_form(void)
{
        struct rank_pair p[] = { mk(0, 1, 30, 12, 18, 0) };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r;
        char err[256];

        o.ties = RANK_TIES_DAVIDSON;
        REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof err) == 0);
        CHECK_NEAR(r.models[0].theta - r.models[1].theta, log(30.0 / 12), 1e-12);
        CHECK_NEAR(r.tie_strength, 18 / sqrt(30.0 * 12), 1e-12);
        CHECK_NEAR(r.models[0].se_model, K_ELO / 2 * sqrt(1.0 / 30 + 1.0 / 12), 1e-9);
        CHECK_NEAR(r.models[0].se / r.models[0].se_model, 1, 1e-3);
        CHECK(r.models[0].se < r.models[0].se_model);
        CHECK_NEAR(rank_predict(&r, 0, 1), (30 + 9) / 60.0, 1e-12);
        CHECK_NEAR(r.loglik, 30 * log(0.5) + 12 * log(0.2) + 18 * log(0.3), 1e-9);
        rank_result_fini(&r);
}

static void test_sandwich_scaling(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r1, r4, rw;
        char err[256];

        REQUIRE(np == 7040);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r1, err, sizeof err) == 0);
        for (long k = 0; k < np; k++) {
                p[k].a_wins *= 4;
                p[k].b_wins *= 4;
                p[k].ties *= 4;
        }
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r4, err, sizeof err) == 0);
        for (long k = 0; k < np; k++) {
                p[k].a_wins *= 0.37 / 4;
                p[k].b_wins *= 0.37 / 4;
                p[k].ties *= 0.37 / 4;
        }
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &rw, err, sizeof err) == 0);
        for (size_t i = 0; i < nm.n; i++) {
                struct rank_model *m = &r1.models[i];

                CHECK(m->ci_low < m->rating && m->rating < m->ci_high);
                CHECK(m->se > 3 && m->se < 30);
                /* 4 times the counts: same ratings, half the standard errors */
                CHECK_NEAR(r4.models[i].rating, m->rating, 1e-9);
                CHECK_NEAR(r4.models[i].se / m->se, 0.5, 1e-9);
                CHECK_NEAR(r4.models[i].se_model / m->se_model, 0.5, 1e-9);
                /* fractional counts (weighted votes) scale the same way */
                CHECK_NEAR(rw.models[i].rating, m->rating, 1e-9);
                CHECK_NEAR(rw.models[i].se / m->se, 1 / sqrt(0.37), 1e-9);
                /* sandwich and model-based agree roughly on this data */
                CHECK(m->se / m->se_model > 0.8 && m->se / m->se_model < 1.6);
        }
        rank_result_fini(&r1);
        rank_result_fini(&r4);
        rank_result_fini(&rw);
        free(p);
}

static bool same_intervals(const struct rank_result *a, const struct rank_result *b)
{
        for (size_t i = 0; i < a->n; i++)
                if (memcmp(&a->models[i].ci_low, &b->models[i].ci_low, sizeof(double)) != 0 ||
                    memcmp(&a->models[i].ci_high, &b->models[i].ci_high, sizeof(double)) != 0 ||
                    memcmp(&a->models[i].se, &b->models[i].se, sizeof(double)) != 0)
                        return false;
        return true;
}

static void test_bootstrap_determinism(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_BOOTSTRAP);
        struct rank_result r1, r2, r3, rs;
        char err[256];

        REQUIRE(np == 7040);
        o.rounds = 200;
        o.seed = 12345;
        o.threads = 1;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r1, err, sizeof err) == 0);
        o.threads = 2;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r2, err, sizeof err) == 0);
        o.threads = 7;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r3, err, sizeof err) == 0);
        o.seed = 12346;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &rs, err, sizeof err) == 0);
        CHECK(same_intervals(&r1, &r2));
        CHECK(same_intervals(&r1, &r3));
        CHECK(!same_intervals(&r1, &rs));
        CHECK_INT(r1.rounds, 200);
        CHECK_INT(r1.rounds_failed, 0);
        CHECK(r1.converged);
        for (size_t i = 0; i < nm.n; i++) {
                CHECK(r1.models[i].ci_low != rs.models[i].ci_low);
                CHECK(r1.models[i].ci_low < r1.models[i].rating);
                CHECK(r1.models[i].rating < r1.models[i].ci_high);
                /* the point estimate does not depend on the interval method */
                CHECK(r1.models[i].rating == rs.models[i].rating);
        }
        rank_result_fini(&r1);
        rank_result_fini(&r2);
        rank_result_fini(&r3);
        rank_result_fini(&rs);
        free(p);
}

static void test_bootstrap_vs_sandwich(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result rs, rb;
        char err[256];

        REQUIRE(np == 7040);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &rs, err, sizeof err) == 0);
        o.ci = RANK_CI_BOOTSTRAP;
        o.rounds = 1000;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &rb, err, sizeof err) == 0);
        CHECK_INT(rb.rounds_prior, 0);
        for (size_t i = 0; i < nm.n; i++) {
                double ws = rs.models[i].ci_high - rs.models[i].ci_low;
                double wb = rb.models[i].ci_high - rb.models[i].ci_low;

                CHECK(rb.models[i].se / rs.models[i].se > 0.88);
                CHECK(rb.models[i].se / rs.models[i].se < 1.12);
                CHECK(wb / ws > 0.85 && wb / ws < 1.15);
                CHECK_NEAR((rb.models[i].ci_low + rb.models[i].ci_high) / 2, rs.models[i].rating,
                           0.15 * ws);
        }
        rank_result_fini(&rs);
        rank_result_fini(&rb);
        free(p);
}

static double binom_logpmf(double n, double k, double q)
{
        return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(q) + (n - k) * log1p(-q);
}

/* smallest k with P(Bin(n, q) <= k) >= level */
static double binom_quantile(double n, double q, double level)
{
        double c = 0;

        for (double k = 0; k <= n; k++) {
                c += exp(binom_logpmf(n, k, q));
                if (c >= level)
                        return k;
        }
        return n;
}

/* Two models, w wins of 0 over 1 and 1000 - w losses: a resample's wins W ~ Bin(1000, w / 1000)
 * exactly, and model 0's rating is 1000 + K / 2 log(W / (1000 - W)) (to the resamples'
 * convergence tolerance, 1e-7 in theta: hence the 1e-3 rating-point slack below). */
static double two_model_rating(double wins)
{
        return 1000 + K_ELO / 2 * log(wins / (1000 - wins));
}

static void test_bootstrap_binomial(void)
{
        struct rank_opts o = opts_ci(RANK_CI_BOOTSTRAP);
        struct rank_result r;
        char err[256];
        double lo, hi, mean = 0, var = 0;

        o.rounds = 20000;
        {
                struct rank_pair p[] = { mk(0, 1, 300, 700, 0, 0) };

                REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof err) == 0);
                lo = binom_quantile(1000, 0.3, 0.025);
                hi = binom_quantile(1000, 0.3, 0.975);
                CHECK(r.models[0].ci_low >= two_model_rating(lo - 1) - 1e-3);
                CHECK(r.models[0].ci_low <= two_model_rating(lo + 1) + 1e-3);
                CHECK(r.models[0].ci_high >= two_model_rating(hi - 1) - 1e-3);
                CHECK(r.models[0].ci_high <= two_model_rating(hi + 1) + 1e-3);
                for (double k = 1; k < 1000; k++) {
                        double pk = exp(binom_logpmf(1000, k, 0.3)), v = two_model_rating(k);

                        mean += pk * v;
                        var += pk * v * v;
                }
                var -= mean * mean;
                CHECK_NEAR(r.models[0].se / sqrt(var), 1, 0.03);
                CHECK_INT(r.rounds_prior, 0);
                rank_result_fini(&r);
        }
        {
                /* rare wins: W = 0 (probability 0.995^1000 = 0.67%) has no MLE, and gets the
                 * prior; W = 1 holds the 2.5% quantile */
                struct rank_pair p[] = { mk(0, 1, 5, 995, 0, 0) };
                double p0 = exp(1000 * log1p(-0.005));

                REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof err) == 0);
                CHECK(r.rounds_prior > 20000 * p0 - 50 && r.rounds_prior < 20000 * p0 + 50);
                CHECK(r.converged);
                CHECK_NEAR(r.models[0].ci_low, two_model_rating(1), 1e-3);
                hi = binom_quantile(1000, 0.005, 0.975);
                CHECK(r.models[0].ci_high >= two_model_rating(hi - 1) - 1e-3);
                CHECK(r.models[0].ci_high <= two_model_rating(hi + 1) + 1e-3);
                rank_result_fini(&r);
        }
        {
                /* two billion outcomes: both cells' Poisson means (6e8, 1.4e9) are too large
                 * for inversion tables, so this exercises the PTRS sampler; delta-method SE */
                struct rank_pair p[] = { mk(0, 1, 6e8, 1.4e9, 0, 0) };
                double sd = K_ELO / 2 / sqrt(2e9 * 0.3 * 0.7);

                o.rounds = 400;
                REQUIRE(rank_fit(2, p, 1, &o, &r, err, sizeof err) == 0);
                CHECK_NEAR(r.models[0].se / sd, 1, 0.12);
                CHECK_NEAR((r.models[0].ci_low + r.models[0].ci_high) / 2, r.models[0].rating,
                           0.3 * sd);
                rank_result_fini(&r);
        }
}

/* ---- ranks, prediction ---- */

static void test_rank_rule(void)
{
        /* A far above B and C (equal, overlapping), both far above D */
        struct rank_pair p[] = {
                mk(0, 1, 900, 100, 0, 0), mk(0, 2, 900, 100, 0, 0), mk(1, 2, 500, 500, 0, 0),
                mk(1, 3, 900, 100, 0, 0), mk(2, 3, 900, 100, 0, 0), mk(0, 3, 990, 10, 0, 0),
        };
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r;
        char err[256];

        REQUIRE(rank_fit(4, p, ARRAY_LEN(p), &o, &r, err, sizeof err) == 0);
        CHECK_INT(r.models[0].rank, 1);
        CHECK_INT(r.models[1].rank, 2);
        CHECK_INT(r.models[2].rank, 2);
        CHECK_INT(r.models[3].rank, 4);
        rank_result_fini(&r);

        /* without intervals: 1 + the number of strictly higher ratings */
        {
                struct rank_pair q[] = {
                        mk(0, 1, 6, 4, 0, 0),
                        mk(1, 2, 7, 3, 0, 0),
                        mk(2, 3, 2, 8, 0, 0),
                        mk(3, 0, 5, 5, 0, 0),
                };

                o.ci = RANK_CI_NONE;
                REQUIRE(rank_fit(4, q, ARRAY_LEN(q), &o, &r, err, sizeof err) == 0);
                for (int i = 0; i < 4; i++) {
                        unsigned above = 0;

                        CHECK(r.models[i].ci_low == r.models[i].rating);
                        CHECK(r.models[i].ci_high == r.models[i].rating);
                        for (int j = 0; j < 4; j++)
                                above += r.models[j].rating > r.models[i].rating;
                        CHECK_INT(r.models[i].rank, 1 + above);
                }
                /* distinct ratings: the ranks are 1..4 */
                CHECK_INT(r.models[0].rank + r.models[1].rank + r.models[2].rank + r.models[3].rank,
                          10);
                CHECK(r.models[3].rating > r.models[2].rating); /* 3 beat 2 8-2 */
                rank_result_fini(&r);
        }
}

static void test_predict(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000);
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_NONE);
        struct rank_result r, rd;
        char err[256];
        long g4 = name_find(&nm, "gpt-4"), bard = name_find(&nm, "bard");

        REQUIRE(np == 7040);
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r, err, sizeof err) == 0);
        o.ties = RANK_TIES_DAVIDSON;
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &rd, err, sizeof err) == 0);
        CHECK(rd.tie_strength > 0.1 && rd.tie_strength < 2);
        for (size_t i = 0; i < nm.n; i++) {
                for (size_t j = 0; j < nm.n; j++) {
                        CHECK_NEAR(rank_predict(&r, i, j) + rank_predict(&r, j, i), 1, 1e-15);
                        CHECK_NEAR(rank_predict(&rd, i, j) + rank_predict(&rd, j, i), 1, 1e-15);
                }
                CHECK(rank_predict(&r, i, i) == 0.5);
        }
        CHECK_NEAR(rank_predict(&r, (size_t)g4, (size_t)bard),
                   1 / (1 + pow(10, (r.models[bard].rating - r.models[g4].rating) / 400)), 1e-12);
        {
                double a = exp(rd.models[g4].theta), b = exp(rd.models[bard].theta);
                double nu = rd.tie_strength, d = a + b + nu * sqrt(a * b);

                CHECK_NEAR(rank_predict(&rd, (size_t)g4, (size_t)bard),
                           a / d + 0.5 * nu * sqrt(a * b) / d, 1e-12);
        }
        CHECK(rank_predict(&r, (size_t)g4, (size_t)bard) > 0.75);
        CHECK(rank_predict(&r, 0, 99) == 0.5);
        CHECK(rank_predict(NULL, 0, 1) == 0.5);
        rank_result_fini(&r);
        rank_result_fini(&rd);
        free(p);
}

/* ---- input handling ---- */

static void test_aggregation(void)
{
        struct names nm = { 0 };
        struct rank_pair *p = alloc_pairs(8000), agg[64];
        long np = load_votes(&nm, p, 8000);
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result r1, r2;
        size_t na = 0;
        char err[256];

        REQUIRE(np == 7040);
        /* aggregate by unordered pair, oriented one way or the other at random-ish */
        for (long k = 0; k < np; k++) {
                size_t j;

                for (j = 0; j < na; j++)
                        if ((agg[j].a == p[k].a && agg[j].b == p[k].b) ||
                            (agg[j].a == p[k].b && agg[j].b == p[k].a))
                                break;
                if (j == na) {
                        REQUIRE(na < 64);
                        agg[na] = (na % 2) ? mk(p[k].b, p[k].a, 0, 0, 0, 0)
                                           : mk(p[k].a, p[k].b, 0, 0, 0, 0);
                        na++;
                }
                if (agg[j].a == p[k].a) {
                        agg[j].a_wins += p[k].a_wins;
                        agg[j].b_wins += p[k].b_wins;
                } else {
                        agg[j].a_wins += p[k].b_wins;
                        agg[j].b_wins += p[k].a_wins;
                }
                agg[j].ties += p[k].ties;
        }
        REQUIRE(rank_fit(nm.n, p, (size_t)np, &o, &r1, err, sizeof err) == 0);
        REQUIRE(rank_fit(nm.n, agg, na, &o, &r2, err, sizeof err) == 0);
        CHECK_INT(na, 32); /* 32 of the 36 possible pairs were compared */
        for (size_t i = 0; i < nm.n; i++) {
                CHECK_NEAR(r1.models[i].rating, r2.models[i].rating, 1e-9);
                CHECK_NEAR(r1.models[i].se, r2.models[i].se, 1e-9);
                CHECK_NEAR(r1.models[i].wins, r2.models[i].wins, 0);
                CHECK_NEAR(r1.models[i].n, r2.models[i].n, 0);
        }
        CHECK_NEAR(r1.models[0].n + r1.models[1].n, 1600 + 1600, 400);
        rank_result_fini(&r1);
        rank_result_fini(&r2);
        free(p);
}

static void test_davidson_edges(void)
{
        struct rank_opts o = opts_ci(RANK_CI_SANDWICH);
        struct rank_result rh, rd;
        char err[256];

        /* no tie: nu = 0, and the fit is plain Bradley-Terry */
        {
                struct rank_pair p[] = { mk(0, 1, 7, 3, 0, 0), mk(1, 2, 4, 4, 0, 0),
                                         mk(2, 0, 2, 5, 0, 0) };

                REQUIRE(rank_fit(3, p, 3, &o, &rh, err, sizeof err) == 0);
                o.ties = RANK_TIES_DAVIDSON;
                REQUIRE(rank_fit(3, p, 3, &o, &rd, err, sizeof err) == 0);
                CHECK(rd.tie_strength == 0);
                CHECK(!rd.tie_prior);
                for (int i = 0; i < 3; i++) {
                        CHECK_NEAR(rd.models[i].theta, rh.models[i].theta, 1e-12);
                        CHECK_NEAR(rd.models[i].se, rh.models[i].se, 1e-9);
                }
                rank_result_fini(&rh);
                rank_result_fini(&rd);
        }
        /* only ties: nu's MLE is infinite; log nu gets the prior: 2 n / (2 + nu) = lambda
         * log nu at theta = 0 */
        {
                struct rank_pair p[] = { mk(0, 1, 0, 0, 6, 0), mk(1, 2, 0, 0, 4, 0) };
                double nu;

                REQUIRE(rank_fit(3, p, 2, &o, &rd, err, sizeof err) == 0);
                nu = rd.tie_strength;
                CHECK(rd.tie_prior);
                CHECK(rd.converged);
                CHECK(isfinite(nu) && nu > 1);
                CHECK_NEAR(2 * 10 / (2 + nu), RANK_PRIOR_PRECISION * log(nu), 1e-8);
                for (int i = 0; i < 3; i++) {
                        CHECK_NEAR(rd.models[i].theta, 0, 1e-9);
                        CHECK_INT(rd.models[i].flags, 0);
                        CHECK(isfinite(rd.models[i].se) && isfinite(rd.models[i].se_model));
                }
                CHECK_NEAR(rank_predict(&rd, 0, 1), 0.5, 1e-12);
                rank_result_fini(&rd);
        }
}

static void test_validation(void)
{
        struct rank_pair good[] = { mk(0, 1, 3, 2, 1, 0) };
        struct rank_pair p[1];
        struct rank_opts o;
        struct rank_result r;
        char err[256];

#define EXPECT_FAIL(n_, pairs_, np_, opts_)                                                        \
        do {                                                                                       \
                memset(&r, 0xab, sizeof r);                                                        \
                err[0] = '\0';                                                                     \
                CHECK(rank_fit((n_), (pairs_), (np_), (opts_), &r, err, sizeof err) == -1);        \
                CHECK(err[0] != '\0');                                                             \
                CHECK(r.models == NULL && r.n == 0);                                               \
                rank_result_fini(&r);                                                              \
        } while (0)

        EXPECT_FAIL(0, good, 1, NULL);
        EXPECT_FAIL(RANK_MODELS_MAX + 1, good, 1, NULL);
        EXPECT_FAIL(2, NULL, 1, NULL);
        p[0] = mk(0, 2, 1, 1, 0, 0);
        EXPECT_FAIL(2, p, 1, NULL);
        p[0] = mk(1, 1, 1, 1, 0, 0);
        EXPECT_FAIL(2, p, 1, NULL);
        p[0] = mk(0, 1, -1, 1, 0, 0);
        EXPECT_FAIL(2, p, 1, NULL);
        p[0] = mk(0, 1, 1, NAN, 0, 0);
        EXPECT_FAIL(2, p, 1, NULL);
        p[0] = mk(0, 1, 1, 1, INFINITY, 0);
        EXPECT_FAIL(2, p, 1, NULL);
        p[0] = mk(0, 1, 1, 1, 0, -0.5);
        EXPECT_FAIL(2, p, 1, NULL);
        CHECK(strstr(err, "pair 0") != NULL);

        rank_opts_default(&o);
        o.anchor = 2;
        EXPECT_FAIL(2, good, 1, &o);
        o.anchor = -2;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.ties = (enum rank_ties)7;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.ci = (enum rank_ci) - 1;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.both_bad = (enum rank_both_bad)2;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.scale = 0;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.base = 1;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.init = NAN;
        EXPECT_FAIL(2, good, 1, &o);
        rank_opts_default(&o);
        o.ci = RANK_CI_BOOTSTRAP;
        o.rounds = RANK_ROUNDS_MIN - 1;
        EXPECT_FAIL(2, good, 1, &o);
        o.rounds = RANK_ROUNDS_MAX + 1;
        EXPECT_FAIL(2, good, 1, &o);
        o.rounds = 100;
        o.threads = 0;
        EXPECT_FAIL(2, good, 1, &o);
        o.threads = RANK_THREADS_MAX + 1;
        EXPECT_FAIL(2, good, 1, &o);
        /* rounds and threads are not looked at without the bootstrap */
        o.ci = RANK_CI_SANDWICH;
        CHECK(rank_fit(2, good, 1, &o, &r, err, sizeof err) == 0);
        rank_result_fini(&r);
        /* NULL out, NULL or empty error buffer: no crash */
        CHECK(rank_fit(2, good, 1, NULL, NULL, err, sizeof err) == -1);
        CHECK(rank_fit(0, good, 1, NULL, &r, NULL, 0) == -1);
        CHECK(rank_fit(0, good, 1, NULL, &r, err, 0) == -1);
        /* no pairs at all is fine: every model isolated */
        CHECK(rank_fit(3, NULL, 0, NULL, &r, err, sizeof err) == 0);
        CHECK_INT(r.components, 3);
        CHECK(r.models[2].rating == 1000 && r.converged);
        rank_result_fini(&r);
        rank_result_fini(&r);
        rank_result_fini(NULL);
#undef EXPECT_FAIL
}

/* 1e300 : 1 (the MLE, theta_0 - theta_1 = 690, exists): Newton moves about one unit per step
 * and the log-likelihood loses all precision on the way; the fit stops early and says so, with
 * finite numbers. */
static void test_not_converged(void)
{
        struct rank_pair p[] = { mk(0, 1, 1e300, 1, 0, 0) };
        struct rank_result r;
        char err[256];

        REQUIRE(rank_fit(2, p, 1, NULL, &r, err, sizeof err) == 0);
        CHECK(!r.converged);
        CHECK(strstr(err, "did not converge") != NULL);
        CHECK(r.iterations > 10);
        CHECK(isfinite(r.models[0].rating) && isfinite(r.models[0].ci_high));
        CHECK(r.models[0].theta > 10);
        rank_result_fini(&r);
        /* a normal fit leaves err empty */
        p[0] = mk(0, 1, 10, 5, 0, 0);
        REQUIRE(rank_fit(2, p, 1, NULL, &r, err, sizeof err) == 0);
        CHECK(r.converged);
        CHECK_STR(err, "");
        rank_result_fini(&r);
}

int main(void)
{
        RUN(evalica_bradley_terry);
        RUN(evalica_newman);
        RUN(newman_fixed_point);
        RUN(wikipedia);
        RUN(vicuna80_bradleyterry2);
        RUN(anchor);
        RUN(ties_modes);
        RUN(both_bad);
        RUN(disconnected);
        RUN(covariance);
        RUN(fragility);
        RUN(fragility_small);
        RUN(prior);
        RUN(isolated);
        RUN(sandwich_closed_form);
        RUN(davidson_closed_form);
        RUN(sandwich_scaling);
        RUN(bootstrap_determinism);
        RUN(bootstrap_vs_sandwich);
        RUN(bootstrap_binomial);
        RUN(rank_rule);
        RUN(predict);
        RUN(aggregation);
        RUN(davidson_edges);
        RUN(validation);
        RUN(not_converged);
        T_DONE();
}
