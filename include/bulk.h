/*
 * bulk.h - streamed JSON Lines uploads into one transaction: item uploads and vote imports.
 *
 * The body is split into records as it arrives (jsonl.h); each record is parsed and checked on
 * its own by the kind's check function, and the valid ones go to PostgreSQL in batches (the
 * kind's statement) inside one transaction on a pinned connection. While a batch is in the
 * database the socket is not read, so memory stays bounded by one batch and one record whatever
 * the upload's size.
 *
 * All or nothing by default: any rejected line rolls the transaction back and the reply is 422
 * with every line's error; ?partial=true commits the valid lines. The reply counts accepted,
 * unchanged and rejected lines and lists at most BULK_MAX_ERRORS line errors.
 */
#ifndef BULK_H
#define BULK_H

#include "jsonv.h"
#include "req.h"

#include <jansson.h>

#define BULK_MAX_ERRORS 1000

struct bulk;
struct config;
struct db_res;

struct bulk_kind {
        const char *what; /* for the log: "items", "votes" */
        /*
         * Checks one parsed record (an object): returns the new reference that goes into the
         * batch, or NULL after jv_fail(v, ...).
         */
        json_t *(*check)(struct jv *v, json_t *record, unsigned long line,
                         const struct config *cfg);
        /*
         * Optional: a statement run once after BEGIN with $1 the project id and $2 the caller's
         * user id; its first value is passed to every batch as $3 (an import's id).
         */
        const char *open_sql;
        /* The batch statement: $1 the project id, $2 the batch (a JSON array), [$3 see above]. */
        const char *batch_sql;
        /* Reads the batch statement's result: bulk_accepted / bulk_unchanged / bulk_reject. */
        void (*result)(struct bulk *b, const struct db_res *res);
        size_t batch_records; /* records per batch */
};

/* Runs an upload into the project named by the route's first parameter; replies itself. */
void bulk_run(struct req *r, const struct bulk_kind *kind);

/* For result functions: */
void bulk_accepted(struct bulk *b, long n);
void bulk_unchanged(struct bulk *b, long n);
void bulk_reject(struct bulk *b, unsigned long line, const char *id, const char *code,
                 const char *message);

#endif
