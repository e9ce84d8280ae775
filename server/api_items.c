/*
 * api_items.c - POST /api/v1/projects/{slug}/items: prompts with the responses to compare, as
 * JSON Lines (or one JSON array), streamed.
 *
 * The body is split into records as it arrives (jsonl.h); each record is parsed and validated
 * on its own and valid ones are sent to PostgreSQL in batches (prefd_items_put) inside one
 * transaction on a pinned connection. While a batch is in the database the socket is not read,
 * so memory stays bounded by one batch and one record whatever the upload's size.
 *
 * All or nothing by default: any rejected line rolls the transaction back (422 with every
 * line's error); ?partial=true commits the valid lines. A line already stored with the same
 * content is "unchanged"; the same id with other content is rejected with code "conflict".
 *
 * Lifetime: the upload outlives its request when the reply goes out while a statement is still
 * in the database; every entry point holds it, and it is freed once replied, idle and unheld.
 */
#include "api.h"

#include "app.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonl.h"
#include "jsonv.h"
#include "log.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_ITEMS 500               /* records per prefd_items_put call */
#define BATCH_BYTES (8 * 1024 * 1024) /* or this much text, whichever comes first */
#define MAX_ERRORS  1000              /* line errors reported; the count goes on */

struct upload {
        struct req *req; /* NULL once replied */
        int holds;       /* entry points running */
        bool replied;
        char project_id[24];
        bool partial;
        struct db_pin *pin;
        struct jsonl jl;
        json_t *batch; /* validated items waiting to be sent */
        size_t batch_bytes;
        bool in_flight;  /* a statement is in the database */
        bool body_ended; /* the whole body arrived */
        bool finishing;  /* COMMIT or ROLLBACK under way */
        bool failed;     /* a reply was decided: stop everything */
        long records;    /* records read (valid or not) */
        long accepted, unchanged, rejected;
        json_t *errors;
        bool truncated;
};

static void upload_free(struct upload *u)
{
        if (u->pin)
                db_unpin(u->pin);
        json_decref(u->batch);
        json_decref(u->errors);
        free(u);
}

static void hold(struct upload *u)
{
        u->holds++;
}

static void drop(struct upload *u)
{
        if (--u->holds == 0 && u->replied && !u->in_flight)
                upload_free(u);
}

/* The one reply; the request is gone afterwards. */
static void reply(struct upload *u, int status, json_t *body)
{
        struct req *r = u->req;
        u->req = NULL;
        u->replied = true;
        req_reply_json(r, status, body);
}

static void add_error(struct upload *u, unsigned long line, const char *id, const char *code,
                      const char *message)
{
        u->rejected++;
        if (json_array_size(u->errors) >= MAX_ERRORS) {
                u->truncated = true;
                return;
        }
        json_t *e = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "code", code, "message",
                              message);
        if (e && id)
                json_object_set_new(e, "id", json_string(id));
        json_array_append_new(u->errors, e);
}

static json_t *report(struct upload *u)
{
        json_t *body = json_pack("{s:I, s:I, s:I, s:O}", "accepted", (json_int_t)u->accepted,
                                 "unchanged", (json_int_t)u->unchanged, "rejected",
                                 (json_int_t)u->rejected, "errors", u->errors);
        if (body && u->truncated)
                json_object_set_new(body, "errors_truncated", json_true());
        return body;
}

/* Ends the upload with an error reply; the pin is released (rolled back) with the request. */
static void fail(struct upload *u, int status, const char *code, const char *message)
{
        if (u->failed)
                return;
        u->failed = true;
        if (u->pin) {
                db_unpin(u->pin);
                u->pin = NULL;
        }
        struct req *r = u->req;
        u->req = NULL;
        u->replied = true;
        req_reply_error(r, status, code, NULL, "%s", message);
}

static bool db_failed(struct upload *u, const struct db_res *res)
{
        if (u->failed)
                return true;
        if (db_res_status(res) == DB_OK)
                return false;
        if (db_res_status(res) == DB_UNAVAILABLE) {
                fail(u, 503, "unavailable", "the database became unavailable; nothing was stored");
        } else {
                log_error(u->req->id, "msg=item_upload_failed sqlstate=%s detail=%s",
                          db_res_sqlstate(res), LOGQ(db_res_message(res)));
                fail(u, 500, "internal", "the upload failed in the database; nothing was stored");
        }
        return true;
}

/* --- validation of one record --- */

static bool valid_id(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static bool valid_language(const char *s)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return false;
        return true;
}

static const char *const item_fields[] = { "id",        "prompt",     "category", "language",
                                           "responses", "metadata",   "model_a",  "response_a",
                                           "model_b",   "response_b", "gold",     "gold_reason",
                                           NULL };
static const char *const gold_names[] = { "model_a", "model_b", "tie", NULL };

/* Reads one response {model, text} (or the pair fields) into `responses`. */
static void add_response(struct jv *v, json_t *responses, json_t *model, json_t *text,
                         const char *where, size_t max_text)
{
        if (v->failed)
                return;
        if (!json_is_string(model) || json_string_length(model) < 1 ||
            json_string_length(model) > 200 || !valid_id(json_string_value(model))) {
                jv_fail(v, where, "%s: the model must be a name of 1 to 200 characters", where);
                return;
        }
        if (!json_is_string(text)) {
                jv_fail(v, where, "%s: the text must be a string (it may be empty)", where);
                return;
        }
        if (json_string_length(text) > max_text) {
                jv_fail(v, where, "%s: the text is longer than %zu bytes", where, max_text);
                return;
        }
        size_t i;
        json_t *e;
        json_array_foreach(responses, i, e)
        {
                if (json_equal(json_object_get(e, "model"), model)) {
                        jv_fail(v, where,
                                "model \"%s\" answers twice; the responses of a prompt "
                                "must come from different models",
                                json_string_value(model));
                        return;
                }
        }
        json_array_append_new(responses, json_pack("{s:O, s:O}", "model", model, "text", text));
}

/*
 * Validates a parsed record and builds the item sent to the database. Returns NULL with v
 * failed when the record is invalid.
 */
static json_t *item_of(struct jv *v, json_t *o, unsigned long line, size_t max_text)
{
        jv_keys(v, item_fields);
        const char *id = jv_string(v, "id", JV_REQUIRED, 1, 200);
        if (id && !valid_id(id))
                jv_fail(v, "id", "\"id\" must not contain control characters");
        jv_string(v, "prompt", JV_REQUIRED, 1, max_text);
        const char *category = jv_string(v, "category", JV_OPTIONAL, 0, 100);
        const char *language = jv_string(v, "language", JV_OPTIONAL, 0, 35);
        if (language && !valid_language(language))
                jv_fail(v, "language", "\"language\" must be a language tag such as en or zh-CN");
        json_t *metadata = json_object_get(o, "metadata");
        if (metadata && !json_is_object(metadata) && !json_is_null(metadata))
                jv_fail(v, "metadata", "\"metadata\" must be an object");
        const char *gold = jv_enum(v, "gold", JV_OPTIONAL, gold_names);
        const char *gold_reason = jv_string(v, "gold_reason", JV_OPTIONAL, 0, 10000);
        if (gold_reason && !gold)
                jv_fail(v, "gold_reason", "\"gold_reason\" needs \"gold\"");
        if (v->failed)
                return NULL;

        json_t *responses = json_array();
        json_t *list = json_object_get(o, "responses");
        bool pair = jv_has(v, "model_a") || jv_has(v, "model_b") || jv_has(v, "response_a") ||
                    jv_has(v, "response_b");
        if (list && pair) {
                jv_fail(v, "responses",
                        "give either \"responses\" or model_a/response_a/model_b/"
                        "response_b, not both");
        } else if (list) {
                if (!json_is_array(list) || json_array_size(list) < 2) {
                        jv_fail(v, "responses",
                                "\"responses\" must be an array of at least two {\"model\", "
                                "\"text\"} objects");
                } else if (gold) {
                        jv_fail(v, "gold",
                                "\"gold\" is only allowed on an explicit pair "
                                "(model_a/response_a/model_b/response_b)");
                } else if (json_array_size(list) > 64) {
                        jv_fail(v, "responses", "\"responses\" may hold at most 64 answers");
                }
                size_t i;
                json_t *e;
                json_array_foreach(list, i, e)
                {
                        char where[48];
                        snprintf(where, sizeof(where), "responses[%zu]", i);
                        if (v->failed)
                                break;
                        const char *key;
                        json_t *val;
                        if (!json_is_object(e)) {
                                jv_fail(v, where, "%s must be an object {\"model\", \"text\"}",
                                        where);
                                break;
                        }
                        json_object_foreach(e, key, val)
                        {
                                if (strcmp(key, "model") != 0 && strcmp(key, "text") != 0) {
                                        jv_fail(v, where, "%s: unknown field \"%s\"", where, key);
                                        break;
                                }
                        }
                        add_response(v, responses, json_object_get(e, "model"),
                                     json_object_get(e, "text"), where, max_text);
                }
        } else if (pair) {
                static const char *const need[] = { "model_a", "response_a", "model_b",
                                                    "response_b" };
                for (size_t i = 0; i < ARRAY_LEN(need) && !v->failed; i++)
                        if (!jv_has(v, need[i]))
                                jv_fail(v, need[i], "\"%s\" is required for an explicit pair",
                                        need[i]);
                add_response(v, responses, json_object_get(o, "model_a"),
                             json_object_get(o, "response_a"), "model_a", max_text);
                add_response(v, responses, json_object_get(o, "model_b"),
                             json_object_get(o, "response_b"), "model_b", max_text);
        } else {
                jv_fail(v, "responses",
                        "a line needs \"responses\" (two or more) or an explicit pair "
                        "model_a/response_a/model_b/response_b");
        }
        if (v->failed) {
                json_decref(responses);
                return NULL;
        }

        /* The digest of the line's content, independent of key order and spacing. */
        char *canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        unsigned char h[CRYPTO_SHA256_LEN];
        char digest[65];
        if (!canon) {
                json_decref(responses);
                jv_fail(v, NULL, "out of memory");
                return NULL;
        }
        crypto_sha256(canon, strlen(canon), h);
        crypto_hex(h, sizeof(h), digest);
        free(canon);
        return json_pack("{s:I, s:O, s:O, s:s, s:s, s:O?, s:s?, s:s?, s:s, s:o}", "line",
                         (json_int_t)line, "id", json_object_get(o, "id"), "prompt",
                         json_object_get(o, "prompt"), "category", category ? category : "",
                         "language", language ? language : "", "metadata",
                         json_is_null(metadata) ? NULL : metadata, "gold", gold, "gold_reason",
                         gold_reason, "digest", digest, "responses", responses);
}

/* Parses, validates and queues one record. */
static void take_record(struct upload *u, const char *text, size_t len, unsigned long line,
                        size_t max_text)
{
        json_error_t err;
        u->records++;
        json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
        if (!o) {
                char msg[300];
                snprintf(msg, sizeof(msg), "invalid JSON at column %d: %s", err.column, err.text);
                add_error(u, line, NULL, "invalid_json", msg);
                return;
        }
        if (!json_is_object(o)) {
                add_error(u, line, NULL, "validation_failed", "each line must be a JSON object");
                json_decref(o);
                return;
        }
        struct jv v = JV_INIT(o);
        json_t *item = item_of(&v, o, line, max_text);
        if (!item) {
                const char *id = json_string_value(json_object_get(o, "id"));
                add_error(u, line, id, "validation_failed", v.message);
                json_decref(o);
                return;
        }
        u->batch_bytes += len;
        json_array_append_new(u->batch, item);
        json_decref(o);
}

/* --- the flow --- */

static void process(struct upload *u);
static void finish(struct upload *u);

static void batch_done(const struct db_res *res, void *arg)
{
        struct upload *u = arg;
        u->in_flight = false;
        hold(u);
        if (db_failed(u, res)) {
                drop(u);
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++) {
                const char *status = db_res_value(res, i, 2);
                if (strcmp(status, "accepted") == 0) {
                        u->accepted++;
                } else if (strcmp(status, "unchanged") == 0) {
                        u->unchanged++;
                } else {
                        char msg[300];
                        snprintf(msg, sizeof(msg),
                                 "an item with id \"%s\" was uploaded before with different "
                                 "content",
                                 db_res_value(res, i, 1));
                        add_error(u, (unsigned long)db_res_int(res, i, 0), db_res_value(res, i, 1),
                                  "conflict", msg);
                }
        }
        if (u->body_ended)
                finish(u);
        else
                req_body_resume(u->req); /* may call process() at once */
        drop(u);
}

static void send_batch(struct upload *u)
{
        if (json_array_size(u->batch) == 0 || u->failed)
                return;
        char *text = json_dumps(u->batch, JSON_COMPACT);
        json_array_clear(u->batch);
        u->batch_bytes = 0;
        if (!text) {
                fail(u, 503, "unavailable", "out of memory");
                return;
        }
        const char *params[] = { u->project_id, text };
        u->in_flight = true;
        req_body_pause(u->req);
        db_pin_query(u->pin, "SELECT line, item, status FROM prefd_items_put($1, $2::jsonb)", 2,
                     params, batch_done, u);
        free(text);
}

/* Takes every complete record in the buffered body; sends full batches. */
static void process(struct upload *u)
{
        struct req *r = u->req;
        size_t max_text = (size_t)r->app->cfg->max_text;
        while (!u->in_flight && !u->failed) {
                size_t len = evbuffer_get_length(r->body), start = 0, rlen = 0, used = 0;
                const char *buf = len ? (const char *)evbuffer_pullup(r->body, -1) : "";
                enum jsonl_status st =
                    jsonl_next(&u->jl, buf, len, u->body_ended, &start, &rlen, &used);
                if (st == JSONL_RECORD)
                        take_record(u, buf + start, rlen, u->jl.number, max_text);
                evbuffer_drain(r->body, used);
                if (st == JSONL_ERROR) {
                        bool too_long = strstr(u->jl.error, "longer") != NULL;
                        char msg[200];
                        snprintf(msg, sizeof(msg), "%s (after line %lu); nothing was stored",
                                 u->jl.error, u->jl.mode == 2 ? u->jl.number : u->jl.lines);
                        if (too_long)
                                fail(u, 413, "payload_too_large", msg);
                        else
                                fail(u, 400, "invalid_json", msg);
                        return;
                }
                if (json_array_size(u->batch) >= BATCH_ITEMS || u->batch_bytes >= BATCH_BYTES)
                        send_batch(u);
                if (st != JSONL_RECORD)
                        break;
        }
}

static void on_data(struct req *r)
{
        struct upload *u = r->state;
        hold(u);
        process(u);
        drop(u);
}

static void ended(const struct db_res *res, void *arg)
{
        struct upload *u = arg;
        bool commit = u->rejected == 0 || u->partial;
        u->in_flight = false;
        hold(u);
        if (db_failed(u, res)) {
                drop(u);
                return;
        }
        db_unpin(u->pin);
        u->pin = NULL;
        struct req *r = u->req;
        log_info(r->id,
                 "msg=items_uploaded project=%s accepted=%ld unchanged=%ld rejected=%ld "
                 "stored=%s",
                 u->project_id, u->accepted, u->unchanged, u->rejected, commit ? "yes" : "no");
        json_t *body = report(u);
        if (commit) {
                reply(u, 200, body);
                drop(u);
                return;
        }
        char msg[200];
        snprintf(msg, sizeof(msg), "%ld of %ld lines were rejected; nothing was stored",
                 u->rejected, u->records);
        json_object_set_new(body, "error",
                            json_pack("{s:s, s:s}", "code", "validation_failed", "message", msg));
        reply(u, 422, body);
        drop(u);
}

/* The body is complete and every batch is back: commit or roll back, then reply. */
static void finish(struct upload *u)
{
        if (u->failed || u->finishing)
                return;
        process(u);
        if (u->failed)
                return;
        if (json_array_size(u->batch) > 0) {
                send_batch(u); /* batch_done calls finish again */
                return;
        }
        if (u->in_flight)
                return;
        if (u->records == 0) {
                fail(u, 400, "bad_request", "the upload has no lines");
                return;
        }
        u->finishing = true;
        u->in_flight = true;
        bool commit = u->rejected == 0 || u->partial;
        db_pin_script(u->pin, commit ? "COMMIT" : "ROLLBACK", ended, u);
}

static void on_end(struct req *r, enum req_body_status status)
{
        struct upload *u = r->state;
        hold(u);
        if (status == REQ_BODY_TOO_LARGE) {
                char msg[100];
                snprintf(msg, sizeof(msg), "the upload exceeds %ld bytes; nothing was stored",
                         r->app->cfg->max_upload);
                fail(u, 413, "payload_too_large", msg);
        } else if (status == REQ_BODY_ABORTED) {
                fail(u, 400, "bad_request",
                     "the upload did not arrive completely; nothing was stored");
        } else {
                u->body_ended = true;
                if (!u->in_flight)
                        finish(u);
        }
        drop(u);
}

static void begun(const struct db_res *res, void *arg)
{
        struct upload *u = arg;
        u->in_flight = false;
        hold(u);
        if (!db_failed(u, res))
                req_body_read(u->req, u->req->app->cfg->max_upload, on_data, on_end);
        drop(u);
}

static void pinned(struct db_pin *pin, void *arg)
{
        struct upload *u = arg;
        hold(u);
        if (!pin) {
                fail(u, 503, "unavailable", "the database is unavailable, try again shortly");
        } else {
                u->pin = pin;
                u->in_flight = true;
                db_pin_script(pin, "BEGIN", begun, u);
        }
        drop(u);
}

static void project_found(struct req *r, const struct db_res *res)
{
        struct upload *u = r->state;
        if (db_res_status(res) != DB_OK || db_res_nrows(res) != 1) {
                /* Nothing else holds the upload yet: free it with the reply. */
                r->state = NULL;
                u->req = NULL;
                upload_free(u);
                if (!req_db_failed(r, res))
                        req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"",
                                        req_param(r, 0));
                return;
        }
        snprintf(u->project_id, sizeof(u->project_id), "%s", db_res_value(res, 0, 0));
        db_pin(r->app->db, pinned, u);
}

void api_items_upload(struct req *r)
{
        char partial[16];
        int q = req_query(r, "partial", partial, sizeof(partial));
        if (q < 0 || (q == 1 && strcmp(partial, "true") != 0 && strcmp(partial, "false") != 0)) {
                req_reply_error(r, 400, "bad_request", NULL, "partial must be true or false");
                return;
        }
        struct upload *u = calloc(1, sizeof(*u));
        if (!u || !(u->batch = json_array()) || !(u->errors = json_array())) {
                if (u) {
                        json_decref(u->batch);
                        free(u);
                }
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        u->req = r;
        u->partial = q == 1 && strcmp(partial, "true") == 0;
        jsonl_init(&u->jl, (size_t)r->app->cfg->max_line);
        r->state = u; /* not owned by the request: see "Lifetime" above */
        const char *params[] = { req_param(r, 0) };
        req_db(r, "SELECT id FROM projects WHERE slug = $1", 1, params, project_found);
}
