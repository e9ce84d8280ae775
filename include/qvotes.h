/*
 * qvotes.h - a project's rated votes as quality.h sees them, read for rater statistics,
 * agreement and reliability weights without loading the event loop.
 *
 * The votes come in chunks of QVOTES_CHUNK rows in id order (sql/functions/
 * prefd_quality_votes.sql, an index range each); every chunk's rows are parsed on a worker
 * thread while the loop goes on serving, so the loop's share is receiving them. Memory: the
 * votes (48 bytes each) plus one chunk's result.
 */
#ifndef QVOTES_H
#define QVOTES_H

#include "quality.h"
#include "u64map.h"

#include <jansson.h>

#define QVOTES_CHUNK 50000

struct db;
struct work;

struct qvotes {
        struct quality_vote *votes;
        size_t n, cap;
        struct u64map rater_index; /* user id -> dense rater index */
        int64_t *rater_ids;        /* dense rater index -> user id */
        size_t nraters, raters_cap;
        json_t *categories; /* category name -> dense index */
};

/* Gets the votes (owned by the callee, qvotes_free), or NULL and why. On the loop thread. */
typedef void (*qvotes_fn)(struct qvotes *votes, const char *error, void *arg);

void qvotes_read(struct db *db, struct work *work, int64_t project, qvotes_fn fn, void *arg);
void qvotes_free(struct qvotes *v);

#endif
