/*
 * db.c - the pool of non-blocking libpq connections; see db.h. The only file that calls libpq.
 */
#include "db.h"

#include "log.h"

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN     0.1  /* seconds before the first reconnect */
#define BACKOFF_MAX     5.0  /* longest pause between reconnects */
#define CONNECT_TIMEOUT 10.0 /* seconds a connection attempt may take */
#define SWEEP_INTERVAL  0.25 /* seconds between checks of queued queries' waiting time */
#define STMTS           128  /* statements each connection keeps prepared */

enum db_state {
        DB_DOWN,       /* not connected; a retry timer is armed */
        DB_CONNECTING, /* PQconnectPoll in progress */
        DB_SETUP,      /* session settings being applied */
        DB_IDLE,       /* ready, watching the socket for a server-side close */
        DB_BUSY,       /* a statement in flight */
};

enum db_kind {
        DB_KIND_QUERY,  /* parameterised statement */
        DB_KIND_SCRIPT, /* several statements, no parameters */
        DB_KIND_PIN,    /* a request for a pinned connection */
        DB_KIND_COPY,   /* COPY FROM STDIN with its data */
};

struct db_query {
        enum db_kind kind;
        char *sql;
        int nparams;
        char **params;
        db_fn fn;
        db_pin_fn pin_fn;
        void *arg;
        char *copy_data; /* DB_KIND_COPY: the rows, owned */
        size_t copy_len;
        size_t copy_sent;
        bool copying;  /* the server accepted the COPY: data is being sent */
        bool unnamed;  /* never prepared (the session set-up) */
        int preparing; /* index of the statement being prepared for it, or -1 */
        struct timespec queued_at;
        struct db_query *next;
};

struct db_res {
        PGresult *pg;
        enum db_status status;
        const char *message;
        double ms;
        bool kept; /* db_res_keep took pg: the callback's caller must not clear it */
};

struct db_pin {
        struct db *db;
        struct db_conn *conn;         /* NULL once the connection was lost */
        struct db_query *head, *tail; /* statements waiting on this pin */
        bool released;                /* db_unpin called; give back once idle */
};

struct db_conn {
        struct db *db;
        int index;
        PGconn *pg;
        enum db_state state;
        struct event *ev;    /* socket readiness */
        struct event *timer; /* reconnect and connect-timeout timer */
        double backoff;
        bool was_up; /* has been up before: the next success counts as a reconnect */
        struct db_query *cur;
        PGresult *result;   /* last result of the statement in flight */
        PGresult *failure;  /* first failed result of a script */
        struct db_pin *pin; /* the owner of this connection, or NULL when shared */
        /*
         * Statements prepared on this connection ("s0", "s1" ...): a query's text is parsed and
         * planned once per connection, then only bound and run. Emptied when the connection is.
         */
        struct stmt {
                uint64_t hash;
                char *sql;
        } stmts[STMTS];
        int nstmts;
};

struct db {
        struct event_base *base;
        struct db_opts opts;
        char *url;
        struct db_conn *conns;
        struct db_query *head, *tail; /* FIFO of waiting queries and pins */
        size_t queued;
        struct event *sweep;
        struct db_stats stats;
        struct waiter {
                void (*fn)(void *);
                void *arg;
                struct waiter *next;
        } * waiters;
        bool closing;
};

static void conn_connect(struct db_conn *c);
static void stmts_clear(struct db_conn *c);
static void conn_next(struct db_conn *c);
static void conn_arm(struct db_conn *c, short what, double timeout);

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double since_ms(const struct timespec *t)
{
        struct timespec n;
        clock_gettime(CLOCK_MONOTONIC, &n);
        return (double)(n.tv_sec - t->tv_sec) * 1e3 + (double)(n.tv_nsec - t->tv_nsec) / 1e6;
}

static struct timeval tv_of(double s)
{
        struct timeval tv = { .tv_sec = (time_t)s };
        tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
        return tv;
}

/* --- queries --- */

static void query_free(struct db_query *q)
{
        if (!q)
                return;
        for (int i = 0; i < q->nparams; i++)
                free(q->params[i]);
        free(q->params);
        free(q->sql);
        free(q->copy_data);
        free(q);
}

static struct db_query *query_new(enum db_kind kind, const char *sql, int nparams,
                                  const char *const *params)
{
        struct db_query *q = calloc(1, sizeof(*q));
        if (!q)
                return NULL;
        q->kind = kind;
        q->preparing = -1;
        clock_gettime(CLOCK_MONOTONIC, &q->queued_at);
        if (sql && !(q->sql = strdup(sql)))
                goto fail;
        if (nparams > 0) {
                q->params = calloc((size_t)nparams, sizeof(char *));
                if (!q->params)
                        goto fail;
                q->nparams = nparams;
                for (int i = 0; i < nparams; i++)
                        if (params[i] && !(q->params[i] = strdup(params[i])))
                                goto fail;
        }
        return q;
fail:
        query_free(q);
        return NULL;
}

/* Delivers a result without a server answer (unavailable), for queries that never ran. */
static void query_fail(struct db *db, struct db_query *q, const char *message)
{
        db->stats.failures++;
        if (q->kind == DB_KIND_PIN) {
                q->pin_fn(NULL, q->arg);
        } else if (q->fn) {
                struct db_res res = { .status = DB_UNAVAILABLE,
                                      .message = message,
                                      .ms = since_ms(&q->queued_at) };
                q->fn(&res, q->arg);
        }
        query_free(q);
}

struct deferred_fail {
        struct db *db;
        struct db_query *q;
        const char *message;
};

static void deferred_fail_cb(evutil_socket_t fd, short what, void *arg)
{
        struct deferred_fail *d = arg;
        query_fail(d->db, d->q, d->message);
        free(d);
}

/* Fails a query from the loop, so that callers never see their callback inside db_query. */
static void query_fail_later(struct db *db, struct db_query *q, const char *message)
{
        struct deferred_fail *d = malloc(sizeof(*d));
        struct timeval zero = { 0, 0 };
        if (d) {
                *d = (struct deferred_fail){ db, q, message };
                if (event_base_once(db->base, -1, EV_TIMEOUT, deferred_fail_cb, d, &zero) == 0)
                        return;
                free(d);
        }
        /* Out of memory: failing on the caller's stack is the lesser evil. */
        query_fail(db, q, message);
}

static void queue_push(struct db_query **head, struct db_query **tail, struct db_query *q)
{
        q->next = NULL;
        if (*tail)
                (*tail)->next = q;
        else
                *head = q;
        *tail = q;
}

static struct db_query *queue_pop(struct db_query **head, struct db_query **tail)
{
        struct db_query *q = *head;
        if (q) {
                *head = q->next;
                if (!*head)
                        *tail = NULL;
                q->next = NULL;
        }
        return q;
}

static struct db_conn *idle_conn(struct db *db)
{
        for (int i = 0; i < db->opts.pool; i++)
                if (db->conns[i].state == DB_IDLE && !db->conns[i].pin)
                        return &db->conns[i];
        return NULL;
}

static void submit(struct db *db, struct db_query *q)
{
        if (!db_available(db) || db->closing) {
                query_fail_later(db, q, "database unavailable");
                return;
        }
        if (db->queued >= (size_t)db->opts.queue_max) {
                query_fail_later(db, q, "too many queries waiting for the database");
                return;
        }
        queue_push(&db->head, &db->tail, q);
        db->queued++;
        struct db_conn *c = idle_conn(db);
        if (c)
                conn_next(c);
}

/* A statement whose result goes to fn; NULL when out of memory, after fn was told so. */
static struct db_query *query_for(enum db_kind kind, const char *sql, int nparams,
                                  const char *const *params, db_fn fn, void *arg)
{
        struct db_query *q = query_new(kind, sql, nparams, params);
        if (!q) {
                struct db_res res = { .status = DB_UNAVAILABLE, .message = "out of memory" };
                fn(&res, arg);
                return NULL;
        }
        q->fn = fn;
        q->arg = arg;
        return q;
}

void db_query(struct db *db, const char *sql, int nparams, const char *const *params, db_fn fn,
              void *arg)
{
        struct db_query *q = query_for(DB_KIND_QUERY, sql, nparams, params, fn, arg);
        if (q)
                submit(db, q);
}

void db_pin(struct db *db, db_pin_fn fn, void *arg)
{
        struct db_query *q = query_new(DB_KIND_PIN, NULL, 0, NULL);
        if (!q) {
                fn(NULL, arg);
                return;
        }
        q->pin_fn = fn;
        q->arg = arg;
        submit(db, q);
}

static void pin_submit(struct db_pin *pin, struct db_query *q)
{
        struct db_conn *c = pin->conn;
        if (!c || pin->released) {
                /* The pinned connection was lost: the transaction is gone with it. */
                query_fail_later(pin->db, q, "database connection lost");
                return;
        }
        queue_push(&pin->head, &pin->tail, q);
        if (c->state == DB_IDLE)
                conn_next(c);
}

void db_pin_query(struct db_pin *pin, const char *sql, int nparams, const char *const *params,
                  db_fn fn, void *arg)
{
        struct db_query *q = query_for(DB_KIND_QUERY, sql, nparams, params, fn, arg);
        if (q)
                pin_submit(pin, q);
}

void db_pin_script(struct db_pin *pin, const char *sql, db_fn fn, void *arg)
{
        struct db_query *q = query_for(DB_KIND_SCRIPT, sql, 0, NULL, fn, arg);
        if (q)
                pin_submit(pin, q);
}

void db_pin_copy(struct db_pin *pin, const char *sql, char *data, size_t len, db_fn fn, void *arg)
{
        struct db_query *q = query_for(DB_KIND_COPY, sql, 0, NULL, fn, arg);
        if (!q) {
                free(data);
                return;
        }
        q->copy_data = data;
        q->copy_len = len;
        pin_submit(pin, q);
}

/* The pin is done with and its connection idle: share the connection again. */
static void pin_release(struct db_conn *c)
{
        free(c->pin);
        c->pin = NULL;
        conn_next(c);
}

void db_unpin(struct db_pin *pin)
{
        struct db_conn *c = pin->conn;
        pin->released = true;
        if (!c) {
                free(pin); /* the connection was lost earlier; nothing to give back */
                return;
        }
        if (c->state == DB_IDLE)
                conn_next(c); /* rolls back if needed, then releases */
}

/* --- connections --- */

/* The pinned connection is gone: its waiting statements fail; the owner frees the pin. */
static void pin_lost(struct db_conn *c, const char *message)
{
        struct db_pin *pin = c->pin;
        c->pin = NULL;
        pin->conn = NULL;
        struct db_query *q;
        while ((q = queue_pop(&pin->head, &pin->tail)))
                query_fail_later(c->db, q, message);
        if (pin->released)
                free(pin);
}

static void conn_schedule_retry(struct db_conn *c)
{
        double jitter = 0.8 + 0.4 * ((double)rand() / RAND_MAX);
        struct timeval tv = tv_of(c->backoff * jitter);
        c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
        evtimer_add(c->timer, &tv);
}

/* Drops a connection after an error; its statement fails, and it reconnects later. */
static void conn_broken(struct db_conn *c, const char *why)
{
        struct db *db = c->db;
        bool had = c->state == DB_IDLE || c->state == DB_BUSY;
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", c->pg ? PQerrorMessage(c->pg) : why);
        for (char *p = msg; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        if (had || c->backoff <= BACKOFF_MIN)
                log_warn(NULL, "msg=db_connection_lost conn=%d reason=%s detail=%s", c->index, why,
                         LOGQ(msg));
        event_del(c->ev);
        evtimer_del(c->timer);
        if (c->result)
                PQclear(c->result);
        if (c->failure)
                PQclear(c->failure);
        c->result = c->failure = NULL;
        if (c->pg)
                PQfinish(c->pg);
        c->pg = NULL;
        c->state = DB_DOWN;
        stmts_clear(c);
        struct db_query *q = c->cur;
        c->cur = NULL;
        if (q) {
                /* A ROLLBACK issued by db_unpin has no owner to tell. */
                if (q->fn || q->kind == DB_KIND_PIN)
                        query_fail(db, q, "database connection lost");
                else
                        query_free(q);
        }
        if (c->pin)
                pin_lost(c, "database connection lost");
        if (!db->closing)
                conn_schedule_retry(c);
        /* With no connection left, waiting queries cannot be served: fail them now. */
        if (!db_available(db)) {
                struct db_query *w;
                while ((w = queue_pop(&db->head, &db->tail))) {
                        db->queued--;
                        query_fail_later(db, w, "database unavailable");
                }
        }
}

static void conn_became_up(struct db_conn *c)
{
        struct db *db = c->db;
        c->state = DB_IDLE;
        c->backoff = BACKOFF_MIN;
        if (c->was_up)
                db->stats.reconnects++;
        c->was_up = true;
        log_info(NULL, "msg=db_connected conn=%d server_version=%d", c->index,
                 PQserverVersion(c->pg));
        struct waiter *w = db->waiters;
        db->waiters = NULL;
        while (w) {
                struct waiter *next = w->next;
                w->fn(w->arg);
                free(w);
                w = next;
        }
        if (c->state == DB_IDLE)
                conn_next(c);
}

static void deliver(struct db_conn *c, struct db_query *q)
{
        struct db *db = c->db;
        PGresult *pg = c->failure ? c->failure : c->result;
        struct db_res res = { .pg = pg, .ms = since_ms(&q->queued_at) };
        ExecStatusType st = pg ? PQresultStatus(pg) : PGRES_FATAL_ERROR;
        const char *sqlstate = pg ? PQresultErrorField(pg, PG_DIAG_SQLSTATE) : NULL;
        /* A write on a server that is (or became) read-only, a standby: this connection is on
         * the wrong server. The statement changed nothing; drop the connection, whose
         * replacement goes where the URL's target_session_attrs says. */
        bool wrong_server = sqlstate && strcmp(sqlstate, DB_READ_ONLY_TRANSACTION) == 0;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
                res.status = DB_OK;
        } else if (wrong_server) {
                res.status = DB_UNAVAILABLE;
                res.message = "the database server is read-only (a standby)";
                db->stats.failures++;
        } else {
                res.status = DB_FAILED;
                res.message = pg ? PQresultErrorMessage(pg) : "no result";
                db->stats.failures++;
                log_debug(NULL, "msg=db_statement_failed sqlstate=%s detail=%s",
                          pg && PQresultErrorField(pg, PG_DIAG_SQLSTATE)
                              ? PQresultErrorField(pg, PG_DIAG_SQLSTATE)
                              : "",
                          LOGQ(res.message));
        }
        db->stats.queries++;
        if (c->failure && c->result)
                PQclear(c->result);
        c->result = c->failure = NULL;
        if (q->fn)
                q->fn(&res, q->arg);
        if (pg && !res.kept)
                PQclear(pg);
        query_free(q);
        if (wrong_server && c->state != DB_DOWN) {
                log_warn(NULL, "msg=db_read_only_server conn=%d action=reconnect", c->index);
                conn_broken(c, "read_only_server");
        }
}

/* FNV-1a of a statement's text. */
static uint64_t text_hash(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

/* The index of sql among the connection's prepared statements, or -1. */
static int stmt_find(const struct db_conn *c, const char *sql, uint64_t hash)
{
        for (int i = 0; i < c->nstmts; i++)
                if (c->stmts[i].hash == hash && strcmp(c->stmts[i].sql, sql) == 0)
                        return i;
        return -1;
}

static void stmt_name(char out[16], int i)
{
        snprintf(out, 16, "s%d", i);
}

/*
 * Sends a parameterised statement: bound to its prepared form when the connection has one;
 * else prepared first (its result completes the prepare, and conn_read_results sends it again),
 * unless the connection holds STMTS statements already.
 */
static int send_params(struct db_conn *c, struct db_query *q)
{
        char name[16];
        uint64_t hash = text_hash(q->sql);
        int i = q->unnamed ? -1 : stmt_find(c, q->sql, hash);
        if (i >= 0) {
                stmt_name(name, i);
                return PQsendQueryPrepared(c->pg, name, q->nparams, (const char *const *)q->params,
                                           NULL, NULL, 0);
        }
        if (q->unnamed || c->nstmts == STMTS)
                return PQsendQueryParams(c->pg, q->sql, q->nparams, NULL,
                                         (const char *const *)q->params, NULL, NULL, 0);
        q->preparing = c->nstmts;
        stmt_name(name, q->preparing);
        return PQsendPrepare(c->pg, name, q->sql, q->nparams, NULL);
}

/*
 * Sends what libpq holds for the server as far as the socket takes it, then watches the socket:
 * for reading, and for writing too while some is left.
 */
static void conn_flush(struct db_conn *c)
{
        int f = PQflush(c->pg);
        if (f < 0) {
                conn_broken(c, "flush_failed");
                return;
        }
        conn_arm(c, f ? EV_READ | EV_WRITE : EV_READ, 0);
}

static void conn_send(struct db_conn *c, struct db_query *q)
{
        c->cur = q;
        c->state = DB_BUSY;
        int ok = q->kind == DB_KIND_SCRIPT || q->kind == DB_KIND_COPY ? PQsendQuery(c->pg, q->sql)
                                                                      : send_params(c, q);
        if (!ok) {
                conn_broken(c, "send_failed");
                return;
        }
        conn_flush(c);
}

/* The connection is idle: run the next statement of its pin, or of the shared queue. */
static void conn_next(struct db_conn *c)
{
        struct db *db = c->db;
        if (c->state != DB_IDLE)
                return;
        if (c->pin) {
                struct db_query *q = queue_pop(&c->pin->head, &c->pin->tail);
                if (q) {
                        conn_send(c, q);
                        return;
                }
                if (!c->pin->released)
                        return;
                if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
                        /* Roll back what the owner left open before anyone else gets it. */
                        q = query_new(DB_KIND_SCRIPT, "ROLLBACK", 0, NULL);
                        if (!q) {
                                conn_broken(c, "out_of_memory");
                                return;
                        }
                        conn_send(c, q);
                        return;
                }
                pin_release(c);
                return;
        }
        struct db_query *q = queue_pop(&db->head, &db->tail);
        if (!q)
                return;
        db->queued--;
        if (q->kind == DB_KIND_PIN) {
                db_pin_fn fn = q->pin_fn;
                void *arg = q->arg;
                query_free(q);
                struct db_pin *pin = calloc(1, sizeof(*pin));
                if (!pin) {
                        fn(NULL, arg);
                        conn_next(c);
                        return;
                }
                pin->db = db;
                pin->conn = c;
                c->pin = pin;
                fn(pin, arg);
                return;
        }
        conn_send(c, q);
}

/* Sends the rows of a COPY in pieces as the socket takes them, then the end of data. */
static void conn_copy_send(struct db_conn *c)
{
        struct db_query *q = c->cur;
        while (q->copy_sent < q->copy_len) {
                size_t n = q->copy_len - q->copy_sent;
                if (n > 256 * 1024)
                        n = 256 * 1024;
                int rc = PQputCopyData(c->pg, q->copy_data + q->copy_sent, (int)n);
                if (rc < 0) {
                        conn_broken(c, "copy_failed");
                        return;
                }
                if (rc == 0) {
                        conn_arm(c, EV_READ | EV_WRITE, 0); /* buffers full: wait */
                        return;
                }
                q->copy_sent += n;
        }
        if (q->copying) {
                if (PQputCopyEnd(c->pg, NULL) != 1) {
                        conn_broken(c, "copy_end_failed");
                        return;
                }
                q->copying = false;
        }
        conn_flush(c);
}

/* Empties the connection's prepared statements (the connection is gone). */
static void stmts_clear(struct db_conn *c)
{
        for (int i = 0; i < c->nstmts; i++)
                free(c->stmts[i].sql);
        c->nstmts = 0;
}

/*
 * The statement q->preparing was prepared: it joins the connection's statements and q is sent
 * again, now to run. False when that could not happen (q then gets the prepare's result).
 */
static bool prepared(struct db_conn *c, struct db_query *q)
{
        int i = q->preparing;
        q->preparing = -1;
        if (c->result)
                PQclear(c->result);
        c->result = NULL;
        if (i != c->nstmts || !(c->stmts[i].sql = strdup(q->sql)))
                return false;
        c->stmts[i].hash = text_hash(q->sql);
        c->nstmts++;
        conn_send(c, q);
        return true;
}

static void conn_read_results(struct db_conn *c)
{
        if (!PQconsumeInput(c->pg)) {
                conn_broken(c, "read_failed");
                return;
        }
        while (!PQisBusy(c->pg)) {
                PGresult *r = PQgetResult(c->pg);
                if (!r) {
                        /* The statement is complete. */
                        struct db_query *q = c->cur;
                        if (q->preparing >= 0 && !c->failure && prepared(c, q))
                                return;
                        c->cur = NULL;
                        c->state = DB_IDLE;
                        conn_arm(c, EV_READ, 0);
                        deliver(c, q);
                        if (c->state == DB_IDLE)
                                conn_next(c);
                        return;
                }
                ExecStatusType st = PQresultStatus(r);
                if ((st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) && !c->failure) {
                        c->failure = r;
                } else {
                        if (c->result)
                                PQclear(c->result);
                        c->result = r;
                }
                if (st == PGRES_COPY_IN && c->cur && c->cur->kind == DB_KIND_COPY) {
                        /* The server waits for the rows (again, while they are being sent). */
                        PQclear(r);
                        if (c->result == r)
                                c->result = NULL;
                        if (c->cur->copy_sent == 0)
                                c->cur->copying = true;
                        conn_copy_send(c);
                        return;
                }
                if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
                        conn_broken(c, "unexpected_copy");
                        return;
                }
        }
        if (PQstatus(c->pg) == CONNECTION_BAD)
                conn_broken(c, "connection_bad");
}

static void setup_done(const struct db_res *res, void *arg)
{
        struct db_conn *c = arg;
        if (res->status == DB_OK) {
                conn_became_up(c);
        } else if (res->status == DB_FAILED) {
                log_error(NULL, "msg=db_setup_failed conn=%d detail=%s", c->index,
                          LOGQ(db_res_message(res)));
                conn_broken(c, "setup_failed");
        }
        /* DB_UNAVAILABLE: the connection broke during set-up and is already reconnecting. */
}

/*
 * The session's settings, $1 the statement timeout (ms), $2 the search path (NULL: the server's).
 * Uploads stage their lines in temporary tables (temp_buffers); JIT is off because compiling a
 * plan costs more than our short queries take, and a stale estimate can trigger it.
 */
static const char setup_sql[] =
    "SELECT set_config('statement_timeout', $1, false), "
    "set_config('TimeZone', 'UTC', false), "
    "set_config('application_name', 'prefd', false), "
    "set_config('search_path', coalesce($2, current_setting('search_path')), false), "
    "set_config('temp_buffers', '64MB', false), "
    "set_config('jit', 'off', false)";

static void conn_setup(struct db_conn *c)
{
        if (PQsetnonblocking(c->pg, 1) != 0) {
                conn_broken(c, "nonblocking_failed");
                return;
        }
        char timeout[32];
        snprintf(timeout, sizeof(timeout), "%ld", (long)(c->db->opts.statement_timeout * 1000));
        const char *params[] = { timeout, c->db->opts.search_path };
        struct db_query *q = query_new(DB_KIND_QUERY, setup_sql, 2, params);
        if (!q) {
                conn_broken(c, "out_of_memory");
                return;
        }
        q->fn = setup_done;
        q->arg = c;
        q->unnamed = true;
        conn_send(c, q);
        if (c->state == DB_BUSY)
                c->state = DB_SETUP; /* not yet counted as available */
}

static void conn_poll_connect(struct db_conn *c)
{
        switch (PQconnectPoll(c->pg)) {
        case PGRES_POLLING_READING:
                conn_arm(c, EV_READ, CONNECT_TIMEOUT);
                break;
        case PGRES_POLLING_WRITING:
                conn_arm(c, EV_WRITE, CONNECT_TIMEOUT);
                break;
        case PGRES_POLLING_OK:
                conn_setup(c);
                break;
        default:
                conn_broken(c, "connect_failed");
                break;
        }
}

static void socket_cb(evutil_socket_t fd, short what, void *arg)
{
        struct db_conn *c = arg;
        if (what & EV_TIMEOUT) {
                conn_broken(c, "connect_timeout");
                return;
        }
        switch (c->state) {
        case DB_CONNECTING:
                conn_poll_connect(c);
                break;
        case DB_SETUP:
        case DB_BUSY:
                if ((what & EV_WRITE) && c->cur && c->cur->copying) {
                        conn_copy_send(c);
                        return;
                }
                if (what & EV_WRITE) {
                        int f = PQflush(c->pg);
                        if (f < 0) {
                                conn_broken(c, "flush_failed");
                                return;
                        }
                        if (f == 0)
                                conn_arm(c, EV_READ, 0);
                }
                if (what & EV_READ)
                        conn_read_results(c);
                break;
        case DB_IDLE:
                /* Unsolicited input: a notice, or the server closing the connection. */
                if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
                        conn_broken(c, "closed_by_server");
                        return;
                }
                while (!PQisBusy(c->pg)) {
                        PGresult *r = PQgetResult(c->pg);
                        if (!r)
                                break;
                        PQclear(r);
                }
                break;
        case DB_DOWN:
                break;
        }
}

/* Watches the connection's current socket for `what` (plus a timeout when given). */
static void conn_arm(struct db_conn *c, short what, double timeout)
{
        event_del(c->ev);
        int fd = PQsocket(c->pg);
        if (fd < 0) {
                conn_broken(c, "no_socket");
                return;
        }
        event_assign(c->ev, c->db->base, fd, what | EV_PERSIST, socket_cb, c);
        if (timeout > 0) {
                struct timeval tv = tv_of(timeout);
                event_add(c->ev, &tv);
        } else {
                event_add(c->ev, NULL);
        }
}

static void notice_cb(void *arg, const char *message)
{
        struct db_conn *c = arg;
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", message);
        size_t n = strlen(msg);
        if (n && msg[n - 1] == '\n')
                msg[n - 1] = '\0';
        log_info(NULL, "msg=db_notice conn=%d detail=%s", c->index, LOGQ(msg));
}

static void conn_connect(struct db_conn *c)
{
        const char *keys[] = { "dbname", "fallback_application_name", NULL };
        const char *vals[] = { c->db->url, "prefd", NULL };
        c->pg = PQconnectStartParams(keys, vals, 1);
        if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
                conn_broken(c, "connect_failed");
                return;
        }
        PQsetNoticeProcessor(c->pg, notice_cb, c);
        c->state = DB_CONNECTING;
        conn_arm(c, EV_WRITE, CONNECT_TIMEOUT);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
        struct db_conn *c = arg;
        if (c->state == DB_DOWN && !c->db->closing)
                conn_connect(c);
}

/* Fails queries that waited longer than opts.wait. */
static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
        struct db *db = arg;
        while (db->head && since_ms(&db->head->queued_at) > db->opts.wait * 1e3) {
                struct db_query *q = queue_pop(&db->head, &db->tail);
                db->queued--;
                log_warn(NULL, "msg=db_wait_timeout waited_ms=%.0f", since_ms(&q->queued_at));
                query_fail(db, q, "timed out waiting for a database connection");
        }
}

struct db *db_new(struct event_base *base, const struct db_opts *opts)
{
        struct db *db = calloc(1, sizeof(*db));
        if (!db)
                return NULL;
        db->base = base;
        db->opts = *opts;
        db->url = strdup(opts->url);
        db->conns = calloc((size_t)opts->pool, sizeof(struct db_conn));
        db->sweep = event_new(base, -1, EV_PERSIST, sweep_cb, db);
        if (!db->url || !db->conns || !db->sweep)
                goto fail;
        db->opts.url = db->url;
        struct timeval tv = tv_of(SWEEP_INTERVAL);
        event_add(db->sweep, &tv);
        srand((unsigned)(now_s() * 1e6));
        for (int i = 0; i < opts->pool; i++) {
                struct db_conn *c = &db->conns[i];
                c->db = db;
                c->index = i;
                c->backoff = BACKOFF_MIN;
                c->state = DB_DOWN;
                c->ev = event_new(base, -1, 0, socket_cb, c);
                c->timer = evtimer_new(base, retry_cb, c);
                if (!c->ev || !c->timer)
                        goto fail;
        }
        for (int i = 0; i < opts->pool; i++)
                conn_connect(&db->conns[i]);
        return db;
fail:
        db_free(db);
        return NULL;
}

void db_free(struct db *db)
{
        if (!db)
                return;
        db->closing = true;
        struct db_query *q;
        while ((q = queue_pop(&db->head, &db->tail)))
                query_fail(db, q, "shutting down");
        for (int i = 0; db->conns && i < db->opts.pool; i++) {
                struct db_conn *c = &db->conns[i];
                if (c->ev) {
                        event_del(c->ev);
                        event_free(c->ev);
                }
                if (c->timer)
                        event_free(c->timer);
                if (c->pin) {
                        while ((q = queue_pop(&c->pin->head, &c->pin->tail)))
                                query_fail(db, q, "shutting down");
                        c->pin->conn = NULL;
                        if (c->pin->released)
                                free(c->pin);
                }
                if (c->cur)
                        query_fail(db, c->cur, "shutting down");
                if (c->result)
                        PQclear(c->result);
                if (c->failure)
                        PQclear(c->failure);
                if (c->pg)
                        PQfinish(c->pg);
                stmts_clear(c);
        }
        while (db->waiters) {
                struct waiter *w = db->waiters;
                db->waiters = w->next;
                free(w);
        }
        if (db->sweep)
                event_free(db->sweep);
        free(db->conns);
        free(db->url);
        free(db);
}

bool db_available(const struct db *db)
{
        for (int i = 0; i < db->opts.pool; i++)
                if (db->conns[i].state == DB_IDLE || db->conns[i].state == DB_BUSY)
                        return true;
        return false;
}

void db_when_up(struct db *db, void (*fn)(void *arg), void *arg)
{
        if (db_available(db)) {
                fn(arg);
                return;
        }
        struct waiter *w = malloc(sizeof(*w));
        if (!w)
                return;
        *w = (struct waiter){ fn, arg, db->waiters };
        db->waiters = w;
}

void db_get_stats(const struct db *db, struct db_stats *out)
{
        *out = db->stats;
        out->size = db->opts.pool;
        out->queued = db->queued;
        out->up = out->busy = 0;
        for (int i = 0; i < db->opts.pool; i++) {
                const struct db_conn *c = &db->conns[i];
                if (c->state == DB_IDLE || c->state == DB_BUSY)
                        out->up++;
                if (c->state == DB_BUSY || c->pin)
                        out->busy++;
        }
}

/* --- results --- */

bool db_res_failed_with(const struct db_res *res, const char *state)
{
        return db_res_status(res) == DB_FAILED &&
               strncmp(db_res_sqlstate(res), state, strlen(state)) == 0;
}

bool db_res_lost_race(const struct db_res *res)
{
        return db_res_failed_with(res, DB_DEADLOCK_DETECTED) ||
               db_res_failed_with(res, DB_SERIALIZATION_FAILURE);
}

struct db_res *db_res_keep(const struct db_res *r)
{
        struct db_res *k = malloc(sizeof(*k));
        if (!k || r->status != DB_OK || !r->pg) {
                free(k);
                return NULL;
        }
        *k = (struct db_res){ .pg = r->pg, .status = DB_OK, .ms = r->ms };
        ((struct db_res *)r)->kept = true; /* the result now belongs to k */
        return k;
}

void db_res_free(struct db_res *r)
{
        if (!r)
                return;
        PQclear(r->pg);
        free(r);
}

enum db_status db_res_status(const struct db_res *r)
{
        return r->status;
}

const char *db_res_sqlstate(const struct db_res *r)
{
        const char *s = r->pg ? PQresultErrorField(r->pg, PG_DIAG_SQLSTATE) : NULL;
        return s ? s : "";
}

const char *db_res_message(const struct db_res *r)
{
        if (r->pg && r->status == DB_FAILED) {
                const char *m = PQresultErrorField(r->pg, PG_DIAG_MESSAGE_PRIMARY);
                if (m)
                        return m;
        }
        return r->message ? r->message : "";
}

int db_res_nrows(const struct db_res *r)
{
        return r->pg && r->status == DB_OK ? PQntuples(r->pg) : 0;
}

const char *db_res_value(const struct db_res *r, int row, int col)
{
        if (!r->pg || row >= PQntuples(r->pg) || col >= PQnfields(r->pg))
                return "";
        return PQgetvalue(r->pg, row, col);
}

size_t db_res_length(const struct db_res *r, int row, int col)
{
        if (!r->pg || row >= PQntuples(r->pg) || col >= PQnfields(r->pg))
                return 0;
        return (size_t)PQgetlength(r->pg, row, col);
}

bool db_res_isnull(const struct db_res *r, int row, int col)
{
        if (!r->pg || row >= PQntuples(r->pg) || col >= PQnfields(r->pg))
                return true;
        return PQgetisnull(r->pg, row, col);
}

int64_t db_res_int(const struct db_res *r, int row, int col)
{
        return strtoll(db_res_value(r, row, col), NULL, 10);
}

double db_res_double(const struct db_res *r, int row, int col)
{
        return strtod(db_res_value(r, row, col), NULL);
}

bool db_res_bool(const struct db_res *r, int row, int col)
{
        return db_res_value(r, row, col)[0] == 't';
}

double db_res_ms(const struct db_res *r)
{
        return r->ms;
}
