/*
 * rating.h - the rating loop's statements, batched: every process keeps one batcher for `next`
 * (SQL prefd_nexts), one for votes (prefd_votes) and one for skips (prefd_skips), see batch.h.
 * Their elements are the JSON objects those functions read; the shared parameter is the roles the
 * rating routes are open to, which the functions check again for callers taken from the credential
 * cache.
 */
#ifndef RATING_H
#define RATING_H

#include "batch.h"

struct rating {
        struct batch *nexts;
        struct batch *votes;
        struct batch *skips;
};

/* NULL when out of memory. */
struct rating *rating_new(struct db *db);
void rating_free(struct rating *g);

#endif
