/*
 * req.c - the request object, its replies and its database access; see req.h.
 */
#include "req.h"

#include "qv.h"

#include "app.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct req *req_new(struct app *app, struct http_conn *conn)
{
        struct req *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->app = app;
        r->conn = conn;
        r->content_length = -1;
        r->body_limit = -1;
        r->body = evbuffer_new();
        r->headers = evbuffer_new();
        r->method_name = "-";
        r->query = "";
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        if (!r->body || !r->headers) {
                req_free(r);
                return NULL;
        }
        return r;
}

void req_free(struct req *r)
{
        if (!r)
                return;
        if (r->state_free)
                r->state_free(r->state);
        for (size_t i = 0; i < r->nparams; i++)
                free(r->params[i]);
        if (r->json)
                json_decref(r->json);
        if (r->body)
                evbuffer_free(r->body);
        if (r->headers)
                evbuffer_free(r->headers);
        free(r->path);
        free(r->head_buf);
        free(r);
}

const char *req_header(const struct req *r, const char *name)
{
        return httpparse_header(&r->head, name);
}

int req_query(const struct req *r, const char *name, char *out, size_t outlen)
{
        return httpparse_query(r->query, name, out, outlen);
}

const char *req_param(const struct req *r, size_t i)
{
        return i < r->nparams ? r->params[i] : "";
}

int req_page(struct req *r)
{
        static const char *const known[] = { "limit", "cursor", NULL };
        struct qv q;
        qv_init(&q, r, known);
        qv_page(&q);
        return qv_reply(&q) ? -1 : 0;
}

void req_set_state(struct req *r, void *state, void (*fn)(void *state))
{
        if (r->state_free)
                r->state_free(r->state);
        r->state = state;
        r->state_free = fn;
}

void req_body_read(struct req *r, int64_t limit, req_body_data_fn on_data, req_body_end_fn on_end)
{
        r->body_limit = limit;
        r->on_body = on_data;
        r->on_body_end = on_end;
        if (!r->conn) {
                r->body_done = true;
                on_end(r, REQ_BODY_ABORTED);
                return;
        }
        http_conn_body_start(r);
}

void req_body_pause(struct req *r)
{
        http_conn_body_pause(r, true);
}

void req_body_resume(struct req *r)
{
        http_conn_body_pause(r, false);
}

/* --- replies --- */

void req_add_header(struct req *r, const char *name, const char *value)
{
        evbuffer_add_printf(r->headers, "%s: %s\r\n", name, value);
}

static double elapsed_ms(const struct req *r)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
               (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
}

void req_log_access(const struct req *r)
{
        double ms = elapsed_ms(r);
        if (r->app && r->app->metrics)
                metrics_request(r->app->metrics, r->route, r->status, ms);
        char path[256];
        /* Behind a trusted proxy the client is named too. */
        bool forwarded = r->client[0] && strcmp(r->client, r->peer) != 0;
        log_info(r->id,
                 "msg=access method=%s path=%s status=%d bytes=%llu ms=%.2f db_ms=%.2f user=%s "
                 "peer=%s%s%s%s",
                 LOGQ(r->method_name), log_quote(path, sizeof(path), r->path ? r->path : "-"),
                 r->status, (unsigned long long)r->bytes_out, ms, r->db_ms,
                 r->authed ? r->user.name : "-", r->peer[0] ? r->peer : "-",
                 forwarded ? " forwarded_for=" : "", forwarded ? r->client : "",
                 r->conn ? "" : " client=gone");
}

/* The reply is complete: log it and let the connection move on (or free an orphan). */
static void finish(struct req *r)
{
        r->finished = true;
        req_log_access(r);
        http_conn_reply_done(r); /* frees r */
}

static bool begin_reply(struct req *r, int status)
{
        if (r->replied) {
                log_error(r->id, "msg=double_reply status=%d first=%d", status, r->status);
                return false;
        }
        r->replied = true;
        r->status = status;
        return true;
}

void req_reply_raw(struct req *r, int status, const char *content_type, const void *data,
                   size_t len)
{
        if (!begin_reply(r, status))
                return;
        http_conn_send_head(r, status, content_type, (int64_t)len);
        if (len && http_conn_send_body(r, data, len) == 0)
                r->bytes_out += len;
        finish(r);
}

void req_reply_json_text(struct req *r, int status, const char *json, size_t len)
{
        if (!begin_reply(r, status))
                return;
        req_add_header(r, "Cache-Control", "no-store");
        http_conn_send_head(r, status, "application/json", (int64_t)len + 1);
        if (http_conn_send_body(r, json, len) == 0 && http_conn_send_body(r, "\n", 1) == 0)
                r->bytes_out += len + 1;
        finish(r);
}

void req_reply_json(struct req *r, int status, json_t *body)
{
        /* 12 significant digits: exact for counts, ample for ratings and rates. */
        char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
        json_decref(body);
        if (!text) {
                static const char oom[] =
                    "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
                req_reply_json_text(r, 500, oom, sizeof(oom) - 1);
                return;
        }
        req_reply_json_text(r, status, text, strlen(text));
        free(text);
}

void req_reply_empty(struct req *r, int status)
{
        if (!begin_reply(r, status))
                return;
        req_add_header(r, "Cache-Control", "no-store");
        http_conn_send_head(r, status, NULL, status == 204 || status == 304 ? -1 : 0);
        finish(r);
}

void req_reply_error(struct req *r, int status, const char *code, json_t *details, const char *fmt,
                     ...)
{
        char raw[1024], message[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        /* Messages echo what clients sent (paths, names, header values), which need not be
         * UTF-8, and vsnprintf may have cut a character in two: jansson would refuse either. */
        utf8_repair(message, sizeof(message), raw);
        json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
        if (err && details)
                json_object_set_new(err, "details", details);
        else if (details)
                json_decref(details);
        if (status >= 500)
                log_warn(r->id, "msg=error_reply status=%d code=%s message=%s", status, code,
                         LOGQ(message));
        req_reply_json(r, status, err ? json_pack("{s:o}", "error", err) : NULL);
}

void req_reply_oom(struct req *r)
{
        req_reply_error(r, 503, "unavailable", NULL, "out of memory");
}

bool req_reply_status(struct req *r, const struct req_status *map, const char *status,
                      const char *arg)
{
        const struct req_status *m = map;
        while (m->status && strcmp(m->status, status) != 0)
                m++;
        if (!m->status) {
                log_error(r->id, "msg=unknown_status status=%s", LOGQ(status));
                req_reply_error(r, 500, "internal", NULL,
                                "internal error (request %s); the server log has details", r->id);
                return true;
        }
        if (m->http == 0)
                return false;
        if (!arg)
                arg = "";
        if (!m->message) {
                req_reply_error(r, m->http, m->code, NULL, "%s", arg);
                return true;
        }
        char text[1024];
        size_t n = 0;
        for (const char *p = m->message; *p && n + 1 < sizeof(text); p++) {
                if (p[0] == '{' && p[1] == '}') {
                        for (const char *a = arg; *a && n + 1 < sizeof(text); a++)
                                text[n++] = *a;
                        p++;
                } else {
                        text[n++] = *p;
                }
        }
        text[n] = '\0';
        req_reply_error(r, m->http, m->code, NULL, "%s", text);
        return true;
}

void req_stream_begin(struct req *r, int status, const char *content_type)
{
        if (!begin_reply(r, status))
                return;
        r->streaming = true;
        req_add_header(r, "Cache-Control", "no-store");
        http_conn_send_head(r, status, content_type, -1);
}

int req_stream_write(struct req *r, const void *data, size_t len)
{
        if (!r->streaming || http_conn_send_body(r, data, len) != 0)
                return -1;
        r->bytes_out += len;
        return 0;
}

bool req_stream_congested(const struct req *r)
{
        return http_conn_output_len(r) > 1024 * 1024;
}

void req_stream_on_drain(struct req *r, req_fn fn)
{
        if (!r->conn) {
                fn(r);
                return;
        }
        r->on_drain = fn;
}

void req_stream_end(struct req *r)
{
        if (!r->streaming)
                return;
        r->streaming = false;
        finish(r);
}

void req_stream_abort(struct req *r)
{
        r->streaming = false;
        r->finished = true;
        r->status = 599; /* in the access log only: the client saw a cut connection */
        req_log_access(r);
        http_conn_abort(r); /* frees r */
}

/* --- database --- */

struct req_query {
        struct req *req;
        req_db_fn fn;
};

static void req_db_done(const struct db_res *res, void *arg)
{
        struct req_query *q = arg;
        struct req *r = q->req;
        req_db_fn fn = q->fn;
        free(q);
        r->pending_db--;
        r->db_ms += db_res_ms(res);
        fn(r, res);
}

struct req_retry {
        struct req *req;
        req_db_fn fn;
        const char *sql;
        int nparams;
        int attempts;
        char *params[]; /* copies, each NULL or owned */
};

static void req_retry_free(struct req_retry *q)
{
        for (int i = 0; i < q->nparams; i++)
                free(q->params[i]);
        free(q);
}

static void req_retry_done(const struct db_res *res, void *arg)
{
        struct req_retry *q = arg;
        struct req *r = q->req;
        r->pending_db--;
        r->db_ms += db_res_ms(res);
        if (db_res_lost_race(res) && q->attempts++ < REQ_DB_RETRIES && r->conn) {
                log_warn(r->id, "msg=retry sqlstate=%s attempt=%d", db_res_sqlstate(res),
                         q->attempts);
                r->pending_db++;
                db_query(req_db_pool(r), q->sql, q->nparams, (const char *const *)q->params,
                         req_retry_done, q);
                return;
        }
        req_db_fn fn = q->fn;
        fn(r, res);
        req_retry_free(q);
}

void req_db_retry(struct req *r, const char *sql, int nparams, const char *const *params,
                  req_db_fn fn)
{
        struct req_retry *q = calloc(1, sizeof(*q) + (size_t)nparams * sizeof(char *));
        bool ok = q != NULL;
        for (int i = 0; ok && i < nparams; i++)
                ok = !params[i] || (q->params[i] = strdup(params[i]));
        if (!ok) {
                if (q) {
                        q->nparams = nparams;
                        req_retry_free(q);
                }
                req_reply_oom(r);
                return;
        }
        q->req = r;
        q->fn = fn;
        q->sql = sql;
        q->nparams = nparams;
        r->pending_db++;
        db_query(req_db_pool(r), sql, nparams, (const char *const *)q->params, req_retry_done, q);
}

void req_db(struct req *r, const char *sql, int nparams, const char *const *params, req_db_fn fn)
{
        struct req_query *q = malloc(sizeof(*q));
        if (!q) {
                req_reply_oom(r);
                return;
        }
        q->req = r;
        q->fn = fn;
        r->pending_db++;
        db_query(req_db_pool(r), sql, nparams, params, req_db_done, q);
}

void req_db_may_lag(struct req *r)
{
        r->db_may_lag = true;
}

struct db *req_db_pool(const struct req *r)
{
        return r->db_may_lag ? r->app->db_read : r->app->db;
}

bool req_db_failed(struct req *r, const struct db_res *res)
{
        switch (db_res_status(res)) {
        case DB_OK:
                return false;
        case DB_UNAVAILABLE:
                req_reply_error(r, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
                return true;
        case DB_FAILED:
                break;
        }
        const char *state = db_res_sqlstate(res);
        if (db_res_failed_with(res, DB_UNIQUE_VIOLATION)) {
                req_reply_error(r, 409, "conflict", NULL, "%s", db_res_message(res));
        } else if (db_res_failed_with(res, DB_CHARACTER_NOT_IN_REPERTOIRE) ||
                   db_res_failed_with(res, DB_UNTRANSLATABLE_CHARACTER)) {
                /* Bytes that are not UTF-8 (or not representable) reached a query: the client's
                 * doing, whatever check let them through. */
                req_reply_error(r, 400, "bad_request", NULL,
                                "a value in the request is not valid UTF-8");
        } else if (db_res_failed_with(res, DB_SERIALIZATION_FAILURE)) {
                /* Also how a standby cancels a read that conflicts with the changes it replays. */
                req_reply_error(r, 503, "unavailable", NULL,
                                "the database cancelled a conflicting read, try again");
        } else if (db_res_failed_with(res, DB_QUERY_CANCELED)) {
                req_reply_error(r, 503, "unavailable", NULL,
                                "the database took too long to answer, try again");
        } else if (db_res_failed_with(res, DB_CLASS_CONNECTION) ||
                   db_res_failed_with(res, DB_CLASS_OPERATOR)) {
                req_reply_error(r, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
        } else {
                log_error(r->id, "msg=db_error sqlstate=%s detail=%s", state,
                          LOGQ(db_res_message(res)));
                req_reply_error(r, 500, "internal", NULL,
                                "internal error (request %s); the server log has details", r->id);
        }
        return true;
}

void req_reply_project_json(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

void req_reply_page(struct req *r, json_t *items, long long next, json_t *extra)
{
        json_t *cursor = json_null();
        if (next > 0) {
                char text[24];
                snprintf(text, sizeof(text), "%lld", next);
                cursor = json_string(text);
        }
        if (!items || !cursor) {
                json_decref(items);
                json_decref(cursor);
                json_decref(extra);
                req_reply_oom(r);
                return;
        }
        /* json_pack releases what "o" stole when it fails */
        json_t *page = json_pack("{s:o, s:o}", "items", items, "next_cursor", cursor);
        if (!page || (extra && json_object_update(page, extra) != 0)) {
                json_decref(page);
                json_decref(extra);
                req_reply_oom(r);
                return;
        }
        json_decref(extra);
        req_reply_json(r, 200, page);
}

static void page_rows(struct req *r, const struct db_res *res, void (*each)(json_t *item))
{
        int n = db_res_nrows(res);
        long limit = r->page.limit, shown = 0;
        long long next = 0, last = 0;
        json_t *items = json_array();
        for (int i = 0; items && i < n; i++) {
                if (db_res_isnull(res, i, 1))
                        continue;
                if (shown == limit) {
                        next = last;
                        break;
                }
                json_t *item = json_loadb(db_res_value(res, i, 1), db_res_length(res, i, 1),
                                          JSON_DECODE_ANY, NULL);
                if (!item || json_array_append_new(items, item) != 0) {
                        json_decref(items);
                        items = NULL;
                        break;
                }
                if (each)
                        each(item);
                last = (long long)db_res_int(res, i, 0);
                shown++;
        }
        req_reply_page(r, items, next, NULL);
}

void req_reply_page_rows(struct req *r, const struct db_res *res)
{
        if (!req_db_failed(r, res))
                page_rows(r, res, NULL);
}

void req_reply_project_page_each(struct req *r, const struct db_res *res,
                                 void (*each)(json_t *item))
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) == 0) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        page_rows(r, res, each);
}

void req_reply_project_page(struct req *r, const struct db_res *res)
{
        req_reply_project_page_each(r, res, NULL);
}

/* --- names --- */

enum req_method req_method_parse(const char *name)
{
        static const char *const names[] = { "GET",   "HEAD",   "POST",   "PUT",
                                             "PATCH", "DELETE", "OPTIONS" };
        for (size_t i = 0; i < ARRAY_LEN(names); i++)
                if (strcmp(name, names[i]) == 0)
                        return (enum req_method)i;
        return REQ_OTHER;
}

static const char *const role_names[] = { "rater", "analyst", "admin" };

const char *req_role_name(enum user_role role)
{
        return (unsigned)role < ARRAY_LEN(role_names) ? role_names[role] : "?";
}

int req_role_parse(const char *name)
{
        for (size_t i = 0; i < ARRAY_LEN(role_names); i++)
                if (name && strcmp(name, role_names[i]) == 0)
                        return (int)i;
        return -1;
}
