/*
 * req.h - one HTTP request as handlers see it, and the ways to answer it.
 *
 * Life of a request: http.c parses the head and hands the request to the router; the router
 * matches a route, authenticates, reads the body and calls the handler; the handler starts its
 * queries and returns; the last continuation answers with exactly one req_reply_* (or a
 * req_stream_begin ... req_stream_end sequence). After that call the handler must not touch the
 * request again: it is freed by http.c once the reply is written, or at once when the client
 * has gone away (req->conn == NULL), so a late answer is always safe.
 *
 * Everything allocated for a request belongs to it: the parsed head, the decoded path and
 * parameters, the body and its JSON, and the handler's state (req_set_state) are freed together
 * in req_free, after the one reply.
 */
#ifndef REQ_H
#define REQ_H

#include "prefd.h"
#include "httpparse.h"

#include <jansson.h>
#include <time.h>

struct app;
struct evbuffer;
struct http_conn;
struct route;
struct db_res;
struct req;

enum req_method {
        REQ_GET,
        REQ_HEAD,
        REQ_POST,
        REQ_PUT,
        REQ_PATCH,
        REQ_DELETE,
        REQ_OPTIONS,
        REQ_OTHER,
};

enum user_role {
        ROLE_RATER,   /* rates and reviews; never sees model names or rankings */
        ROLE_ANALYST, /* reads projects, rankings, exports, rater statistics */
        ROLE_ADMIN,   /* everything */
};

/* The authenticated caller. */
struct req_user {
        int64_t id;
        char id_text[24]; /* id in decimal, for statement parameters */
        char name[72];
        enum user_role role;
        bool via_cookie; /* a browser session: state changes need the CSRF token */
        char csrf[64];   /* the session's CSRF token (cookie sessions only) */
        char cred[65];   /* hex SHA-256 of the credential (token or cookie) */
        bool cached;     /* authenticated from the process's cache (authcache.h): the handler's
                            statement must check cred again (ROUTE_CRED_IN_QUERY) */
};

/* How the body ended, for req_body_end_fn. */
enum req_body_status {
        REQ_BODY_OK,        /* all of it arrived */
        REQ_BODY_TOO_LARGE, /* more than the route's limit; the connection will close */
        REQ_BODY_ABORTED,   /* the client went away, ended it short or sent malformed chunks */
        REQ_BODY_TIMEOUT,   /* it went silent or fell below the minimum rate: answer 408 */
};

typedef void (*req_fn)(struct req *req);
/* Called with new body bytes in req->body; consume what you can, leave a partial record. */
typedef void (*req_body_data_fn)(struct req *req);
typedef void (*req_body_end_fn)(struct req *req, enum req_body_status status);
typedef void (*req_db_fn)(struct req *req, const struct db_res *res);

struct req {
        struct app *app;        /* borrowed: the process-wide context */
        struct http_conn *conn; /* NULL once the connection is gone */
        char id[24];            /* request id, in logs and the X-Request-Id header */
        enum req_method method;
        const char *method_name; /* as sent */
        struct http_head head;   /* parsed head; strings point into head_buf */
        char *head_buf;          /* owned */
        char *path;              /* percent-decoded path, owned */
        const char *query;       /* raw query string (points into head_buf), "" if none */
        int64_t content_length;  /* -1 when absent (or chunked) */
        bool chunked;            /* Transfer-Encoding: chunked */
        bool tls;                /* arrived over HTTPS */
        char peer[64];           /* the TCP peer's address */
        char client[64];         /* the client's: the peer, or from X-Forwarded-For when the
                                    peer is a trusted proxy (netaddr_client); "" if unknown */

        const struct route *route; /* matched route, NULL before routing */
        char *params[4];           /* decoded {parameters} of the route's path, owned */
        size_t nparams;

        bool authed;
        struct req_user user;

        struct evbuffer *body; /* body bytes received and not consumed, owned */
        json_t *json;          /* parsed JSON body of JSON routes, owned */

        /* Reply bookkeeping (http.c and req.c) */
        bool replied;             /* the one reply has started */
        bool finished;            /* the reply is complete (stream ended) */
        bool streaming;           /* a chunked reply is in progress */
        int status;               /* status sent */
        uint64_t bytes_out;       /* body bytes sent */
        struct evbuffer *headers; /* extra response headers, owned */
        struct timespec start;    /* when the head arrived */
        double db_ms;             /* time spent waiting for the database */
        unsigned pending_db;      /* queries in flight for this request */
        bool db_may_lag;          /* statements go to app->db_read (req_db_may_lag) */

        /* Body reading (http.c) */
        req_body_data_fn on_body;
        req_body_end_fn on_body_end;
        int64_t body_limit;
        uint64_t body_received;
        bool body_reading, body_paused, body_done;

        /* Streaming replies (http.c) */
        req_fn on_drain;

        /* The router's continuation after an asynchronous step (authentication). */
        req_fn next;

        /* The page req_page or qv_page read, also as text for a statement's parameters. */
        struct {
                long limit;
                long long after;
                char limit_text[24], after_text[24];
        } page;

        /* The handler's own state, freed by state_free in req_free. */
        void *state;
        void (*state_free)(void *state);
};

/* --- reading the request --- */

const char *req_header(const struct req *r, const char *name);
/* Query parameter decoded into out: 1 found, 0 absent, -1 malformed or too long. */
int req_query(const struct req *r, const char *name, char *out, size_t outlen);
/* Path parameter i of the route (decoded), or "" when absent. */
const char *req_param(const struct req *r, size_t i);
/*
 * For lists whose only parameters are ?limit= (1..1000, default 100) and ?cursor= (the
 * next_cursor of the previous page; 0 when absent): reads them into r->page, or replies 400
 * and returns -1 when they are malformed or another parameter is given (qv.h; lists with
 * filters use qv_page).
 */
int req_page(struct req *r) PREFD_MUSTCHECK;
/* Attaches handler state, freed with `fn` when the request is freed (steals). */
void req_set_state(struct req *r, void *state, void (*fn)(void *state));

/*
 * Starts reading the body, at most `limit` bytes. With on_data NULL the whole body is collected
 * in r->body and on_end runs once it is complete; otherwise on_data runs as bytes arrive (it may
 * call req_body_pause) and on_end once at the end. A 100 Continue goes out first when the client
 * asked for it.
 */
void req_body_read(struct req *r, int64_t limit, req_body_data_fn on_data, req_body_end_fn on_end);
/* Stops reading the socket until req_body_resume (back-pressure while the database works). */
void req_body_pause(struct req *r);
void req_body_resume(struct req *r);

/* --- replying (exactly one of these per request) --- */

/* Adds a response header to the coming reply (Set-Cookie, Allow, Location, ...). */
void req_add_header(struct req *r, const char *name, const char *value);
/* A JSON reply; steals body. */
void req_reply_json(struct req *r, int status, json_t *body);
/* A reply whose JSON text is already rendered (for example by PostgreSQL). */
void req_reply_json_text(struct req *r, int status, const char *json, size_t len);
/* A bodiless reply (204, 304). */
void req_reply_empty(struct req *r, int status);
/* Any body with a content type. */
void req_reply_raw(struct req *r, int status, const char *content_type, const void *data,
                   size_t len);
/*
 * The error shape of the API: {"error": {"code", "message", "details"?}}. Steals details (may be
 * NULL). The message is printf-formatted and may echo anything a client sent: bytes that are not
 * UTF-8 become U+FFFD, so the reply is always valid JSON.
 */
void req_reply_error(struct req *r, int status, const char *code, json_t *details, const char *fmt,
                     ...) PREFD_PRINTF(5, 6);

/* 503 unavailable "out of memory": what every handler answers when an allocation fails. */
void req_reply_oom(struct req *r);

/*
 * How a handler's SQL function reports its outcome: a status word per row, mapped to HTTP by a
 * table of the handler's own, ended by { NULL }. http 0 marks a success the handler answers
 * itself. In message, "{}" stands for the handler's argument (a slug, a name); a NULL message
 * says the argument is the message (the function's own text).
 */
struct req_status {
        const char *status;
        int http;
        const char *code;
        const char *message;
};
/*
 * Replies the error that `status` maps to and returns true; returns false (and sends nothing)
 * for a success. A status missing from the table is a defect: 500 internal, logged.
 */
bool req_reply_status(struct req *r, const struct req_status *map, const char *status,
                      const char *arg) PREFD_MUSTCHECK;

/* Streaming replies: a chunked body written piece by piece. */
void req_stream_begin(struct req *r, int status, const char *content_type);
/* Queues bytes; -1 when the client is gone (stop producing and call req_stream_end). */
int req_stream_write(struct req *r, const void *data, size_t len);
/* True while the unsent output is above the high-water mark: wait for on_drain before more. */
bool req_stream_congested(const struct req *r);
/* Calls fn once the unsent output falls below the low-water mark (or the client is gone). */
void req_stream_on_drain(struct req *r, req_fn fn);
void req_stream_end(struct req *r);
/*
 * Ends a stream that cannot be completed (the database failed half-way): the connection closes
 * without the final chunk, so that the client sees the body is incomplete.
 */
void req_stream_abort(struct req *r);

/* --- database access tied to the request --- */

/*
 * Runs one parameterised statement for the request; `fn` gets the result (borrowed) and the
 * request. The time waited is added to r->db_ms for the access log.
 */
void req_db(struct req *r, const char *sql, int nparams, const char *const *params, req_db_fn fn);
/*
 * The same for a statement that may lose a race with a concurrent transaction (a deadlock or a
 * serialisation failure, db_res_lost_race): it is sent again, up to REQ_DB_RETRIES times, before
 * fn sees the failure. sql must stay valid until fn runs (a constant); params are copied.
 */
#define REQ_DB_RETRIES 3
void req_db_retry(struct req *r, const char *sql, int nparams, const char *const *params,
                  req_db_fn fn);
/*
 * Sends the request's statements from now on to app->db_read, which may lag behind the primary
 * by a standby's replay delay (PREFD_DATABASE_READ_URL; the primary itself when that is unset).
 * For handlers that only read and whose answer need not show the latest writes: rankings,
 * exports, quality statistics. Never for a vote's reply, nor before a write.
 */
void req_db_may_lag(struct req *r);
/* The pool the request's statements go to: app->db, or app->db_read after req_db_may_lag. */
struct db *req_db_pool(const struct req *r);

/*
 * When `res` failed, replies the matching error (503 unavailable, 409 conflict for unique
 * violations, 400 bad_request for bytes that are not UTF-8, 500 internal otherwise, logged with
 * the request id) and returns true.
 */
bool req_db_failed(struct req *r, const struct db_res *res);
/*
 * The continuation of a statement that reads one JSON value about the project the route names
 * (its first parameter): 200 with that value, 404 "no project" when there is no row.
 */
void req_reply_project_json(struct req *r, const struct db_res *res);

/*
 * Lists (API.md, "Lists") page by keyset: a list's statement takes the limit and the cursor
 * from req_page or qv_page (0 for the first page), orders its rows by a key that ends in a
 * unique id, starts after the row whose id the cursor is, and fetches limit + 1 rows; the
 * extra row only tells that another page follows.
 *
 * req_reply_page replies 200 {"items": items, "next_cursor": next or null} plus the members of
 * extra (an object, or NULL) when a list reports more; next is the id of the last item shown, 0
 * when there is no next page. Steals items and extra (a NULL items answers 503).
 */
void req_reply_page(struct req *r, json_t *items, long long next, json_t *extra);
/*
 * The continuation of a list statement whose rows are (cursor bigint, item json): the first
 * limit items, the cursor of the last of them when there are more. A row whose item is NULL is
 * no item (so a statement can say "the project exists" with one such row and no items). The
 * limit is the one req_page or qv_page read.
 */
void req_reply_page_rows(struct req *r, const struct db_res *res);
/* The same for a list of the project the route names: no row at all is 404 "no project". */
void req_reply_project_page(struct req *r, const struct db_res *res);
/* req_reply_project_page that passes each item to each (which may add to it) before replying. */
void req_reply_project_page_each(struct req *r, const struct db_res *res,
                                 void (*each)(json_t *item));

/* --- used by http.c --- */

struct req *req_new(struct app *app, struct http_conn *conn);
/* Frees the request and everything it owns; NULL is a no-op. */
void req_free(struct req *r);
/* The one access-log line, when the reply is complete. */
void req_log_access(const struct req *r);
/* Parses the method name into enum req_method. */
enum req_method req_method_parse(const char *name);
const char *req_role_name(enum user_role role);
/* -1 when unknown */
int req_role_parse(const char *name);

#endif
