/*
 * db.h - PostgreSQL for the event loop: a pool of non-blocking libpq connections. db.c is the
 * only file that calls libpq.
 *
 * Every connection is a state machine driven by one event on its socket:
 *   DOWN -> CONNECTING (PQconnectStartParams / PQconnectPoll) -> SETUP (session settings)
 *        -> IDLE <-> BUSY (send with parameters, flush, consume input, read results)
 * A broken connection fails the query it was running with DB_UNAVAILABLE, goes DOWN and
 * reconnects with exponential backoff (100 ms doubling to 5 s, with jitter). Idle connections
 * keep watching their socket, so a database restart is noticed without traffic.
 *
 * Failover: the URL may name several hosts (libpq tries them in turn) with
 * target_session_attrs=read-write, so that a reconnect lands on whichever is the primary now.
 * A connection that finds its server read-only when it writes (SQLSTATE 25006: a standby, or a
 * demoted primary) fails that statement with DB_UNAVAILABLE, not DB_FAILED, and is dropped and
 * remade the same way.
 *
 * Queries always carry their values as parameters ($1, $2 ...), never spliced into SQL. A query
 * waits in a FIFO queue for a free connection; it fails with DB_UNAVAILABLE at once when no
 * connection is up, when the queue is full, or after waiting longer than the configured wait.
 * Callbacks always run from the event loop, never from inside db_query itself.
 *
 * A multi-statement transaction pins one connection (db_pin): its queries run in order on that
 * connection until db_unpin, which rolls back whatever was left open.
 */
#ifndef DB_H
#define DB_H

#include "prefd.h"

struct event_base;
struct db;
struct db_res;
struct db_pin;

enum db_status {
        DB_OK,          /* the statement succeeded; rows may follow */
        DB_FAILED,      /* the server refused it: see db_res_sqlstate / db_res_message */
        DB_UNAVAILABLE, /* no connection, connection lost, queue full or waited too long */
};

/* Receives a result; `res` is borrowed and valid only during the call. */
typedef void (*db_fn)(const struct db_res *res, void *arg);
/* Receives a pinned connection, or NULL when none could be had (unavailable). */
typedef void (*db_pin_fn)(struct db_pin *pin, void *arg);

struct db_opts {
        const char *url;          /* libpq connection string or URI */
        int pool;                 /* connections */
        int queue_max;            /* queries waiting before DB_UNAVAILABLE */
        double wait;              /* seconds a query may wait for a connection */
        double statement_timeout; /* seconds, set on every connection */
        const char *search_path;  /* set on every connection (borrowed); NULL: the default */
};

struct db_stats {
        int up;              /* connections ready (idle or busy) */
        int busy;            /* connections running a query or pinned */
        int size;            /* configured pool size */
        size_t queued;       /* queries waiting */
        uint64_t queries;    /* finished queries */
        uint64_t failures;   /* queries that ended DB_FAILED or DB_UNAVAILABLE */
        uint64_t reconnects; /* connections re-established after a loss */
};

/* Creates the pool and starts connecting. NULL only when out of memory. */
struct db *db_new(struct event_base *base, const struct db_opts *opts);
/* Closes every connection; queued queries get DB_UNAVAILABLE first. NULL is a no-op. */
void db_free(struct db *db);
/* True when at least one connection is ready. */
bool db_available(const struct db *db);
void db_get_stats(const struct db *db, struct db_stats *out);
/* Calls fn (from the loop) once any connection is up; immediately-ish if one is. */
void db_when_up(struct db *db, void (*fn)(void *arg), void *arg);

/* One statement with text parameters (NULL pointers are SQL NULL). */
void db_query(struct db *db, const char *sql, int nparams, const char *const *params, db_fn fn,
              void *arg);

/* Asks for a connection of its own (FIFO with the queries). */
void db_pin(struct db *db, db_pin_fn fn, void *arg);
/* A statement on the pinned connection; runs after the pin's earlier statements. */
void db_pin_query(struct db_pin *pin, const char *sql, int nparams, const char *const *params,
                  db_fn fn, void *arg);
/* Several statements without parameters in one round trip (migrations only). */
void db_pin_script(struct db_pin *pin, const char *sql, db_fn fn, void *arg);
/*
 * COPY ... FROM STDIN: sends `sql`, then len bytes of COPY text-format rows (steals data, a
 * malloc'd buffer), then the end of data; fn gets the statement's result. Bulk loading only.
 */
void db_pin_copy(struct db_pin *pin, const char *sql, char *data, size_t len, db_fn fn, void *arg);
/* Gives the connection back, rolling back an open transaction. Only between statements. */
void db_unpin(struct db_pin *pin);

/* --- results (borrowed, valid during the callback) --- */

enum db_status db_res_status(const struct db_res *r);
/* SQLSTATE of a DB_FAILED result ("23505" ...), "" otherwise. */
const char *db_res_sqlstate(const struct db_res *r);
/* Server or connection message, "" when none. */
const char *db_res_message(const struct db_res *r);
int db_res_nrows(const struct db_res *r);
/* The value as text; "" for NULL. */
const char *db_res_value(const struct db_res *r, int row, int col);
size_t db_res_length(const struct db_res *r, int row, int col);
bool db_res_isnull(const struct db_res *r, int row, int col);
int64_t db_res_int(const struct db_res *r, int row, int col);
double db_res_double(const struct db_res *r, int row, int col);
bool db_res_bool(const struct db_res *r, int row, int col);
/* Milliseconds from submission to result, queueing included. */
double db_res_ms(const struct db_res *r);

/*
 * Takes a successful result out of its callback: the copy (owned by caller, db_res_free) stays
 * valid after the callback returns, and may be read from another thread (a worker parsing a
 * large result off the loop). NULL when res failed or memory ran out.
 */
struct db_res *db_res_keep(const struct db_res *res);
void db_res_free(struct db_res *res);

/* SQLSTATEs the API maps to its own errors. */
#define DB_UNIQUE_VIOLATION      "23505"
#define DB_CHECK_VIOLATION       "23514"
#define DB_FOREIGN_KEY_VIOLATION "23503"
#define DB_RAISE_EXCEPTION       "P0001"
#define DB_NO_DATA_FOUND         "P0002"
#define DB_DEADLOCK_DETECTED     "40P01"
#define DB_SERIALIZATION_FAILURE "40001"
/* A write on a read-only server: the pool reports DB_UNAVAILABLE and reconnects (failover). */
#define DB_READ_ONLY_TRANSACTION "25006"
/* Bytes that are not UTF-8, or not representable in the database's encoding. */
#define DB_CHARACTER_NOT_IN_REPERTOIRE "22021"
#define DB_UNTRANSLATABLE_CHARACTER    "22P05"
/* statement_timeout (or a cancel) ended the statement. */
#define DB_QUERY_CANCELED "57014"
/* Classes: connection exceptions (08...) and operator intervention (57P..., a shutdown). */
#define DB_CLASS_CONNECTION "08"
#define DB_CLASS_OPERATOR   "57P"

/* True when res failed with SQLSTATE `state`, or one of its class when state is a prefix. */
bool db_res_failed_with(const struct db_res *res, const char *state);
/* True when res lost a race with another transaction (deadlock or serialisation failure): the
 * same statement may succeed when sent again. */
bool db_res_lost_race(const struct db_res *res);

#endif
