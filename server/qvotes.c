/*
 * qvotes.c - a project's rated votes, read in chunks and parsed on workers; see qvotes.h.
 */
#include "qvotes.h"

#include "db.h"
#include "log.h"
#include "work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum col {
        C_ID,
        C_UNIT,
        C_RATER,
        C_CATEGORY,
        C_VALUE,
        C_GOLD,
        C_CORRECT,
        C_LEFT,
        C_SECONDS,
        C_FLAGS
};

/*
 * The next chunk is read while a worker parses the one before: at most one chunk in the
 * database, one being parsed, and one that arrived waiting for the worker (the next is asked
 * for when that one goes to the worker).
 */
struct reader {
        struct db *db;
        struct work *work;
        char project[24];
        int64_t after;       /* the last vote id asked for */
        struct db_res *rows; /* the chunk being parsed (kept) */
        int nrows;
        struct db_res *waiting; /* a chunk that arrived meanwhile (kept) */
        int nwaiting;
        bool reading; /* a chunk is in the database */
        bool parsing; /* a worker has rows */
        bool last;    /* the last chunk has arrived */
        const char *error;
        int rc; /* the parse's: 0, or -1 out of memory */
        struct qvotes *v;
        qvotes_fn fn;
        void *arg;
};

void qvotes_free(struct qvotes *v)
{
        if (!v)
                return;
        free(v->votes);
        u64map_fini(&v->rater_index);
        free(v->rater_ids);
        json_decref(v->categories);
        free(v);
}

static void finish(struct reader *rd, const char *error)
{
        qvotes_fn fn = rd->fn;
        void *arg = rd->arg;
        struct qvotes *v = error ? NULL : rd->v;
        if (error)
                qvotes_free(rd->v);
        db_res_free(rd->rows);
        db_res_free(rd->waiting);
        free(rd);
        fn(v, error, arg);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return 0;
        size_t c = *cap ? *cap : 1024;
        while (c < need)
                c *= 2;
        void *q = realloc(*p, c * elem);
        if (!q)
                return -1;
        *p = q;
        *cap = c;
        return 0;
}

/* On a worker: the chunk's rows appended to the votes. */
static void parse(void *arg)
{
        struct reader *rd = arg;
        struct qvotes *v = rd->v;
        const struct db_res *res = rd->rows;
        rd->rc = -1;
        if (grow((void **)&v->votes, &v->cap, v->n + (size_t)rd->nrows, sizeof(*v->votes)) != 0)
                return;
        for (int row = 0; row < rd->nrows; row++) {
                const char *cat = db_res_value(res, row, C_CATEGORY);
                json_t *ci = json_object_get(v->categories, cat);
                if (!ci) {
                        ci = json_integer((json_int_t)json_object_size(v->categories));
                        if (json_object_set_new(v->categories, cat, ci) != 0)
                                return;
                }
                int64_t rater_id = db_res_int(res, row, C_RATER);
                uint32_t rater;
                if (!u64map_get(&v->rater_index, (uint64_t)rater_id, &rater)) {
                        if (grow((void **)&v->rater_ids, &v->raters_cap, v->nraters + 1,
                                 sizeof(int64_t)) != 0)
                                return;
                        rater = (uint32_t)v->nraters;
                        v->rater_ids[v->nraters++] = rater_id;
                        if (u64map_put(&v->rater_index, (uint64_t)rater_id, rater) != 0)
                                return;
                }
                v->votes[v->n++] = (struct quality_vote){
                        .unit = db_res_int(res, row, C_UNIT),
                        .rater = rater,
                        .category = (uint32_t)json_integer_value(ci),
                        .value = db_res_int(res, row, C_VALUE),
                        .gold = db_res_bool(res, row, C_GOLD),
                        .gold_correct = db_res_bool(res, row, C_CORRECT),
                        .left = db_res_bool(res, row, C_LEFT),
                        .seconds = db_res_double(res, row, C_SECONDS),
                        .flags = (unsigned)db_res_int(res, row, C_FLAGS),
                };
        }
        rd->rc = 0;
}

static void next_chunk(struct reader *rd);
static void parsed(void *arg);

/* Ends the read once nothing is in flight. */
static void settle(struct reader *rd)
{
        if (rd->reading || rd->parsing)
                return;
        if (rd->error || (rd->last && !rd->waiting))
                finish(rd, rd->error);
}

/* The waiting chunk goes to a worker, and the next one is asked for. */
static void start_parse(struct reader *rd)
{
        rd->rows = rd->waiting;
        rd->nrows = rd->nwaiting;
        rd->waiting = NULL;
        rd->parsing = true;
        if (work_submit(rd->work, parse, parsed, rd) != 0) {
                rd->parsing = false;
                rd->error = "out of memory or shutting down";
                return;
        }
        if (!rd->last)
                next_chunk(rd);
}

static void parsed(void *arg)
{
        struct reader *rd = arg;
        rd->parsing = false;
        db_res_free(rd->rows);
        rd->rows = NULL;
        if (rd->rc != 0)
                rd->error = "out of memory";
        if (!rd->error && rd->waiting)
                start_parse(rd);
        settle(rd);
}

static void chunk_read(const struct db_res *res, void *arg)
{
        struct reader *rd = arg;
        rd->reading = false;
        if (db_res_status(res) != DB_OK) {
                if (db_res_status(res) == DB_FAILED)
                        log_error(NULL, "msg=quality_votes_failed sqlstate=%s detail=%s",
                                  db_res_sqlstate(res), LOGQ(db_res_message(res)));
                rd->error = db_res_status(res) == DB_UNAVAILABLE ? "unavailable" : "failed";
                settle(rd);
                return;
        }
        int n = db_res_nrows(res);
        rd->last = n < QVOTES_CHUNK;
        if (n > 0 && !rd->error) {
                rd->after = db_res_int(res, n - 1, C_ID);
                if (!(rd->waiting = db_res_keep(res))) {
                        rd->error = "out of memory";
                } else {
                        rd->nwaiting = n;
                        if (!rd->parsing)
                                start_parse(rd);
                }
        }
        settle(rd);
}

/* Up to $3 rated votes of project $1 with ids above $2, in id order. */
static const char chunk_sql[] = "SELECT id, comparison, rater, category, chosen, gold, correct, "
                                "left_chosen, seconds, flags "
                                "FROM prefd_quality_votes($1, $2, $3)";

static void next_chunk(struct reader *rd)
{
        char after[24], limit[24];
        snprintf(after, sizeof(after), "%lld", (long long)rd->after);
        snprintf(limit, sizeof(limit), "%d", QVOTES_CHUNK);
        const char *params[] = { rd->project, after, limit };
        rd->reading = true;
        db_query(rd->db, chunk_sql, 3, params, chunk_read, rd);
}

void qvotes_read(struct db *db, struct work *work, int64_t project, qvotes_fn fn, void *arg)
{
        struct reader *rd = calloc(1, sizeof(*rd));
        struct qvotes *v = calloc(1, sizeof(*v));
        if (!rd || !v || !(v->categories = json_object())) {
                free(rd);
                qvotes_free(v);
                fn(NULL, "out of memory", arg);
                return;
        }
        *rd = (struct reader){ .db = db, .work = work, .v = v, .fn = fn, .arg = arg };
        snprintf(rd->project, sizeof(rd->project), "%lld", (long long)project);
        next_chunk(rd);
}
