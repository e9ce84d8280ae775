/*
 * bulk.c - streamed JSON Lines uploads into one transaction; see bulk.h.
 *
 * Flow: project lookup -> pin a connection -> BEGIN -> open -> read the body -> store batches ->
 * at the end of the body the last batch -> close (when committing) -> COMMIT, or ROLLBACK when a
 * line was rejected and partial is off -> the report. The body goes through a pipeline of three
 * stages, each holding at most one batch's worth (advance() moves it on): the loop thread only
 * splits the body into records (jsonl.h) and copies their text into a chunk; a worker parses and
 * checks the chunk (JSON parsing is most of an import's CPU time); the database stores the
 * checked batch (b->step, one step at a time). So while batch N is in the database, chunk N + 1
 * is parsed and chunk N + 2 is read, and the socket is paused only when all three are busy.
 *
 * Lifetime: the upload outlives its request when the reply goes out while a step is still in the
 * database; every entry point holds it, and it is freed once replied, idle and unheld. After an
 * error reply the pin is kept until the running step ends, then rolled back.
 */
#include "bulk.h"

#include "app.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "jsonl.h"
#include "log.h"
#include "qv.h"
#include "work.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (8 * 1024 * 1024) /* a batch is stored at batch_records or this much text */

/* The raw text of records split off the body, waiting to be parsed together. */
struct chunk {
        struct buf text;
        struct span {
                size_t at, len;
                unsigned long line;
        } * spans;
        size_t n, cap;
};

static void chunk_fini(struct chunk *c)
{
        buf_fini(&c->text);
        free(c->spans);
        *c = (struct chunk){ 0 };
}

enum bulk_step {
        STEP_NONE,  /* nothing in the database */
        STEP_BEGIN, /* BEGIN */
        STEP_OPEN,  /* kind->open */
        STEP_STORE, /* kind->store of b->sending */
        STEP_CLOSE, /* kind->close */
        STEP_END,   /* COMMIT or ROLLBACK */
};

struct bulk {
        const struct bulk_kind *kind;
        void *state;     /* the kind's, freed with kind->state_free */
        struct req *req; /* NULL once replied */
        int holds;       /* entry points running */
        bool replied;
        bool failed; /* an error reply was sent: stop everything */
        char project_id[24];
        char user_id[24];
        bool partial;
        struct db_pin *pin;
        enum bulk_step step;
        struct jsonl jl;
        const struct config *cfg;
        struct work *work;
        struct chunk chunk; /* records split off the body, not yet parsed */
        bool parsing;       /* a chunk is on the worker pool */
        json_t *batch;      /* checked records waiting to be stored */
        json_t *sending;    /* the batch being stored */
        size_t batch_bytes;
        bool body_ended; /* the whole body arrived */
        long records;    /* records read (valid or not) */
        long accepted, unchanged, rejected;
        json_t *errors;
        bool truncated;
};

static void bulk_free(struct bulk *b)
{
        if (b->pin)
                db_unpin(b->pin);
        if (b->state && b->kind->state_free)
                b->kind->state_free(b->state);
        json_decref(b->batch);
        json_decref(b->sending);
        json_decref(b->errors);
        chunk_fini(&b->chunk);
        free(b);
}

static void hold(struct bulk *b)
{
        b->holds++;
}

static void drop(struct bulk *b)
{
        if (--b->holds == 0 && b->replied && b->step == STEP_NONE && !b->parsing)
                bulk_free(b);
}

struct db_pin *bulk_pin(const struct bulk *b)
{
        return b->pin;
}

const char *bulk_project_id(const struct bulk *b)
{
        return b->project_id;
}

static bool committing(const struct bulk *b);

bool bulk_committing(const struct bulk *b)
{
        return committing(b);
}

const char *bulk_user_id(const struct bulk *b)
{
        return b->user_id;
}

void *bulk_state(const struct bulk *b)
{
        return b->state;
}

void bulk_set_state(struct bulk *b, void *state)
{
        if (b->state && b->kind->state_free)
                b->kind->state_free(b->state);
        b->state = state;
}

void bulk_accepted(struct bulk *b, long n)
{
        b->accepted += n;
}

void bulk_unchanged(struct bulk *b, long n)
{
        b->unchanged += n;
}

void bulk_reject(struct bulk *b, unsigned long line, const char *id, const char *code,
                 const char *message)
{
        b->rejected++;
        if (json_array_size(b->errors) >= BULK_MAX_ERRORS) {
                b->truncated = true;
                return;
        }
        /* the message names its line, so that it reads alone */
        json_t *e = json_pack("{s:I, s:s, s:o}", "line", (json_int_t)line, "code", code, "message",
                              json_sprintf("line %lu: %s", line, message));
        if (e && id)
                json_object_set_new(e, "id", json_string(id));
        json_array_append_new(b->errors, e);
}

static int by_line(const void *x, const void *y)
{
        json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "line"));
        json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "line"));
        return (a > b) - (a < b);
}

/* The line errors in line order (the database's come after the parser's). */
static void sort_errors(json_t *errors)
{
        size_t n = json_array_size(errors);
        json_t **v = n ? malloc(n * sizeof(*v)) : NULL;
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(errors, i));
        qsort(v, n, sizeof(*v), by_line);
        json_array_clear(errors);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(errors, v[i]);
        free(v);
}

static bool committing(const struct bulk *b);

/* The answer's counts: a rolled back upload stored nothing, and says how many lines were valid. */
static json_t *report(struct bulk *b)
{
        sort_errors(b->errors);
        bool stored = committing(b);
        json_t *body = json_pack(
            "{s:I, s:I, s:I, s:O}", "accepted", (json_int_t)(stored ? b->accepted : 0), "unchanged",
            (json_int_t)b->unchanged, "rejected", (json_int_t)b->rejected, "errors", b->errors);
        if (body && !stored)
                json_object_set_new(body, "valid", json_integer((json_int_t)b->accepted));
        if (body && b->truncated)
                json_object_set_new(body, "errors_truncated", json_true());
        return body;
}

/* The request is answered: it is gone afterwards. */
static struct req *take_req(struct bulk *b)
{
        struct req *r = b->req;
        b->req = NULL;
        b->replied = true;
        return r;
}

/* Ends the upload with an error reply; the transaction is rolled back once no step runs. */
static void fail(struct bulk *b, int status, const char *code, const char *message)
{
        if (b->failed)
                return;
        b->failed = true;
        if (b->pin && b->step == STEP_NONE) {
                db_unpin(b->pin);
                b->pin = NULL;
        }
        req_reply_error(take_req(b), status, code, NULL, "%s", message);
}

bool bulk_failed(const struct bulk *b)
{
        return b->failed;
}

void bulk_step_failed(struct bulk *b, int status, const char *code, const char *message)
{
        fail(b, status, code, message);
}

static bool db_failed(struct bulk *b, const struct db_res *res)
{
        if (b->failed)
                return true;
        if (!res || db_res_status(res) == DB_OK)
                return false;
        if (db_res_status(res) == DB_UNAVAILABLE) {
                fail(b, 503, "unavailable", "the database became unavailable; nothing was stored");
        } else {
                log_error(b->req->id, "msg=upload_failed kind=%s sqlstate=%s detail=%s",
                          b->kind->what, db_res_sqlstate(res), LOGQ(db_res_message(res)));
                fail(b, 500, "internal", "the upload failed in the database; nothing was stored");
        }
        return true;
}

/* --- parsing on the worker pool --- */

/* A line's error found by the parser, reported on the loop (bulk_reject). */
struct line_error {
        unsigned long line;
        char *id; /* NULL when unknown */
        const char *code;
        char *message;
};

/*
 * One chunk parsed and checked on a worker: the run function touches only the job (the kind's
 * check function and the settings are read-only, the records the job's own).
 */
struct parse_job {
        struct bulk *b; /* only on the loop thread */
        const struct bulk_kind *kind;
        const struct config *cfg;
        struct chunk chunk;
        json_t *records; /* checked, in line order */
        size_t bytes;    /* text of the checked records */
        struct line_error *errors;
        size_t nerrors, errors_cap;
        bool oom;
};

static void parse_job_free(struct parse_job *j)
{
        if (!j)
                return;
        chunk_fini(&j->chunk);
        json_decref(j->records);
        for (size_t i = 0; i < j->nerrors; i++) {
                free(j->errors[i].id);
                free(j->errors[i].message);
        }
        free(j->errors);
        free(j);
}

static void job_reject(struct parse_job *j, unsigned long line, const char *id, const char *code,
                       const char *message)
{
        if (j->nerrors == j->errors_cap) {
                size_t cap = j->errors_cap ? j->errors_cap * 2 : 16;
                struct line_error *e = realloc(j->errors, cap * sizeof(*e));
                if (!e) {
                        j->oom = true;
                        return;
                }
                j->errors = e;
                j->errors_cap = cap;
        }
        struct line_error *e = &j->errors[j->nerrors++];
        *e = (struct line_error){ .line = line, .code = code };
        e->id = id ? strdup(id) : NULL;
        e->message = strdup(message);
        if ((id && !e->id) || !e->message)
                j->oom = true;
}

/* Parses and checks one record. */
static void parse_record(struct parse_job *j, const char *text, size_t len, unsigned long line)
{
        json_error_t err;
        json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        if (!o) {
                char msg[300];
                snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s", err.column, err.text);
                job_reject(j, line, NULL, "invalid_json", msg);
                return;
        }
        if (!json_is_object(o)) {
                job_reject(j, line, NULL, "validation_failed", "each line must be a JSON object");
                json_decref(o);
                return;
        }
        struct jv v = JV_INIT(o);
        json_t *rec = j->kind->check(&v, o, line, j->cfg);
        if (!rec) {
                const char *id = json_string_value(json_object_get(o, "id"));
                job_reject(j, line, id, "validation_failed", v.message);
        } else if (json_array_append_new(j->records, rec) != 0) {
                j->oom = true;
        } else {
                j->bytes += len;
        }
        json_decref(o);
}

static void parse_run(void *arg)
{
        struct parse_job *j = arg;
        for (size_t i = 0; i < j->chunk.n && !j->oom; i++) {
                const struct span *sp = &j->chunk.spans[i];
                parse_record(j, j->chunk.text.data + sp->at, sp->len, sp->line);
        }
        chunk_fini(&j->chunk);
}

static void advance(struct bulk *b);

/* On the loop: the parsed chunk becomes the batch to store (no batch is waiting). */
static void parse_done(void *arg)
{
        struct parse_job *j = arg;
        struct bulk *b = j->b;
        b->parsing = false;
        if (!b->failed && j->oom) {
                fail(b, 503, "unavailable", "out of memory");
        } else if (!b->failed) {
                for (size_t i = 0; i < j->nerrors; i++)
                        bulk_reject(b, j->errors[i].line, j->errors[i].id, j->errors[i].code,
                                    j->errors[i].message);
                json_decref(b->batch);
                b->batch = j->records;
                b->batch_bytes = j->bytes;
                j->records = NULL;
                advance(b);
        }
        parse_job_free(j);
        drop(b);
}

static bool chunk_full(const struct bulk *b)
{
        return b->chunk.n >= b->kind->batch_records || b->chunk.text.len >= BATCH_BYTES;
}

/* Hands the chunk to a worker (no parse runs and no parsed batch waits). */
static void submit_parse(struct bulk *b)
{
        struct parse_job *j = calloc(1, sizeof(*j));
        if (!j || !(j->records = json_array())) {
                parse_job_free(j);
                fail(b, 503, "unavailable", "out of memory");
                return;
        }
        j->b = b;
        j->kind = b->kind;
        j->cfg = b->cfg;
        j->chunk = b->chunk;
        b->chunk = (struct chunk){ 0 };
        if (work_submit(b->work, parse_run, parse_done, j) != 0) {
                parse_job_free(j);
                fail(b, 503, "unavailable", "the server is shutting down; nothing was stored");
                return;
        }
        b->parsing = true;
        hold(b);
}

/* Adds one record's text to the chunk. */
static void take_record(struct bulk *b, const char *text, size_t len, unsigned long line)
{
        struct chunk *c = &b->chunk;
        b->records++;
        if (c->n == c->cap) {
                size_t cap = c->cap ? c->cap * 2 : 256;
                struct span *sp = realloc(c->spans, cap * sizeof(*sp));
                if (!sp) {
                        fail(b, 503, "unavailable", "out of memory");
                        return;
                }
                c->spans = sp;
                c->cap = cap;
        }
        c->spans[c->n++] = (struct span){ .at = c->text.len, .len = len, .line = line };
        buf_put(&c->text, text, len);
        if (c->text.oom)
                fail(b, 503, "unavailable", "out of memory");
}

static void end_body(struct bulk *b);

/* Hands the parsed batch to the kind (no step may be running). */
static void store_batch(struct bulk *b)
{
        if (json_array_size(b->batch) == 0 || b->failed)
                return;
        json_t *fresh = json_array();
        if (!fresh) {
                fail(b, 503, "unavailable", "out of memory");
                return;
        }
        b->sending = b->batch;
        b->batch = fresh;
        b->batch_bytes = 0;
        b->step = STEP_STORE;
        b->kind->store(b, b->sending);
}

/*
 * Splits every complete record in the buffered body off into the chunk; hands a full chunk to
 * the workers when none is being parsed, else pauses the socket until the pipeline moves.
 */
static void process(struct bulk *b)
{
        struct req *r = b->req;
        while (!b->failed) {
                if (chunk_full(b)) {
                        if (b->parsing || json_array_size(b->batch) > 0) {
                                req_body_pause(r);
                                return;
                        }
                        submit_parse(b);
                        continue;
                }
                size_t len = evbuffer_get_length(r->body), start = 0, rlen = 0, used = 0;
                const char *buf = len ? (const char *)evbuffer_pullup(r->body, -1) : "";
                enum jsonl_status st =
                    jsonl_next(&b->jl, buf, len, b->body_ended, &start, &rlen, &used);
                if (st == JSONL_RECORD)
                        take_record(b, buf + start, rlen, b->jl.number);
                evbuffer_drain(r->body, used);
                if (st == JSONL_ERROR) {
                        char msg[200];
                        if (b->jl.at > 0)
                                snprintf(msg, sizeof(msg),
                                         "line %lu is longer than the record limit (%zu bytes, "
                                         "PREFD_MAX_LINE); nothing was stored",
                                         b->jl.at, b->jl.max);
                        else
                                snprintf(msg, sizeof(msg),
                                         "%s (after line %lu); nothing was stored", b->jl.error,
                                         b->jl.mode == 2 ? b->jl.number : b->jl.lines);
                        if (strstr(b->jl.error, "longer"))
                                fail(b, 413, "payload_too_large", msg);
                        else
                                fail(b, 400, "invalid_json", msg);
                        return;
                }
                if (st != JSONL_RECORD)
                        break;
        }
}

/*
 * Moves the pipeline on after any of its stages finished: body -> chunk (loop) -> parse (one
 * worker job) -> batch -> store (the database), each stage holding at most one; at the end of
 * the body, close and COMMIT or ROLLBACK.
 */
static void advance(struct bulk *b)
{
        if (b->failed)
                return;
        if (b->step == STEP_NONE && json_array_size(b->batch) > 0)
                store_batch(b);
        if (b->failed)
                return;
        if (b->body_ended)
                process(b);
        if (b->failed)
                return;
        if (!b->parsing && json_array_size(b->batch) == 0 &&
            (chunk_full(b) || (b->body_ended && b->chunk.n > 0)))
                submit_parse(b);
        if (b->failed)
                return;
        if (!b->body_ended) {
                if (!chunk_full(b))
                        req_body_resume(b->req); /* may call process() at once */
                return;
        }
        if (b->step == STEP_NONE && !b->parsing && b->chunk.n == 0 &&
            json_array_size(b->batch) == 0)
                end_body(b);
}

static void on_data(struct req *r)
{
        struct bulk *b = r->state;
        hold(b);
        process(b);
        drop(b);
}

static bool committing(const struct bulk *b)
{
        return b->rejected == 0 || b->partial;
}

static void reply_report(struct bulk *b)
{
        db_unpin(b->pin);
        b->pin = NULL;
        struct req *r = take_req(b);
        log_info(r->id,
                 "msg=uploaded kind=%s project=%s accepted=%ld unchanged=%ld rejected=%ld "
                 "stored=%s",
                 b->kind->what, b->project_id, b->accepted, b->unchanged, b->rejected,
                 committing(b) ? "yes" : "no");
        json_t *body = report(b);
        if (committing(b)) {
                req_reply_json(r, 200, body);
                return;
        }
        char msg[200];
        snprintf(msg, sizeof(msg), "%ld of %ld lines were rejected; nothing was stored",
                 b->rejected, b->records);
        json_object_set_new(body, "error",
                            json_pack("{s:s, s:s}", "code", "validation_failed", "message", msg));
        req_reply_json(r, 422, body);
}

static void end_done(const struct db_res *res, void *arg)
{
        bulk_step_done(arg, res);
}

static void end_transaction(struct bulk *b)
{
        b->step = STEP_END;
        db_pin_script(b->pin, committing(b) ? "COMMIT" : "ROLLBACK", end_done, b);
}

/* The whole body is parsed and stored: close, then COMMIT or ROLLBACK. */
static void end_body(struct bulk *b)
{
        if (b->records == 0) {
                fail(b, 400, "bad_request", "the upload has no lines");
                return;
        }
        if (committing(b) && b->kind->close) {
                b->step = STEP_CLOSE;
                b->kind->close(b);
                return;
        }
        end_transaction(b);
}

static void on_end(struct req *r, enum req_body_status status)
{
        struct bulk *b = r->state;
        hold(b);
        if (status == REQ_BODY_TOO_LARGE) {
                char msg[100];
                snprintf(msg, sizeof(msg), "the upload exceeds %ld bytes; nothing was stored",
                         r->app->cfg->max_upload);
                fail(b, 413, "payload_too_large", msg);
        } else if (status == REQ_BODY_TIMEOUT) {
                fail(b, 408, "bad_request",
                     "the upload did not arrive in time; nothing was stored");
        } else if (status != REQ_BODY_OK) {
                fail(b, 400, "bad_request",
                     "the upload did not arrive completely; nothing was stored");
        } else {
                b->body_ended = true;
                advance(b);
        }
        drop(b);
}

static void free_run(void *arg)
{
        json_decref(arg);
}

/*
 * Frees a stored batch on a worker: its records were made there, and freeing thousands of
 * small objects (malloc consolidating) was a large part of the loop's time in an import.
 */
static void release(struct bulk *b, json_t *batch)
{
        if (batch && work_submit(b->work, free_run, NULL, batch) != 0)
                json_decref(batch);
}

void bulk_step_done(struct bulk *b, const struct db_res *res)
{
        enum bulk_step step = b->step;
        b->step = STEP_NONE;
        hold(b);
        if (step == STEP_STORE) {
                release(b, b->sending);
                b->sending = NULL;
        }
        if (db_failed(b, res)) {
                /* Replied already (now or earlier): roll back and let go. */
                if (b->pin) {
                        db_unpin(b->pin);
                        b->pin = NULL;
                }
        } else {
                switch (step) {
                case STEP_BEGIN:
                        if (b->kind->open) {
                                b->step = STEP_OPEN;
                                b->kind->open(b);
                                break;
                        }
                        /* fall through */
                case STEP_OPEN:
                        req_body_read(b->req, b->req->app->cfg->max_upload, on_data, on_end);
                        break;
                case STEP_STORE:
                        advance(b);
                        break;
                case STEP_CLOSE:
                        end_transaction(b);
                        break;
                case STEP_END:
                        reply_report(b);
                        break;
                case STEP_NONE:
                        break;
                }
        }
        drop(b);
}

static void begun(const struct db_res *res, void *arg)
{
        bulk_step_done(arg, res);
}

static void pinned(struct db_pin *pin, void *arg)
{
        struct bulk *b = arg;
        hold(b);
        if (!pin) {
                fail(b, 503, "unavailable", "the database is unavailable, try again shortly");
        } else {
                b->pin = pin;
                b->step = STEP_BEGIN;
                db_pin_script(pin, "BEGIN", begun, b);
        }
        drop(b);
}

static void project_found(struct req *r, const struct db_res *res)
{
        struct bulk *b = r->state;
        if (db_res_status(res) != DB_OK || db_res_nrows(res) != 1) {
                /* Nothing else holds the upload yet: free it with the reply. */
                r->state = NULL;
                b->req = NULL;
                bulk_free(b);
                if (!req_db_failed(r, res))
                        req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"",
                                        req_param(r, 0));
                return;
        }
        snprintf(b->project_id, sizeof(b->project_id), "%s", db_res_value(res, 0, 0));
        db_pin(r->app->db, pinned, b);
}

/* The project the upload goes to: $1 its slug. */
static const char project_sql[] = "SELECT id "
                                  "FROM projects "
                                  "WHERE slug = $1";

void bulk_run(struct req *r, const struct bulk_kind *kind)
{
        static const char *const known[] = { "partial", NULL };
        bool partial = false;
        struct qv q;
        qv_init(&q, r, known);
        qv_bool(&q, "partial", &partial);
        if (qv_reply(&q))
                return;
        struct bulk *b = calloc(1, sizeof(*b));
        if (!b || !(b->batch = json_array()) || !(b->errors = json_array())) {
                if (b)
                        json_decref(b->batch);
                free(b);
                req_reply_oom(r);
                return;
        }
        b->kind = kind;
        b->req = r;
        b->cfg = r->app->cfg;
        b->work = r->app->work;
        b->partial = partial;
        snprintf(b->user_id, sizeof(b->user_id), "%s", r->user.id_text);
        jsonl_init(&b->jl, (size_t)r->app->cfg->max_line);
        r->state = b; /* not owned by the request: see "Lifetime" above */
        const char *params[] = { req_param(r, 0) };
        req_db(r, project_sql, 1, params, project_found);
}
