/*
 * bulk.h - streamed JSON Lines uploads into one transaction: item uploads and vote imports.
 *
 * The body is split into records as it arrives (jsonl.h); each record is parsed and checked on
 * its own by the kind's check function, on the worker pool (work.h) a batch at a time, and the
 * valid ones go to PostgreSQL in batches (the kind's statement) inside one transaction on a
 * pinned connection. Reading, parsing and storing overlap, one batch each; when all three are
 * busy the socket is not read, so memory stays bounded by three batches whatever the upload's
 * size.
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

/*
 * What an upload stores and how. The steps run on the upload's pinned connection inside its
 * transaction and each ends with exactly one bulk_step_done(). open and close may be NULL.
 */
struct bulk_kind {
        const char *what;     /* for the log: "items", "votes" */
        size_t batch_records; /* records per batch */
        /*
         * Checks one parsed record (an object): returns the new reference that goes into the
         * batch, or NULL after jv_fail(v, ...). Runs on a worker thread: it may touch only the
         * record and read cfg.
         */
        json_t *(*check)(struct jv *v, json_t *record, unsigned long line,
                         const struct config *cfg);
        /* Once, after BEGIN and before the first batch (may set the kind's state). */
        void (*open)(struct bulk *b);
        /* Stores a batch: a JSON array of checked records (borrowed until bulk_step_done). */
        void (*store)(struct bulk *b, json_t *batch);
        /* Once, before COMMIT, only when the upload is to be committed. */
        void (*close)(struct bulk *b);
        /* Frees the kind's state (bulk_set_state); may be NULL. */
        void (*state_free)(void *state);
};

/* Runs an upload into the project named by the route's first parameter; replies itself. */
void bulk_run(struct req *r, const struct bulk_kind *kind);

/* --- for the kind's steps --- */

struct db_pin *bulk_pin(const struct bulk *b);
const char *bulk_project_id(const struct bulk *b); /* decimal */
const char *bulk_user_id(const struct bulk *b);    /* decimal */
/* Whether the upload would be committed as things stand (no line rejected, or ?partial=true). */
bool bulk_committing(const struct bulk *b);
void *bulk_state(const struct bulk *b);
void bulk_set_state(struct bulk *b, void *state); /* steals; freed with kind->state_free */
/*
 * Ends the current step. res is the result of the step's last statement (NULL when the step
 * needed none); a failed result ends the upload with 503/500 and nothing stored. The upload may
 * be freed inside: touch neither it nor its state afterwards.
 */
void bulk_step_done(struct bulk *b, const struct db_res *res);
/* True once the upload has failed (a multi-statement step should stop and call step_done). */
bool bulk_failed(const struct bulk *b);
/* Ends the upload with this error reply (nothing stored), from within a step. */
void bulk_step_failed(struct bulk *b, int status, const char *code, const char *message);

void bulk_accepted(struct bulk *b, long n);
void bulk_unchanged(struct bulk *b, long n);
void bulk_reject(struct bulk *b, unsigned long line, const char *id, const char *code,
                 const char *message);

#endif
