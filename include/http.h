/*
 * http.h - prefd's HTTP/1.1 server on libevent bufferevents (plain or OpenSSL).
 *
 * Why not evhttp: evhttp reads a whole request body into memory before the handler runs and
 * answers oversized or malformed requests with HTML; prefd streams uploads of any size line by
 * line with back-pressure and answers every failure in the API's JSON error shape.
 *
 * Each connection is a small state machine (the memcached drive_machine idea):
 *   HEAD     reading a request line and headers (limit max_header; silence: read_timeout, or
 *            idle_timeout before a kept-alive connection's next request; the whole head within
 *            head_timeout of the connection's opening or the request's first byte, else 408)
 *   ROUTED   head parsed, the router and handler decide; the socket is not read
 *   BODY     reading the body for req_body_read (Content-Length or chunked, chunked.h); it must
 *            average min_body_rate after a first read_timeout, not counting the handler's
 *            pauses, else 408; a client that ends its side early gets its answer before close
 *   REPLY    the handler is working or the reply is being written
 *   CLOSING  writing the last bytes
 *   LINGER   all sent and our side shut (plain TCP): what the client still sends is read and
 *            dropped for up to 2 s, so that closing cannot reset the connection before the
 *            client has read its answer; then the connection is freed
 * A client that ends its side (half-close) still gets the answers to every request it sent.
 * One request at a time per connection; the next head is read after the reply, so pipelined
 * requests are answered in order. Keep-alive follows HTTP/1.1 rules; framing follows RFC 9112
 * strictly (httpparse_framing). Over TLS every reply carries Strict-Transport-Security.
 *
 * Capacity: one client address (IPv6: one /64) holds at most max_conns_per_addr connections
 * (429 beyond; trusted proxies are exempt); when all max_conns are taken a new connection
 * closes the one that has waited longest for a request head (idle keep-alive connections and
 * heads still arriving), and only when none is waiting is it refused (503).
 *
 * Shutdown stops accepting, closes idle connections, lets requests in flight finish and then
 * calls the drained callback.
 */
#ifndef HTTP_H
#define HTTP_H

#include "prefd.h"
#include "req.h"

struct event_base;
struct evbuffer;
struct config;
struct http_server;
struct http_conn;

/* Receives each request once its head is parsed; must lead to exactly one reply. */
typedef void (*http_dispatch_fn)(struct req *req);

/*
 * Listens on cfg->listen (HTTPS when ssl_ctx, an SSL_CTX *, is given; the server takes a
 * reference). Returns NULL with a message in err.
 */
struct http_server *http_server_new(struct event_base *base, struct app *app,
                                    const struct config *cfg, void *ssl_ctx,
                                    http_dispatch_fn dispatch, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

/* Open connections. */
size_t http_server_conns(const struct http_server *s);

/* What the server did about connections, for /metrics. */
struct http_stats {
        uint64_t accepted;
        uint64_t refused_full;     /* max_conns reached and none waiting to reclaim (503) */
        uint64_t refused_per_addr; /* max_conns_per_addr reached (429) */
        uint64_t evicted;          /* the longest-waiting connection closed to make room */
        uint64_t head_timeouts;    /* heads past head_timeout or silent for read_timeout (408) */
        uint64_t body_timeouts;    /* bodies below min_body_rate or silent (408) */
        size_t open;               /* connections now */
        size_t waiting;            /* of them, waiting for a request head */
        size_t addresses;          /* client addresses with connections now */
};
void http_server_stats(const struct http_server *s, struct http_stats *out);

/*
 * Graceful stop: no new connections; idle ones close now, busy ones after their reply.
 * drained(arg) runs once no connection is left (possibly at once).
 */
void http_server_shutdown(struct http_server *s, void (*drained)(void *arg), void *arg);

/* Closes everything at once and frees the server; NULL is a no-op. */
void http_server_free(struct http_server *s);

/* --- for req.c: the connection side of a request --- */

/* Writes the status line and headers; len -1 starts a chunked body. */
void http_conn_send_head(struct req *r, int status, const char *content_type, int64_t len);
/* Writes body bytes (chunk-framed when chunked); -1 when the connection is gone. */
int http_conn_send_body(struct req *r, const void *data, size_t len);
/* The reply is complete: finishes chunking, then the next request or close. */
void http_conn_reply_done(struct req *r);
/* The reply cannot be completed: closes the connection at once and frees r. */
void http_conn_abort(struct req *r);
/* Bytes written but not yet sent to the client. */
size_t http_conn_output_len(const struct req *r);
void http_conn_body_start(struct req *r);
void http_conn_body_pause(struct req *r, bool pause);

#endif
