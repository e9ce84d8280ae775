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
uint64_t rng_next(struct rng *r);
/* Uniform on the open interval (0, 1). */
double rng_unif(struct rng *r);
/* Uniform on 0 .. n-1 (n > 0), without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
