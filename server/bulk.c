/*
 * bulk.c - streamed JSON Lines uploads into one transaction; see bulk.h.
 *
 * Flow: project lookup -> pin a connection -> BEGIN [-> open_sql] -> read the body, check each
 * record, send full batches (pausing the socket meanwhile) -> at the end of the body the last
 * batch -> COMMIT (no rejection, or partial) or ROLLBACK -> the report.
 *
 * Lifetime: the upload outlives its request when the reply goes out while a statement is still
 * in the database; every entry point holds it, and it is freed once replied, idle and unheld.
 */
#include "bulk.h"

#include "app.h"
#include "config.h"
#include "db.h"
#include "jsonl.h"
#include "log.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (8 * 1024 * 1024) /* a batch is sent at batch_records or this much text */

struct bulk {
        const struct bulk_kind *kind;
        struct req *req; /* NULL once replied */
        int holds;       /* entry points running */
        bool replied;
        char project_id[24];
        char user_id[24];
        char open_value[24]; /* first value of kind->open_sql: $3 of every batch */
        bool partial;
        struct db_pin *pin;
        struct jsonl jl;
        json_t *batch; /* checked records waiting to be sent */
        size_t batch_bytes;
        bool in_flight;  /* a statement is in the database */
        bool body_ended; /* the whole body arrived */
        bool finishing;  /* COMMIT or ROLLBACK under way */
        bool failed;     /* an error reply was sent: stop everything */
        long records;    /* records read (valid or not) */
        long accepted, unchanged, rejected;
        json_t *errors;
        bool truncated;
};

static void bulk_free(struct bulk *b)
{
        if (b->pin)
                db_unpin(b->pin);
        json_decref(b->batch);
        json_decref(b->errors);
        free(b);
}

static void hold(struct bulk *b)
{
        b->holds++;
}

static void drop(struct bulk *b)
{
        if (--b->holds == 0 && b->replied && !b->in_flight)
                bulk_free(b);
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
        json_t *e = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "code", code, "message",
                              message);
        if (e && id)
                json_object_set_new(e, "id", json_string(id));
        json_array_append_new(b->errors, e);
}

static json_t *report(struct bulk *b)
{
        json_t *body = json_pack("{s:I, s:I, s:I, s:O}", "accepted", (json_int_t)b->accepted,
                                 "unchanged", (json_int_t)b->unchanged, "rejected",
                                 (json_int_t)b->rejected, "errors", b->errors);
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

/* Ends the upload with an error reply; the pin's transaction is rolled back. */
static void fail(struct bulk *b, int status, const char *code, const char *message)
{
        if (b->failed)
                return;
        b->failed = true;
        if (b->pin) {
                db_unpin(b->pin);
                b->pin = NULL;
        }
        req_reply_error(take_req(b), status, code, NULL, "%s", message);
}

static bool db_failed(struct bulk *b, const struct db_res *res)
{
        if (b->failed)
                return true;
        if (db_res_status(res) == DB_OK)
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

/* Parses, checks and queues one record. */
static void take_record(struct bulk *b, const char *text, size_t len, unsigned long line,
                        const struct config *cfg)
{
        json_error_t err;
        b->records++;
        json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        if (!o) {
                char msg[300];
                snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s", err.column, err.text);
                bulk_reject(b, line, NULL, "invalid_json", msg);
                return;
        }
        if (!json_is_object(o)) {
                bulk_reject(b, line, NULL, "validation_failed", "each line must be a JSON object");
                json_decref(o);
                return;
        }
        struct jv v = JV_INIT(o);
        json_t *rec = b->kind->check(&v, o, line, cfg);
        if (!rec) {
                const char *id = json_string_value(json_object_get(o, "id"));
                bulk_reject(b, line, id, "validation_failed", v.message);
        } else {
                b->batch_bytes += len;
                json_array_append_new(b->batch, rec);
        }
        json_decref(o);
}

static void process(struct bulk *b);
static void finish(struct bulk *b);

static void batch_done(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        b->in_flight = false;
        hold(b);
        if (!db_failed(b, res)) {
                b->kind->result(b, res);
                if (b->body_ended)
                        finish(b);
                else
                        req_body_resume(b->req); /* may call process() at once */
        }
        drop(b);
}

static void send_batch(struct bulk *b)
{
        if (json_array_size(b->batch) == 0 || b->failed)
                return;
        char *text = json_dumps(b->batch, JSON_COMPACT);
        json_array_clear(b->batch);
        b->batch_bytes = 0;
        if (!text) {
                fail(b, 503, "unavailable", "out of memory");
                return;
        }
        const char *params[] = { b->project_id, text, b->open_value };
        b->in_flight = true;
        req_body_pause(b->req);
        db_pin_query(b->pin, b->kind->batch_sql, b->kind->open_sql ? 3 : 2, params, batch_done, b);
        free(text);
}

/* Takes every complete record in the buffered body; sends full batches. */
static void process(struct bulk *b)
{
        struct req *r = b->req;
        const struct config *cfg = r->app->cfg;
        while (!b->in_flight && !b->failed) {
                size_t len = evbuffer_get_length(r->body), start = 0, rlen = 0, used = 0;
                const char *buf = len ? (const char *)evbuffer_pullup(r->body, -1) : "";
                enum jsonl_status st =
                    jsonl_next(&b->jl, buf, len, b->body_ended, &start, &rlen, &used);
                if (st == JSONL_RECORD)
                        take_record(b, buf + start, rlen, b->jl.number, cfg);
                evbuffer_drain(r->body, used);
                if (st == JSONL_ERROR) {
                        char msg[200];
                        snprintf(msg, sizeof(msg), "%s (after line %lu); nothing was stored",
                                 b->jl.error, b->jl.mode == 2 ? b->jl.number : b->jl.lines);
                        if (strstr(b->jl.error, "longer"))
                                fail(b, 413, "payload_too_large", msg);
                        else
                                fail(b, 400, "invalid_json", msg);
                        return;
                }
                if (json_array_size(b->batch) >= b->kind->batch_records ||
                    b->batch_bytes >= BATCH_BYTES)
                        send_batch(b);
                if (st != JSONL_RECORD)
                        break;
        }
}

static void on_data(struct req *r)
{
        struct bulk *b = r->state;
        hold(b);
        process(b);
        drop(b);
}

static void ended(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        bool commit = b->rejected == 0 || b->partial;
        b->in_flight = false;
        hold(b);
        if (db_failed(b, res)) {
                drop(b);
                return;
        }
        db_unpin(b->pin);
        b->pin = NULL;
        struct req *r = take_req(b);
        log_info(r->id,
                 "msg=uploaded kind=%s project=%s accepted=%ld unchanged=%ld rejected=%ld "
                 "stored=%s",
                 b->kind->what, b->project_id, b->accepted, b->unchanged, b->rejected,
                 commit ? "yes" : "no");
        json_t *body = report(b);
        if (commit) {
                req_reply_json(r, 200, body);
        } else {
                char msg[200];
                snprintf(msg, sizeof(msg), "%ld of %ld lines were rejected; nothing was stored",
                         b->rejected, b->records);
                json_object_set_new(
                    body, "error",
                    json_pack("{s:s, s:s}", "code", "validation_failed", "message", msg));
                req_reply_json(r, 422, body);
        }
        drop(b);
}

/* The body is complete and every batch is back: commit or roll back, then reply. */
static void finish(struct bulk *b)
{
        if (b->failed || b->finishing)
                return;
        process(b);
        if (b->failed)
                return;
        if (json_array_size(b->batch) > 0) {
                send_batch(b); /* batch_done calls finish again */
                return;
        }
        if (b->in_flight)
                return;
        if (b->records == 0) {
                fail(b, 400, "bad_request", "the upload has no lines");
                return;
        }
        b->finishing = true;
        b->in_flight = true;
        bool commit = b->rejected == 0 || b->partial;
        db_pin_script(b->pin, commit ? "COMMIT" : "ROLLBACK", ended, b);
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
        } else if (status == REQ_BODY_ABORTED) {
                fail(b, 400, "bad_request",
                     "the upload did not arrive completely; nothing was stored");
        } else {
                b->body_ended = true;
                if (!b->in_flight)
                        finish(b);
        }
        drop(b);
}

static void opened(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        b->in_flight = false;
        hold(b);
        if (!db_failed(b, res)) {
                snprintf(b->open_value, sizeof(b->open_value), "%s", db_res_value(res, 0, 0));
                req_body_read(b->req, b->req->app->cfg->max_upload, on_data, on_end);
        }
        drop(b);
}

static void begun(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        b->in_flight = false;
        hold(b);
        if (!db_failed(b, res)) {
                if (b->kind->open_sql) {
                        const char *params[] = { b->project_id, b->user_id };
                        b->in_flight = true;
                        db_pin_query(b->pin, b->kind->open_sql, 2, params, opened, b);
                } else {
                        req_body_read(b->req, b->req->app->cfg->max_upload, on_data, on_end);
                }
        }
        drop(b);
}

static void pinned(struct db_pin *pin, void *arg)
{
        struct bulk *b = arg;
        hold(b);
        if (!pin) {
                fail(b, 503, "unavailable", "the database is unavailable, try again shortly");
        } else {
                b->pin = pin;
                b->in_flight = true;
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

void bulk_run(struct req *r, const struct bulk_kind *kind)
{
        char partial[16];
        int q = req_query(r, "partial", partial, sizeof(partial));
        if (q < 0 || (q == 1 && strcmp(partial, "true") != 0 && strcmp(partial, "false") != 0)) {
                req_reply_error(r, 400, "bad_request", NULL, "partial must be true or false");
                return;
        }
        struct bulk *b = calloc(1, sizeof(*b));
        if (!b || !(b->batch = json_array()) || !(b->errors = json_array())) {
                if (b)
                        json_decref(b->batch);
                free(b);
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        b->kind = kind;
        b->req = r;
        b->partial = q == 1 && strcmp(partial, "true") == 0;
        snprintf(b->user_id, sizeof(b->user_id), "%lld", (long long)r->user.id);
        jsonl_init(&b->jl, (size_t)r->app->cfg->max_line);
        r->state = b; /* not owned by the request: see "Lifetime" above */
        const char *params[] = { req_param(r, 0) };
        req_db(r, "SELECT id FROM projects WHERE slug = $1", 1, params, project_found);
}
