/*
 * turns.c - the turns of an upload's comparisons; see turns.h.
 */
#include "turns.h"

#include <stdlib.h>

static int by_pair_rank(const void *x, const void *y)
{
        const struct turns_cmp *a = x, *b = y;
        if (a->lo != b->lo)
                return a->lo < b->lo ? -1 : 1;
        if (a->hi != b->hi)
                return a->hi < b->hi ? -1 : 1;
        return (a->rank > b->rank) - (a->rank < b->rank);
}

int turns_assign(struct turns_cmp *c, size_t n)
{
        qsort(c, n, sizeof(*c), by_pair_rank);
        size_t pairs = 0;
        for (size_t i = 0; i < n; i++)
                if (i == 0 || c[i].lo != c[i - 1].lo || c[i].hi != c[i - 1].hi)
                        pairs++;
        size_t q = 0;
        for (size_t start = 0; start < n; q++) {
                size_t end = start + 1;
                while (end < n && c[end].lo == c[start].lo && c[end].hi == c[start].hi)
                        end++;
                size_t nq = end - start;
                size_t stride = nq / pairs > 1 ? nq / pairs : 1;
                size_t shift = (size_t)((q * (uint64_t)stride) % nq);
                for (size_t pos = 0; pos < nq; pos++) {
                        if (pos > 0 && c[start + pos].rank == c[start + pos - 1].rank)
                                return -1;
                        c[start + pos].turn = c[start].base + (int64_t)((pos + shift) % nq);
                }
                start = end;
        }
        return 0;
}
