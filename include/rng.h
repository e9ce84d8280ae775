/*
 * rng.h - a fast, seedable pseudo-random generator (xoshiro256**, seeded through splitmix64),
 * for simulation and shuffling. Not for secrets: crypto.h has the CSPRNG.
 *
 * Streams: rng_seed(r, seed, stream) gives independent sequences for the same seed, so work
 * split over threads draws the same numbers however it is split.
 */
#ifndef RNG_H
#define RNG_H

#include "prefd.h"

struct rng {
        uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits. Inline: the bootstrap draws a few hundred thousand per round. */
static inline uint64_t rng_next(struct rng *r)
{
        uint64_t *s = r->s;
        uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = (s[3] << 45) | (s[3] >> 19);
        return result;
}

/* Uniform on the open interval (0, 1). */
static inline double rng_unif(struct rng *r)
{
        return ((double)(int64_t)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}
/* Uniform on 0 .. n-1 (n > 0), without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
