/*
 * rng.c - xoshiro256** seeded through splitmix64; see rng.h.
 */
#include "rng.h"

static uint64_t splitmix64(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
        uint64_t mix = stream;
        uint64_t state = seed ^ splitmix64(&mix);

        for (int i = 0; i < 4; i++)
                r->s[i] = splitmix64(&state);
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
        /* Draws past the last whole multiple of n are drawn again: no modulo bias. */
        uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
        do
                x = rng_next(r);
        while (x >= limit);
        return x % n;
}
