/*
 * http.c - HTTP/1.1 connections on bufferevents: heads, bodies (Content-Length and chunked),
 * replies (fixed length and chunked), keep-alive, timeouts, TLS and graceful shutdown.
 * See http.h for the state machine.
 */
#include "http.h"

#include "app.h"
#include "config.h"
#include "crypto.h"
#include "log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <inttypes.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define STREAM_LOW_WATER  (256 * 1024)  /* a streaming handler is asked for more below this */
#define STREAM_HIGH_WATER (1024 * 1024) /* and told to wait above this */
#define CHUNK_LINE_MAX    1024          /* a chunk-size line, with extensions */

enum conn_state {
        CONN_HEAD,    /* reading a request head */
        CONN_ROUTED,  /* head parsed; router or handler deciding */
        CONN_BODY,    /* reading the body for the handler */
        CONN_REPLY,   /* handler working or reply being written */
        CONN_CLOSING, /* flushing the last bytes before closing */
};

enum chunk_state {
        CHUNK_SIZE,  /* expecting "hex[;ext]\r\n" */
        CHUNK_DATA,  /* chunk_left bytes of data */
        CHUNK_CRLF,  /* the CRLF after a chunk's data */
        CHUNK_TRAIL, /* trailer lines up to an empty line */
};

struct http_conn {
        struct http_server *srv;
        struct bufferevent *bev;
        enum conn_state state;
        struct req *req;      /* the current request, or NULL between requests */
        bool keep_alive;      /* may serve another request after this one */
        bool chunked_out;     /* the current reply has a chunked body */
        bool head_only;       /* HEAD request: headers without body bytes */
        bool expect_continue; /* the client waits for 100 Continue before the body */
        bool tls;
        enum chunk_state chunk;
        uint64_t chunk_left;
        int64_t body_left; /* Content-Length bytes still to read */
        char peer[64];
        struct http_conn *prev, *next;
};

struct http_server {
        struct event_base *base;
        struct app *app;
        const struct config *cfg;
        struct evconnlistener *listener;
        SSL_CTX *ssl;
        http_dispatch_fn dispatch;
        struct http_conn *conns; /* list of open connections */
        size_t nconns;
        int port;
        bool stopping;
        void (*drained)(void *arg);
        void *drained_arg;
        uint32_t id_prefix; /* random per process, so request ids differ between processes */
        uint32_t id_counter;
};

static void conn_free(struct http_conn *c);
static void conn_read_head(struct http_conn *c);
static void conn_feed_body(struct http_conn *c);

static const char *status_reason(int status)
{
        switch (status) {
        case 100:
                return "Continue";
        case 200:
                return "OK";
        case 201:
                return "Created";
        case 204:
                return "No Content";
        case 304:
                return "Not Modified";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 408:
                return "Request Timeout";
        case 409:
                return "Conflict";
        case 410:
                return "Gone";
        case 411:
                return "Length Required";
        case 413:
                return "Content Too Large";
        case 415:
                return "Unsupported Media Type";
        case 417:
                return "Expectation Failed";
        case 422:
                return "Unprocessable Content";
        case 429:
                return "Too Many Requests";
        case 431:
                return "Request Header Fields Too Large";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 503:
                return "Service Unavailable";
        default:
                return "Unknown";
        }
}

static struct timeval tv_of(double seconds)
{
        struct timeval tv = { .tv_sec = (time_t)seconds };
        tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
        return tv;
}

static void set_timeouts(struct http_conn *c, double read_s)
{
        struct timeval rt = tv_of(read_s), wt = tv_of(c->srv->cfg->write_timeout);
        bufferevent_set_timeouts(c->bev, &rt, &wt);
}

static bool server_idle_check(struct http_server *s)
{
        if (s->stopping && s->nconns == 0 && s->drained) {
                void (*fn)(void *) = s->drained;
                s->drained = NULL;
                fn(s->drained_arg);
                return true;
        }
        return false;
}

/* Reply to a request that never reached a handler (malformed head, too large, ...), then close. */
static void early_error(struct http_conn *c, struct req *r, int status, const char *code,
                        const char *message)
{
        c->keep_alive = false;
        c->state = CONN_REPLY;
        c->req = r;
        req_reply_error(r, status, code, NULL, "%s", message);
}

/* --- reading --- */

static int parse_content_length(const char *v, int64_t *out)
{
        if (!*v)
                return -1;
        int64_t n = 0;
        for (const char *p = v; *p; p++) {
                if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
                        return -1;
                n = n * 10 + (*p - '0');
        }
        *out = n;
        return 0;
}

static bool valid_request_id(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= sizeof(((struct req *)0)->id))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return false;
        return true;
}

/* Validates the framing headers and connection semantics of a parsed head; 0 or replies. */
static int conn_check_head(struct http_conn *c, struct req *r)
{
        const struct http_head *h = &r->head;
        int64_t cl = -1;
        for (size_t i = 0; i < h->nheaders; i++) {
                if (strcasecmp(h->headers[i].name, "Content-Length") != 0)
                        continue;
                int64_t v;
                if (parse_content_length(h->headers[i].value, &v) != 0 || (cl >= 0 && v != cl)) {
                        early_error(c, r, 400, "bad_request", "invalid Content-Length header");
                        return -1;
                }
                cl = v;
        }
        const char *te = httpparse_header(h, "Transfer-Encoding");
        if (te) {
                if (strcasecmp(te, "chunked") != 0) {
                        early_error(c, r, 501, "bad_request",
                                    "only the chunked transfer coding is supported");
                        return -1;
                }
                if (cl >= 0) {
                        early_error(c, r, 400, "bad_request",
                                    "Content-Length and Transfer-Encoding together");
                        return -1;
                }
                r->chunked = true;
        }
        r->content_length = cl;
        const char *conn = httpparse_header(h, "Connection");
        if (h->minor == 0)
                c->keep_alive = conn && strcasecmp(conn, "keep-alive") == 0;
        else
                c->keep_alive = !(conn && strcasecmp(conn, "close") == 0);
        if (c->srv->stopping)
                c->keep_alive = false;
        const char *expect = httpparse_header(h, "Expect");
        c->expect_continue = false;
        if (expect) {
                if (strcasecmp(expect, "100-continue") != 0) {
                        early_error(c, r, 417, "bad_request", "unsupported Expect header");
                        return -1;
                }
                c->expect_continue = h->minor == 1;
        }
        const char *rid = httpparse_header(h, "X-Request-Id");
        if (rid && valid_request_id(rid))
                snprintf(r->id, sizeof(r->id), "%s", rid);
        return 0;
}

static void conn_read_head(struct http_conn *c)
{
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
                return;
        /* Leading blank lines between requests are allowed; drop them. */
        unsigned char *first = evbuffer_pullup(in, 1);
        while (avail > 0 && (*first == '\r' || *first == '\n')) {
                evbuffer_drain(in, 1);
                if (--avail == 0)
                        return;
                first = evbuffer_pullup(in, 1);
        }
        size_t max = (size_t)c->srv->cfg->max_header;
        struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        size_t headlen = 0;
        if (end.pos >= 0)
                headlen = (size_t)end.pos + 4;
        struct evbuffer_ptr lf = evbuffer_search(in, "\n\n", 2, NULL);
        if (lf.pos >= 0 && (headlen == 0 || (size_t)lf.pos + 2 < headlen))
                headlen = (size_t)lf.pos + 2;
        if (headlen == 0) {
                if (avail > max) {
                        struct req *r = req_new(c->srv->app, c);
                        snprintf(r->id, sizeof(r->id), "%08x%06x", c->srv->id_prefix,
                                 ++c->srv->id_counter & 0xffffff);
                        early_error(c, r, 431, "payload_too_large",
                                    "request line and headers exceed the limit");
                        return;
                }
                /* A request has begun: it must now arrive within read_timeout. */
                set_timeouts(c, c->srv->cfg->read_timeout);
                return;
        }
        struct req *r = req_new(c->srv->app, c);
        snprintf(r->id, sizeof(r->id), "%08x%06x", c->srv->id_prefix,
                 ++c->srv->id_counter & 0xffffff);
        r->tls = c->tls;
        snprintf(r->peer, sizeof(r->peer), "%s", c->peer);
        if (headlen > max) {
                early_error(c, r, 431, "payload_too_large",
                            "request line and headers exceed the limit");
                return;
        }
        r->head_buf = malloc(headlen + 1);
        if (!r->head_buf) {
                early_error(c, r, 503, "unavailable", "out of memory");
                return;
        }
        evbuffer_remove(in, r->head_buf, headlen);
        r->head_buf[headlen] = '\0';
        const char *reason;
        if (httpparse_head(r->head_buf, headlen, &r->head, &reason) != 0) {
                early_error(c, r, 400, "bad_request", reason);
                return;
        }
        r->method_name = r->head.method;
        r->method = req_method_parse(r->head.method);
        r->query = r->head.query;
        size_t plen = strlen(r->head.path);
        r->path = malloc(plen + 1);
        if (!r->path || httpparse_decode(r->head.path, plen, r->path, false) < 0) {
                early_error(c, r, 400, "bad_request", "malformed percent-encoding in the path");
                return;
        }
        c->state = CONN_ROUTED;
        c->req = r;
        c->head_only = r->method == REQ_HEAD;
        c->chunked_out = false;
        if (conn_check_head(c, r) != 0)
                return;
        bufferevent_disable(c->bev, EV_READ);
        set_timeouts(c, c->srv->cfg->read_timeout);
        c->srv->dispatch(r);
}

/* The body is complete or failed: tell the handler once. */
static void body_finish(struct http_conn *c, enum req_body_status status)
{
        struct req *r = c->req;
        r->body_done = true;
        r->body_reading = false;
        bufferevent_disable(c->bev, EV_READ);
        if (status != REQ_BODY_OK)
                c->keep_alive = false;
        if (c->state == CONN_BODY)
                c->state = CONN_REPLY;
        req_body_end_fn fn = r->on_body_end;
        r->on_body_end = NULL;
        if (fn)
                fn(r, status);
}

/* Moves up to n bytes of input into the request body; false when over the limit. */
static bool body_take(struct http_conn *c, struct evbuffer *in, size_t n)
{
        struct req *r = c->req;
        evbuffer_remove_buffer(in, r->body, n);
        r->body_received += n;
        return r->body_limit < 0 || r->body_received <= (uint64_t)r->body_limit;
}

/* Decodes chunked framing from `in`; returns 1 when the body is complete, 0 for more, -1 bad. */
static int chunked_step(struct http_conn *c, struct evbuffer *in, bool *too_large)
{
        for (;;) {
                size_t avail = evbuffer_get_length(in);
                switch (c->chunk) {
                case CHUNK_SIZE:
                case CHUNK_TRAIL: {
                        struct evbuffer_ptr nl = evbuffer_search(in, "\n", 1, NULL);
                        if (nl.pos < 0)
                                return avail > CHUNK_LINE_MAX ? -1 : 0;
                        if ((size_t)nl.pos >= CHUNK_LINE_MAX)
                                return -1;
                        char line[CHUNK_LINE_MAX + 1];
                        evbuffer_remove(in, line, (size_t)nl.pos + 1);
                        line[nl.pos] = '\0';
                        if (nl.pos > 0 && line[nl.pos - 1] == '\r')
                                line[nl.pos - 1] = '\0';
                        if (c->chunk == CHUNK_TRAIL) {
                                if (line[0] == '\0')
                                        return 1;
                                continue;
                        }
                        char *end;
                        errno = 0;
                        unsigned long long size = strtoull(line, &end, 16);
                        if (end == line || errno || (*end && *end != ';' && *end != ' '))
                                return -1;
                        if (size == 0) {
                                c->chunk = CHUNK_TRAIL;
                                continue;
                        }
                        c->chunk_left = size;
                        c->chunk = CHUNK_DATA;
                        break;
                }
                case CHUNK_DATA: {
                        if (avail == 0)
                                return 0;
                        size_t n = avail < c->chunk_left ? avail : (size_t)c->chunk_left;
                        if (!body_take(c, in, n)) {
                                *too_large = true;
                                return -1;
                        }
                        c->chunk_left -= n;
                        if (c->chunk_left == 0)
                                c->chunk = CHUNK_CRLF;
                        break;
                }
                case CHUNK_CRLF: {
                        if (avail < 1)
                                return 0;
                        unsigned char *p = evbuffer_pullup(in, avail < 2 ? 1 : 2);
                        if (p[0] == '\n') {
                                evbuffer_drain(in, 1);
                        } else if (p[0] == '\r') {
                                if (avail < 2)
                                        return 0;
                                if (p[1] != '\n')
                                        return -1;
                                evbuffer_drain(in, 2);
                        } else {
                                return -1;
                        }
                        c->chunk = CHUNK_SIZE;
                        break;
                }
                }
        }
}

static void conn_feed_body(struct http_conn *c)
{
        struct req *r = c->req;
        if (!r || !r->body_reading || r->body_paused)
                return;
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t before = evbuffer_get_length(r->body);
        bool done = false, too_large = false, bad = false;
        if (r->chunked) {
                int st = chunked_step(c, in, &too_large);
                done = st == 1;
                bad = st < 0 && !too_large;
        } else {
                size_t avail = evbuffer_get_length(in);
                size_t n = (uint64_t)c->body_left < avail ? (size_t)c->body_left : avail;
                if (!body_take(c, in, n))
                        too_large = true;
                c->body_left -= (int64_t)n;
                done = c->body_left == 0;
        }
        if (too_large) {
                body_finish(c, REQ_BODY_TOO_LARGE);
                return;
        }
        if (bad) {
                body_finish(c, REQ_BODY_ABORTED);
                return;
        }
        if (r->on_body && evbuffer_get_length(r->body) > before) {
                r->on_body(r);
                /* The handler may have replied (an error) or paused meanwhile. */
                if (c->req != r || !r->body_reading)
                        return;
                if (r->body_paused && !done)
                        return;
        }
        if (done)
                body_finish(c, REQ_BODY_OK);
}

void http_conn_body_start(struct req *r)
{
        struct http_conn *c = r->conn;
        if (!c)
                return;
        c->state = CONN_BODY;
        r->body_reading = true;
        if (!r->chunked) {
                c->body_left = r->content_length > 0 ? r->content_length : 0;
                if (r->body_limit >= 0 && c->body_left > r->body_limit) {
                        body_finish(c, REQ_BODY_TOO_LARGE);
                        return;
                }
                if (c->body_left == 0) {
                        body_finish(c, REQ_BODY_OK);
                        return;
                }
        } else {
                c->chunk = CHUNK_SIZE;
        }
        if (c->expect_continue) {
                c->expect_continue = false;
                evbuffer_add_printf(bufferevent_get_output(c->bev),
                                    "HTTP/1.1 100 Continue\r\n\r\n");
        }
        set_timeouts(c, c->srv->cfg->read_timeout);
        bufferevent_enable(c->bev, EV_READ);
        conn_feed_body(c);
}

void http_conn_body_pause(struct req *r, bool pause)
{
        struct http_conn *c = r->conn;
        r->body_paused = pause;
        if (!c || !r->body_reading)
                return;
        if (pause) {
                bufferevent_disable(c->bev, EV_READ);
        } else {
                bufferevent_enable(c->bev, EV_READ);
                conn_feed_body(c);
        }
}

/* --- writing --- */

void http_conn_send_head(struct req *r, int status, const char *content_type, int64_t len)
{
        struct http_conn *c = r->conn;
        if (!c)
                return;
        /* An unread body cannot be skipped safely on a kept-alive connection. */
        if (!r->body_done && (r->chunked || r->content_length > 0))
                c->keep_alive = false;
        if (c->srv->stopping)
                c->keep_alive = false;
        struct evbuffer *out = bufferevent_get_output(c->bev);
        evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, status_reason(status));
        bool bodiless = status == 204 || status == 304 || (status >= 100 && status < 200);
        if (!bodiless) {
                if (content_type)
                        evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
                if (len >= 0) {
                        evbuffer_add_printf(out, "Content-Length: %" PRId64 "\r\n", len);
                } else if (r->head.minor >= 1) {
                        evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
                        c->chunked_out = true;
                } else {
                        c->keep_alive = false; /* HTTP/1.0: the body ends with the connection */
                }
        }
        if (!c->keep_alive)
                evbuffer_add_printf(out, "Connection: close\r\n");
        else if (r->head.minor == 0)
                evbuffer_add_printf(out, "Connection: keep-alive\r\n");
        evbuffer_add_printf(out, "X-Request-Id: %s\r\nX-Content-Type-Options: nosniff\r\n", r->id);
        if (r->headers)
                evbuffer_add_buffer(out, r->headers);
        evbuffer_add(out, "\r\n", 2);
        c->state = CONN_REPLY;
        set_timeouts(c, c->srv->cfg->read_timeout);
}

int http_conn_send_body(struct req *r, const void *data, size_t len)
{
        struct http_conn *c = r->conn;
        if (!c)
                return -1;
        if (c->head_only || len == 0)
                return 0;
        struct evbuffer *out = bufferevent_get_output(c->bev);
        if (c->chunked_out) {
                evbuffer_add_printf(out, "%zx\r\n", len);
                evbuffer_add(out, data, len);
                evbuffer_add(out, "\r\n", 2);
        } else {
                evbuffer_add(out, data, len);
        }
        return 0;
}

size_t http_conn_output_len(const struct req *r)
{
        return r->conn ? evbuffer_get_length(bufferevent_get_output(r->conn->bev)) : 0;
}

static void conn_start_closing(struct http_conn *c)
{
        c->state = CONN_CLOSING;
        bufferevent_disable(c->bev, EV_READ);
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
                conn_free(c);
}

/* Ready for the next request on a kept-alive connection. */
static void conn_next_request(struct http_conn *c)
{
        c->state = CONN_HEAD;
        c->chunked_out = false;
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        set_timeouts(c, c->srv->cfg->idle_timeout);
        bufferevent_enable(c->bev, EV_READ);
        /* Pipelined bytes may already wait; read them from the loop, not from this stack. */
        if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
                bufferevent_trigger(c->bev, EV_READ,
                                    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void http_conn_reply_done(struct req *r)
{
        struct http_conn *c = r->conn;
        if (!c) {
                req_free(r);
                return;
        }
        if (c->chunked_out && !c->head_only)
                evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
        c->chunked_out = false;
        /* A body still being read (the handler answered early) cannot be resynchronised. */
        if (r->body_reading && !r->body_done) {
                r->body_reading = false;
                r->on_body_end = NULL;
                c->keep_alive = false;
        }
        c->req = NULL;
        req_free(r);
        if (!c->keep_alive || c->srv->stopping)
                conn_start_closing(c);
        else
                conn_next_request(c);
}

void http_conn_abort(struct req *r)
{
        struct http_conn *c = r->conn;
        if (c) {
                c->req = NULL;
                conn_free(c);
        }
        req_free(r);
}

/* --- bufferevent callbacks --- */

static void read_cb(struct bufferevent *bev, void *arg)
{
        struct http_conn *c = arg;
        switch (c->state) {
        case CONN_HEAD:
                conn_read_head(c);
                break;
        case CONN_BODY:
                conn_feed_body(c);
                break;
        default:
                break;
        }
}

static void write_cb(struct bufferevent *bev, void *arg)
{
        struct http_conn *c = arg;
        if (c->state == CONN_CLOSING) {
                if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
                        conn_free(c);
                return;
        }
        struct req *r = c->req;
        if (r && r->on_drain &&
            evbuffer_get_length(bufferevent_get_output(bev)) <= STREAM_LOW_WATER) {
                req_fn fn = r->on_drain;
                r->on_drain = NULL;
                fn(r);
        }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
        struct http_conn *c = arg;
        if (what & BEV_EVENT_CONNECTED)
                return;
        if (log_enabled(LOG_DEBUG)) {
                unsigned long e = bufferevent_get_openssl_error(bev);
                log_debug(c->req ? c->req->id : NULL,
                          "msg=connection_event peer=%s state=%d eof=%d error=%d timeout=%d "
                          "ssl_error=%lu",
                          c->peer, c->state, !!(what & BEV_EVENT_EOF), !!(what & BEV_EVENT_ERROR),
                          !!(what & BEV_EVENT_TIMEOUT), e);
        }
        if (c->state == CONN_HEAD && (what & BEV_EVENT_TIMEOUT) &&
            evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
                /* A request started but did not finish in time: say so, then close. */
                struct req *r = req_new(c->srv->app, c);
                snprintf(r->id, sizeof(r->id), "%08x%06x", c->srv->id_prefix,
                         ++c->srv->id_counter & 0xffffff);
                evbuffer_drain(bufferevent_get_input(bev),
                               evbuffer_get_length(bufferevent_get_input(bev)));
                early_error(c, r, 408, "bad_request", "the request did not arrive in time");
                return;
        }
        if (c->state == CONN_BODY && c->req) {
                body_finish(c, REQ_BODY_ABORTED);
                /* The handler replied (the reply goes nowhere useful) or will; close now. */
        }
        conn_free(c);
}

/* --- connections and the listener --- */

static void conn_free(struct http_conn *c)
{
        if (!c)
                return;
        struct http_server *s = c->srv;
        struct req *r = c->req;
        c->req = NULL;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->nconns--;
        if (c->bev)
                bufferevent_free(c->bev);
        free(c);
        if (r) {
                /* The handler still owns the request: it will answer into the void. */
                r->conn = NULL;
                if (r->body_reading && !r->body_done) {
                        r->body_done = true;
                        r->body_reading = false;
                        req_body_end_fn fn = r->on_body_end;
                        r->on_body_end = NULL;
                        if (fn)
                                fn(r, REQ_BODY_ABORTED);
                } else if (r->on_drain) {
                        req_fn fn = r->on_drain;
                        r->on_drain = NULL;
                        fn(r);
                }
        }
        server_idle_check(s);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
                      int socklen, void *arg)
{
        struct http_server *s = arg;
        if (s->stopping || s->nconns >= (size_t)s->cfg->max_conns) {
                static const char busy[] =
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    "Connection: close\r\nContent-Length: 84\r\n\r\n"
                    "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many connections, "
                    "try again\"}}\n";
                ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                (void)w;
                evutil_closesocket(fd);
                log_warn(NULL, "msg=connection_refused reason=%s",
                         s->stopping ? "shutting_down" : "max_conns");
                return;
        }
        struct http_conn *c = calloc(1, sizeof(*c));
        if (!c) {
                evutil_closesocket(fd);
                return;
        }
        c->srv = s;
        evutil_make_socket_nonblocking(fd);
        /* Replies go out whole: without this, Nagle's algorithm holds a reply's last segment until
         * the client's delayed ACK (up to 40 ms) whenever a reply spans several segments. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (s->ssl) {
                SSL *ssl = SSL_new(s->ssl);
                c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
                                                              BUFFEREVENT_SSL_ACCEPTING,
                                                              BEV_OPT_CLOSE_ON_FREE)
                             : NULL;
                if (c->bev)
                        bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
                else if (ssl)
                        SSL_free(ssl);
                c->tls = true;
        } else {
                c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
        }
        if (!c->bev) {
                evutil_closesocket(fd);
                free(c);
                return;
        }
        char host[INET6_ADDRSTRLEN] = "?";
        if (addr->sa_family == AF_INET)
                evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)addr)->sin_addr, host,
                                 sizeof(host));
        else if (addr->sa_family == AF_INET6)
                evutil_inet_ntop(AF_INET6, &((struct sockaddr_in6 *)addr)->sin6_addr, host,
                                 sizeof(host));
        snprintf(c->peer, sizeof(c->peer), "%s", host);
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        c->state = CONN_HEAD;
        bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
        set_timeouts(c, s->cfg->idle_timeout);
        bufferevent_enable(c->bev, EV_READ);
}

static void listener_error_cb(struct evconnlistener *l, void *arg)
{
        int err = EVUTIL_SOCKET_ERROR();
        log_error(NULL, "msg=accept_failed error=%s", LOGQ(evutil_socket_error_to_string(err)));
}

struct http_server *http_server_new(struct event_base *base, struct app *app,
                                    const struct config *cfg, void *ssl_ctx,
                                    http_dispatch_fn dispatch, char *err, size_t errlen)
{
        struct sockaddr_storage ss;
        int sslen = sizeof(ss);
        memset(&ss, 0, sizeof(ss));
        if (evutil_parse_sockaddr_port(cfg->listen, (struct sockaddr *)&ss, &sslen) != 0) {
                snprintf(err, errlen,
                         "PREFD_LISTEN: \"%s\" is not a numeric host:port (for example "
                         "127.0.0.1:8080 or [::1]:8080)",
                         cfg->listen);
                return NULL;
        }
        struct http_server *s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        s->base = base;
        s->app = app;
        s->cfg = cfg;
        s->dispatch = dispatch;
        if (crypto_random(&s->id_prefix, sizeof(s->id_prefix)) != 0) {
                snprintf(err, errlen, "no random numbers from OpenSSL");
                free(s);
                return NULL;
        }
        if (ssl_ctx) {
                s->ssl = ssl_ctx;
                SSL_CTX_up_ref(s->ssl);
        }
        s->listener = evconnlistener_new_bind(
            base, accept_cb, s, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
            1024, (struct sockaddr *)&ss, sslen);
        if (!s->listener) {
                snprintf(err, errlen, "PREFD_LISTEN: cannot listen on %s: %s", cfg->listen,
                         evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
                http_server_free(s);
                return NULL;
        }
        evconnlistener_set_error_cb(s->listener, listener_error_cb);
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&bound, &blen) == 0)
                s->port =
                    ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                      : ((struct sockaddr_in *)&bound)->sin_port);
        return s;
}

int http_server_port(const struct http_server *s)
{
        return s->port;
}

size_t http_server_conns(const struct http_server *s)
{
        return s->nconns;
}

void http_server_shutdown(struct http_server *s, void (*drained)(void *arg), void *arg)
{
        s->stopping = true;
        s->drained = drained;
        s->drained_arg = arg;
        if (s->listener) {
                evconnlistener_free(s->listener);
                s->listener = NULL;
        }
        struct http_conn *c = s->conns, *next;
        for (; c; c = next) {
                next = c->next;
                c->keep_alive = false;
                if (c->state == CONN_HEAD &&
                    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
                        conn_free(c);
        }
        server_idle_check(s);
}

void http_server_free(struct http_server *s)
{
        if (!s)
                return;
        s->drained = NULL;
        while (s->conns)
                conn_free(s->conns);
        if (s->listener)
                evconnlistener_free(s->listener);
        if (s->ssl)
                SSL_CTX_free(s->ssl);
        free(s);
}
