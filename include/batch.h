/*
 * batch.h - requests whose statements can run as one: the rating loop's votes and nexts.
 *
 * A batcher owns one statement, `SELECT ... FROM fn($1::jsonb, $2)`, whose function takes a
 * JSON array of elements (each tagged "i" with its place) and a parameter shared by the batch,
 * and answers rows whose first column is that "i". A request's element is sent at once when
 * fewer than `inflight` batches of this batcher are in the database; otherwise it waits and
 * goes with everything that waited, in the batch sent when one comes back (at most `max`
 * elements). So one rater pays no delay, and many raters share statements, transactions and
 * commits: the work per transaction grows with the load instead of the transactions.
 *
 * When a batch fails in the database, each of its elements is sent again alone (so that one
 * element cannot fail the others); an element that fails alone after a deadlock or a
 * serialisation failure is retried up to BATCH_RETRIES times. The callback then gets the
 * failure (row -1). Loop thread only; the request must not be answered before its callback.
 */
#ifndef BATCH_H
#define BATCH_H

#include "req.h"

#define BATCH_RETRIES 3

struct batch;
struct db;

/* r's answer: its row of res, or row -1 with res the failure (see req_db_failed). */
typedef void (*batch_fn)(struct req *r, const struct db_res *res, int row);

/* sql: the statement with $1 (the elements) and $2 (shared, copied). NULL when out of memory. */
struct batch *batch_new(struct db *db, const char *sql, const char *shared, int inflight,
                        size_t max);
void batch_free(struct batch *b);

/*
 * Queues r's element (steals elem, an object; "i" is set here); fn gets r's answer. Elements
 * with the same key (copied; say the rater, or the assignment) never go in one batch: a later
 * one waits for the next.
 */
void batch_add(struct batch *b, struct req *r, json_t *elem, const char *key, batch_fn fn);

#endif
