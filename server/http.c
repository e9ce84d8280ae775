/*
 * http.c - HTTP/1.1 connections on bufferevents: heads, bodies (Content-Length and chunked),
 * replies (fixed length and chunked), keep-alive, timeouts, TLS and graceful shutdown.
 * See http.h for the state machine.
 */
#include "http.h"

#include "app.h"
#include "chunked.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "netaddr.h"
#include "u64map.h"

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
#include <sys/resource.h>
#include <sys/socket.h>

#define STREAM_LOW_WATER  (256 * 1024)  /* a streaming handler is asked for more below this */
#define STREAM_HIGH_WATER (1024 * 1024) /* and told to wait above this */
#define HSTS_HEADER       "Strict-Transport-Security: max-age=31536000\r\n" /* over TLS */
#define LINGER_SECONDS    2.0           /* a closed connection is read and dropped this long */
#define LINGER_BYTES      (1024 * 1024) /* or this much */
#define FD_RESERVE        64            /* descriptors kept for the database, logs and TLS files */
#define ACCEPT_PAUSE      0.1           /* seconds the listener rests when out of descriptors */

enum conn_state {
        CONN_HEAD,    /* reading a request head */
        CONN_ROUTED,  /* head parsed; router or handler deciding */
        CONN_BODY,    /* reading the body for the handler */
        CONN_REPLY,   /* handler working or reply being written */
        CONN_CLOSING, /* flushing the last bytes before closing */
        CONN_LINGER,  /* all sent and our side shut: reading and dropping, then close */
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
        bool peer_eof;        /* the client ended its side: answer what arrived, then close */
        size_t lingered;      /* bytes dropped while lingering */
        struct chunked chunk; /* the chunked decoder of the current body */
        int64_t body_left;    /* Content-Length bytes still to read */
        char peer[64];
        struct netaddr peer_addr;
        uint64_t peer_key; /* counted under this in srv->per_addr (netaddr_key) */
        bool peer_counted; /* counted there (trusted proxies are not) */
        /* Slow clients: one timer for the head's deadline and the body's minimum rate. */
        struct event *deadline;
        bool head_clock;           /* the current head's deadline is running */
        size_t head_scan;          /* input bytes already searched for the end of the head */
        double body_active;        /* seconds the body was being read, pauses excluded */
        struct timespec body_mark; /* when reading last resumed */
        struct http_conn *prev, *next;
        /* Connections waiting for a request head, oldest first: the ones to reclaim. */
        struct http_conn *wait_prev, *wait_next;
        bool waiting;
};

struct http_server {
        struct event_base *base;
        struct app *app;
        const struct config *cfg;
        struct evconnlistener *listener;
        struct event *accept_resume; /* re-enables the listener after running out of descriptors */
        size_t max_conns;            /* PREFD_MAX_CONNS, or fewer when descriptors are short */
        SSL_CTX *ssl;
        http_dispatch_fn dispatch;
        struct http_conn *conns; /* list of open connections */
        size_t nconns;
        struct http_conn *wait_first, *wait_last; /* connections in CONN_HEAD, oldest first */
        struct u64map per_addr;                   /* open connections per peer_key */
        struct netaddr_cidr *trusted;             /* PREFD_TRUSTED_PROXIES */
        size_t ntrusted;
        struct http_stats stats;
        time_t refused_logged; /* refusals are logged once a second at most */
        uint64_t refused_unlogged;
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
static void conn_head_timeout(struct http_conn *c);
static void conn_body_failed(struct http_conn *c, enum req_body_status status);
static void conn_start_closing(struct http_conn *c);

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

static double timespec_s(const struct timespec *ts)
{
        return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return timespec_s(&ts);
}

/* --- the connections waiting for a request head (the ones reclaimed when full) --- */

static void wait_remove(struct http_conn *c)
{
        struct http_server *s = c->srv;
        if (c->wait_prev)
                c->wait_prev->wait_next = c->wait_next;
        else
                s->wait_first = c->wait_next;
        if (c->wait_next)
                c->wait_next->wait_prev = c->wait_prev;
        else
                s->wait_last = c->wait_prev;
        c->wait_prev = c->wait_next = NULL;
        c->waiting = false;
}

static void wait_append(struct http_conn *c)
{
        struct http_server *s = c->srv;
        c->wait_prev = s->wait_last;
        c->wait_next = NULL;
        if (s->wait_last)
                s->wait_last->wait_next = c;
        else
                s->wait_first = c;
        s->wait_last = c;
        c->waiting = true;
}

/* Every state change goes here: it keeps the waiting list and the deadline timer right. */
static void conn_set_state(struct http_conn *c, enum conn_state st)
{
        if (st == CONN_HEAD && !c->waiting)
                wait_append(c);
        else if (st != CONN_HEAD && c->waiting)
                wait_remove(c);
        if (st != c->state && st != CONN_BODY)
                evtimer_del(c->deadline);
        c->state = st;
}

static void arm_deadline(struct http_conn *c, double seconds)
{
        struct timeval tv = tv_of(seconds > 0 ? seconds : 0);
        evtimer_add(c->deadline, &tv);
}

/*
 * The body's minimum rate: by now it must have had read_timeout plus one second for every
 * min_body_rate bytes received, counting only the time it was being read (not while the handler
 * paused it). The deadline moves with every read.
 */
static void body_clock_arm(struct http_conn *c)
{
        long rate = c->srv->cfg->min_body_rate;
        if (rate <= 0 || !c->req)
                return;
        double allowed = c->srv->cfg->read_timeout + (double)c->req->body_received / (double)rate;
        arm_deadline(c, allowed - c->body_active - (now_s() - timespec_s(&c->body_mark)));
}

static void body_clock_start(struct http_conn *c)
{
        clock_gettime(CLOCK_MONOTONIC, &c->body_mark);
        body_clock_arm(c);
}

static void body_clock_stop(struct http_conn *c)
{
        c->body_active += now_s() - timespec_s(&c->body_mark);
        evtimer_del(c->deadline);
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
        conn_set_state(c, CONN_REPLY);
        c->req = r;
        req_reply_error(r, status, code, NULL, "%s", message);
}

/* A request for this connection, with its id; NULL (and the connection closed) without memory. */
static struct req *conn_new_req(struct http_conn *c)
{
        struct req *r = req_new(c->srv->app, c);
        if (!r) {
                conn_free(c);
                return NULL;
        }
        snprintf(r->id, sizeof(r->id), "%08x%06x", c->srv->id_prefix,
                 ++c->srv->id_counter & 0xffffff);
        r->tls = c->tls;
        snprintf(r->peer, sizeof(r->peer), "%s", c->peer);
        return r;
}

/* --- reading --- */

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
        const char *reason;
        if (httpparse_framing(h, &r->content_length, &r->chunked, &reason) != 0) {
                early_error(c, r, 400, "bad_request", reason);
                return -1;
        }
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
        /* The client: X-Forwarded-For counts only when the peer is a trusted proxy. */
        const char *xff[HTTPPARSE_MAX_HEADERS];
        size_t nxff = 0;
        for (size_t i = 0; i < h->nheaders && c->peer_addr.family; i++)
                if (strcasecmp(h->headers[i].name, "X-Forwarded-For") == 0)
                        xff[nxff++] = h->headers[i].value;
        if (c->peer_addr.family) {
                struct netaddr client;
                netaddr_client(&c->peer_addr, xff, nxff, c->srv->trusted, c->srv->ntrusted,
                               &client);
                netaddr_format(&client, r->client, sizeof(r->client));
        }
        const char *rid = httpparse_header(h, "X-Request-Id");
        if (rid && valid_request_id(rid))
                snprintf(r->id, sizeof(r->id), "%s", rid);
        return 0;
}

/*
 * Length of the head through its blank line (a line feed followed by "\n" or "\r\n"), 0 while
 * it is incomplete. Bytes searched before are not searched again, so a head arriving a byte at
 * a time costs its length, not its length squared.
 */
static size_t head_end(struct http_conn *c, struct evbuffer *in, size_t avail)
{
        struct evbuffer_ptr p;
        if (evbuffer_ptr_set(in, &p, c->head_scan, EVBUFFER_PTR_SET) != 0)
                return 0;
        for (;;) {
                p = evbuffer_search(in, "\n", 1, &p);
                if (p.pos < 0) {
                        c->head_scan = avail;
                        return 0;
                }
                char next[3];
                ev_ssize_t got = evbuffer_copyout_from(in, &p, next, sizeof(next));
                if (got >= 2 && next[1] == '\n')
                        return (size_t)p.pos + 2;
                if (got >= 3 && next[1] == '\r' && next[2] == '\n')
                        return (size_t)p.pos + 3;
                if (got < 2 || (got < 3 && next[1] == '\r')) {
                        c->head_scan = (size_t)p.pos; /* look again once more bytes arrive */
                        return 0;
                }
                if (evbuffer_ptr_set(in, &p, 1, EVBUFFER_PTR_ADD) != 0)
                        return 0;
        }
}

/* The head's deadline passed, or it went silent for read_timeout: 408, or a quiet close. */
static void conn_head_timeout(struct http_conn *c)
{
        struct evbuffer *in = bufferevent_get_input(c->bev);
        if (evbuffer_get_length(in) == 0) {
                conn_free(c); /* nothing of a request arrived: nobody to answer */
                return;
        }
        c->srv->stats.head_timeouts++;
        struct req *r = conn_new_req(c);
        if (!r)
                return;
        evbuffer_drain(in, evbuffer_get_length(in));
        early_error(c, r, 408, "bad_request", "the request did not arrive in time");
}

static void conn_read_head(struct http_conn *c)
{
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t avail = evbuffer_get_length(in);
        if (avail == 0)
                return;
        /* A request has begun: its head must be complete within head_timeout. */
        if (!c->head_clock) {
                c->head_clock = true;
                arm_deadline(c, c->srv->cfg->head_timeout);
        }
        /* Leading blank lines between requests are allowed; drop them. */
        unsigned char *first = evbuffer_pullup(in, 1);
        while (avail > 0 && (*first == '\r' || *first == '\n')) {
                evbuffer_drain(in, 1);
                c->head_scan = 0;
                if (--avail == 0)
                        return;
                first = evbuffer_pullup(in, 1);
        }
        size_t max = (size_t)c->srv->cfg->max_header;
        size_t headlen = head_end(c, in, avail);
        if (headlen == 0 && c->peer_eof) {
                conn_start_closing(c); /* a head cut short: nothing to answer */
                return;
        }
        if (headlen == 0) {
                if (avail > max) {
                        struct req *r = conn_new_req(c);
                        if (r)
                                early_error(c, r, 431, "payload_too_large",
                                            "request line and headers exceed the limit");
                        return;
                }
                /* Silence is allowed for read_timeout at most while the head arrives. */
                set_timeouts(c, c->srv->cfg->read_timeout);
                return;
        }
        c->head_scan = 0;
        struct req *r = conn_new_req(c);
        if (!r)
                return;
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
        conn_set_state(c, CONN_ROUTED);
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
                conn_set_state(c, CONN_REPLY);
        evtimer_del(c->deadline);
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
                if (c->chunk.left > 0) { /* chunk data: moved, never copied */
                        if (avail == 0)
                                return 0;
                        size_t n = avail < c->chunk.left ? avail : (size_t)c->chunk.left;
                        if (!body_take(c, in, n)) {
                                *too_large = true;
                                return -1;
                        }
                        chunked_took(&c->chunk, n);
                        continue;
                }
                /* Framing: a line at most, so a window of CHUNKED_LINE_MAX + 2 bytes will do. */
                size_t window = MIN(avail, (size_t)CHUNKED_LINE_MAX + 2), used = 0;
                const char *buf =
                    window ? (const char *)evbuffer_pullup(in, (ev_ssize_t)window) : "";
                enum chunked_status st = chunked_frame(&c->chunk, buf, window, &used);
                evbuffer_drain(in, used);
                switch (st) {
                case CHUNKED_DONE:
                        return 1;
                case CHUNKED_ERROR:
                        log_info(c->req->id, "msg=bad_chunked_body peer=%s detail=%s", c->peer,
                                 LOGQ(c->chunk.error));
                        return -1;
                case CHUNKED_MORE:
                        if (used == 0)
                                return 0;
                        break;
                case CHUNKED_DATA:
                        break;
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
        if (!done && !r->body_paused)
                body_clock_arm(c); /* more bytes arrived: the deadline moves */
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
        conn_set_state(c, CONN_BODY);
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
                chunked_init(&c->chunk);
        }
        if (c->expect_continue) {
                c->expect_continue = false;
                evbuffer_add_printf(bufferevent_get_output(c->bev),
                                    "HTTP/1.1 100 Continue\r\n\r\n");
        }
        set_timeouts(c, c->srv->cfg->read_timeout);
        bufferevent_enable(c->bev, EV_READ);
        c->body_active = 0;
        body_clock_start(c);
        conn_feed_body(c);
}

void http_conn_body_pause(struct req *r, bool pause)
{
        struct http_conn *c = r->conn;
        bool was = r->body_paused;
        r->body_paused = pause;
        if (!c || !r->body_reading)
                return;
        if (pause) {
                bufferevent_disable(c->bev, EV_READ);
                if (!was)
                        body_clock_stop(c); /* the handler's wait is not the client's slowness */
        } else {
                bufferevent_enable(c->bev, EV_READ);
                if (was)
                        body_clock_start(c);
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
        if (c->tls)
                evbuffer_add(out, HSTS_HEADER, sizeof(HSTS_HEADER) - 1);
        if (r->headers)
                evbuffer_add_buffer(out, r->headers);
        evbuffer_add(out, "\r\n", 2);
        conn_set_state(c, CONN_REPLY);
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

/*
 * Everything is sent: shut our side and, for a moment, read and drop what the client still
 * sends. Closing a socket with unread input resets the connection, and a reset can destroy an
 * answer the client has not read yet (a 413 or 408 while it is still sending, a pipelined
 * request's error): this is the lingering close of Apache and nginx.
 */
static void conn_linger(struct http_conn *c)
{
        evutil_socket_t fd = bufferevent_getfd(c->bev);
        if (c->tls || c->peer_eof || c->srv->stopping || fd < 0 || shutdown(fd, SHUT_WR) != 0) {
                conn_free(c);
                return;
        }
        conn_set_state(c, CONN_LINGER);
        struct evbuffer *in = bufferevent_get_input(c->bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        bufferevent_disable(c->bev, EV_WRITE);
        set_timeouts(c, LINGER_SECONDS);
        arm_deadline(c, LINGER_SECONDS);
        bufferevent_enable(c->bev, EV_READ);
}

static void conn_start_closing(struct http_conn *c)
{
        conn_set_state(c, CONN_CLOSING);
        bufferevent_disable(c->bev, EV_READ);
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
                conn_linger(c);
}

/* Ready for the next request on a kept-alive connection. */
static void conn_next_request(struct http_conn *c)
{
        conn_set_state(c, CONN_HEAD);
        c->head_clock = false; /* idle_timeout until the next request's first byte */
        c->head_scan = 0;
        c->chunked_out = false;
        bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
        set_timeouts(c, c->srv->cfg->idle_timeout);
        if (!c->peer_eof) /* else nothing more will come: what is buffered is all */
                bufferevent_enable(c->bev, EV_READ);
        else if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
                conn_start_closing(c);
        /* Pipelined bytes may already wait; read them from the loop, not from this stack. */
        if (c->state == CONN_HEAD && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
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
        case CONN_LINGER: {
                struct evbuffer *in = bufferevent_get_input(bev);
                c->lingered += evbuffer_get_length(in);
                evbuffer_drain(in, evbuffer_get_length(in));
                if (c->lingered > LINGER_BYTES)
                        conn_free(c);
                break;
        }
        default:
                break;
        }
}

static void write_cb(struct bufferevent *bev, void *arg)
{
        struct http_conn *c = arg;
        if (c->state == CONN_CLOSING) {
                if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
                        conn_linger(c);
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

/* The body stopped arriving (too slow, silent) or ended short: the handler answers, then close. */
static void conn_body_failed(struct http_conn *c, enum req_body_status status)
{
        c->keep_alive = false;
        if (status == REQ_BODY_TIMEOUT)
                c->srv->stats.body_timeouts++;
        body_finish(c, status);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
        struct http_conn *c = arg;
        if (c->state == CONN_HEAD)
                conn_head_timeout(c);
        else if (c->state == CONN_BODY && c->req)
                conn_body_failed(c, REQ_BODY_TIMEOUT);
        else if (c->state == CONN_LINGER)
                conn_free(c);
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
        if (c->state == CONN_HEAD && (what & BEV_EVENT_TIMEOUT)) {
                /* A request started but went silent: say so, then close (idle ones just close). */
                conn_head_timeout(c);
                return;
        }
        bool eof = (what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR);
        if (eof && c->state == CONN_HEAD) {
                /* The client ended its side: pipelined requests already here are still answered,
                 * and so are earlier replies not yet sent; then the connection closes. */
                c->peer_eof = true;
                if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
                        conn_read_head(c);
                else
                        conn_start_closing(c);
                return;
        }
        if (eof && c->state == CONN_BODY && c->req) {
                c->peer_eof = true;
                conn_feed_body(c); /* bytes read before the end still count */
                if (c->state != CONN_BODY || !c->req || c->req->body_done)
                        return;
        }
        if (c->state == CONN_BODY && c->req && !(what & BEV_EVENT_ERROR)) {
                /* Silence, or the client's end of sending before the body's end: the handler
                 * answers (408 or 400) and the reply goes out before the connection closes. */
                conn_body_failed(c,
                                 (what & BEV_EVENT_TIMEOUT) ? REQ_BODY_TIMEOUT : REQ_BODY_ABORTED);
                return;
        }
        conn_free(c);
}

/* --- connections and the listener --- */

static void peer_count(struct http_server *s, uint64_t key, int delta)
{
        uint32_t n = 0;
        u64map_get(&s->per_addr, key, &n);
        n = (uint32_t)((int64_t)n + delta);
        if (n == 0)
                u64map_del(&s->per_addr, key);
        else if (u64map_put(&s->per_addr, key, n) != 0)
                log_error(NULL, "msg=out_of_memory where=per_address_count");
}

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
        if (c->waiting)
                wait_remove(c);
        if (c->peer_counted)
                peer_count(s, c->peer_key, -1);
        if (c->deadline)
                event_free(c->deadline);
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

/* One log line a second at most for refusals and evictions (an attack makes thousands). */
static void log_refusal(struct http_server *s, const char *reason, const char *peer)
{
        time_t now = time(NULL);
        if (now == s->refused_logged) {
                s->refused_unlogged++;
                return;
        }
        log_warn(NULL, "msg=connection_refused reason=%s peer=%s open=%zu unlogged=%llu", reason,
                 peer, s->nconns, (unsigned long long)s->refused_unlogged);
        s->refused_logged = now;
        s->refused_unlogged = 0;
}

/* Answers a connection refused at accept in the API's error shape and closes it. */
static void refuse(struct http_server *s, evutil_socket_t fd, int status, const char *code,
                   const char *message)
{
        if (!s->ssl) { /* over TLS a plain-text answer would be noise: just close */
                char body[256], reply[512];
                int blen =
                    snprintf(body, sizeof(body),
                             "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n", code, message);
                int n =
                    snprintf(reply, sizeof(reply),
                             "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             "Connection: close\r\nRetry-After: 1\r\nContent-Length: %d\r\n\r\n%s",
                             status, status_reason(status), blen, body);
                ssize_t w = send(fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
                (void)w;
        }
        evutil_closesocket(fd);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr,
                      int socklen, void *arg)
{
        struct http_server *s = arg;
        struct netaddr peer;
        char host[NETADDR_STRLEN] = "?";
        bool known = netaddr_from_sockaddr(addr, &peer);
        if (known)
                netaddr_format(&peer, host, sizeof(host));
        bool trusted = known && netaddr_in(&peer, s->trusted, s->ntrusted);
        uint64_t key = known ? netaddr_key(&peer) : 0;
        if (s->stopping) {
                refuse(s, fd, 503, "unavailable", "the server is shutting down, try again");
                log_refusal(s, "shutting_down", host);
                return;
        }
        /* One address may hold only so many connections (a proxy's carry many clients). */
        uint32_t mine = 0;
        if (known && !trusted && u64map_get(&s->per_addr, key, &mine) &&
            mine >= (uint32_t)s->cfg->max_conns_per_addr) {
                s->stats.refused_per_addr++;
                refuse(s, fd, 429, "rate_limited",
                       "too many connections from your address, try again");
                log_refusal(s, "max_conns_per_addr", host);
                return;
        }
        /* Full: the connection waiting longest for a request head (idle keep-alive, or a head
         * trickling in) makes room, so that slow clients cannot shut out new ones. */
        if (s->nconns >= s->max_conns) {
                if (!s->wait_first) {
                        s->stats.refused_full++;
                        refuse(s, fd, 503, "unavailable", "too many connections, try again");
                        log_refusal(s, "max_conns", host);
                        return;
                }
                s->stats.evicted++;
                log_refusal(s, "evicted_oldest_waiting", s->wait_first->peer);
                conn_free(s->wait_first);
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
        c->deadline = c->bev ? evtimer_new(s->base, deadline_cb, c) : NULL;
        if (!c->bev || !c->deadline) {
                if (c->bev)
                        bufferevent_free(c->bev);
                else
                        evutil_closesocket(fd);
                free(c);
                return;
        }
        snprintf(c->peer, sizeof(c->peer), "%s", host);
        c->peer_addr = peer;
        c->peer_key = key;
        if (known && !trusted) {
                peer_count(s, key, +1);
                c->peer_counted = true;
        }
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        s->stats.accepted++;
        c->state = CONN_HEAD;
        conn_set_state(c, CONN_HEAD);
        bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
        set_timeouts(c, s->cfg->idle_timeout);
        /* The first request's head (and a TLS handshake) is due within head_timeout. */
        c->head_clock = true;
        arm_deadline(c, s->cfg->head_timeout);
        bufferevent_enable(c->bev, EV_READ);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
        struct http_server *s = arg;
        if (s->listener)
                evconnlistener_enable(s->listener);
}

static void listener_error_cb(struct evconnlistener *l, void *arg)
{
        struct http_server *s = arg;
        int err = EVUTIL_SOCKET_ERROR();
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                /* The listener stays readable: without a pause this would spin on the loop. */
                struct timeval tv = tv_of(ACCEPT_PAUSE);
                evconnlistener_disable(l);
                evtimer_add(s->accept_resume, &tv);
                log_refusal(s, "out_of_descriptors", "-");
                return;
        }
        log_error(NULL, "msg=accept_failed error=%s", LOGQ(evutil_socket_error_to_string(err)));
}

/*
 * Connections need descriptors: the soft limit is raised towards the hard one, and when it still
 * cannot hold PREFD_MAX_CONNS the server takes fewer, so that a full server reclaims waiting
 * connections instead of failing accept().
 */
static size_t usable_conns(const struct config *cfg)
{
        rlim_t want = (rlim_t)cfg->max_conns + (rlim_t)cfg->db_pool + FD_RESERVE;
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
                return (size_t)cfg->max_conns;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
                struct rlimit raised = rl;
                raised.rlim_cur =
                    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
                        rl = raised;
        }
        if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
                return (size_t)cfg->max_conns;
        rlim_t room = rl.rlim_cur > (rlim_t)cfg->db_pool + FD_RESERVE + 1
                          ? rl.rlim_cur - (rlim_t)cfg->db_pool - FD_RESERVE
                          : 1;
        log_warn(NULL,
                 "msg=max_conns_lowered setting=PREFD_MAX_CONNS configured=%ld usable=%llu "
                 "open_file_limit=%llu",
                 cfg->max_conns, (unsigned long long)room, (unsigned long long)rl.rlim_cur);
        return (size_t)room;
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
        s->max_conns = usable_conns(cfg);
        if (crypto_random(&s->id_prefix, sizeof(s->id_prefix)) != 0) {
                snprintf(err, errlen, "no random numbers from OpenSSL");
                free(s);
                return NULL;
        }
        if (netaddr_cidrs_parse(cfg->trusted_proxies, &s->trusted, &s->ntrusted, err, errlen) !=
            0) {
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
        s->accept_resume = evtimer_new(base, accept_resume_cb, s);
        if (!s->accept_resume) {
                snprintf(err, errlen, "out of memory");
                http_server_free(s);
                return NULL;
        }
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

void http_server_stats(const struct http_server *s, struct http_stats *out)
{
        *out = s->stats;
        out->open = s->nconns;
        out->waiting = 0;
        for (const struct http_conn *c = s->wait_first; c; c = c->wait_next)
                out->waiting++;
        out->addresses = s->per_addr.used;
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
        if (s->accept_resume)
                evtimer_del(s->accept_resume);
        struct http_conn *c = s->conns, *next;
        for (; c; c = next) {
                next = c->next;
                c->keep_alive = false;
                if ((c->state == CONN_HEAD &&
                     evbuffer_get_length(bufferevent_get_input(c->bev)) == 0) ||
                    c->state == CONN_LINGER)
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
        if (s->accept_resume)
                event_free(s->accept_resume);
        if (s->ssl)
                SSL_CTX_free(s->ssl);
        u64map_fini(&s->per_addr);
        free(s->trusted);
        free(s);
}
