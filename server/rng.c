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

static uint64_t rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
        uint64_t *s = r->s;
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

double rng_unif(struct rng *r)
{
        return ((double)(int64_t)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
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
