/*
 * test_turns.c - the turns of an upload's comparisons: pairs take turns, prompts spread evenly.
 */
#include "t.h"
#include "turns.h"

#include <stdint.h>

/* The usual upload: n prompts, each with every pair of m models, prompts in a shuffled order. */
static size_t grid(struct turns_cmp *c, size_t n, int m, int64_t base)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                for (int a = 0; a < m; a++)
                        for (int b = a + 1; b < m; b++)
                                c[k++] = (struct turns_cmp){ .lo = 100 + a,
                                                             .hi = 100 + b,
                                                             .rank = (i * 7919) % n,
                                                             .base = base,
                                                             .payload = (uint32_t)i };
        return k;
}

static int by_turn(const void *x, const void *y)
{
        const struct turns_cmp *a = x, *b = y;
        return (a->turn > b->turn) - (a->turn < b->turn);
}

static void test_grid_balance(void)
{
        enum { N = 80, M = 5, P = 10 };
        static struct turns_cmp c[N * P];
        size_t n = grid(c, N, M, 0);
        REQUIRE(turns_assign(c, n) == 0);
        /* each pair numbers its comparisons 0 .. N-1 */
        static int seen[P][N];
        for (size_t i = 0; i < n; i++) {
                int q = 0;
                for (int a = 0; a < M; a++)
                        for (int b = a + 1; b < M; b++, q++)
                                if (c[i].lo == 100 + a && c[i].hi == 100 + b)
                                        seen[q][c[i].turn]++;
        }
        for (int q = 0; q < P; q++)
                for (int t = 0; t < N; t++)
                        CHECK_INT(seen[q][t], 1);
        /* in turn order, every prefix covers the prompts within one of each other */
        qsort(c, n, sizeof(c[0]), by_turn);
        int per_prompt[N] = { 0 };
        for (size_t i = 0; i < n; i++) {
                per_prompt[c[i].payload]++;
                if ((i + 1) % P)
                        continue; /* at the end of each turn */
                int lo = per_prompt[0], hi = per_prompt[0];
                for (int p = 1; p < N; p++) {
                        lo = per_prompt[p] < lo ? per_prompt[p] : lo;
                        hi = per_prompt[p] > hi ? per_prompt[p] : hi;
                }
                CHECK(hi - lo <= 1);
        }
}

static void test_base_and_uneven_pairs(void)
{
        /* pair (1,2) has 3 prompts, pair (1,3) has 1; bases continue each pair's numbering */
        struct turns_cmp c[] = {
                { .lo = 1, .hi = 2, .rank = 5, .base = 10, .payload = 0 },
                { .lo = 1, .hi = 3, .rank = 1, .base = 4, .payload = 1 },
                { .lo = 1, .hi = 2, .rank = 1, .base = 10, .payload = 2 },
                { .lo = 1, .hi = 2, .rank = 3, .base = 10, .payload = 3 },
        };
        REQUIRE(turns_assign(c, 4) == 0);
        int turns12[3] = { 0 }, k = 0;
        for (int i = 0; i < 4; i++) {
                if (c[i].hi == 3) {
                        CHECK_INT(c[i].turn, 4);
                } else {
                        CHECK(c[i].turn >= 10 && c[i].turn <= 12);
                        turns12[k++] = (int)c[i].turn;
                }
        }
        CHECK(turns12[0] != turns12[1] && turns12[1] != turns12[2] && turns12[0] != turns12[2]);
        /* a prompt twice in one pair is refused */
        struct turns_cmp d[] = { { .lo = 1, .hi = 2, .rank = 1 }, { .lo = 1, .hi = 2, .rank = 1 } };
        CHECK(turns_assign(d, 2) == -1);
        CHECK(turns_assign(d, 0) == 0);
}

int main(void)
{
        RUN(grid_balance);
        RUN(base_and_uneven_pairs);
        T_DONE();
}
