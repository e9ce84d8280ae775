/*
 * turns.h - the turns of the comparisons an upload adds: the order in which `next` hands out
 * comparisons at equal vote counts (sql/functions/prefd_next.sql). Pure computation, no I/O.
 *
 * Each model pair numbers its comparisons 0, 1, 2 ... (its turns), continuing from the pair's
 * count before the upload (`base`), so that the pairs take turns: every pair's k-th comparison
 * comes before any pair's (k+1)-th. Within one batch of an upload the prompts are put in a
 * random order (`rank`), each pair numbers its comparisons in that order, rotated by the pair's
 * index q among the batch's P pairs times max(1, n_q / P), n_q being the pair's comparisons in
 * the batch:
 *
 *     turn = base + (pos + q * max(1, n_q / P)) mod n_q
 *
 * When every prompt has every pair (the usual upload), turn t then holds one comparison per pair,
 * from P different prompts, and each prompt's P comparisons are spread evenly over the turns, so
 * that any run of turns covers the prompts within one comparison of each other. Batches of one
 * upload share the base: turn t holds one comparison from each batch, mixed at random by the
 * queue's random key, so prompts from the whole upload are mixed from the first turn.
 */
#ifndef TURNS_H
#define TURNS_H

#include "prefd.h"

struct turns_cmp {
        int64_t lo, hi;   /* the pair's model ids, lo < hi */
        uint64_t rank;    /* the prompt's place in the batch's random order */
        int64_t base;     /* the pair's comparisons before the upload */
        int64_t turn;     /* out */
        uint32_t payload; /* the caller's: which comparison this is */
};

/*
 * Sets the turn of each of the n comparisons of one batch (reordering the array by pair, then
 * rank). Comparisons of one pair must carry the same base. 0, or -1 for a prompt appearing twice
 * in one pair.
 */
int turns_assign(struct turns_cmp *c, size_t n) PREFD_MUSTCHECK;

#endif
