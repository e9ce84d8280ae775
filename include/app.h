/*
 * app.h - the process-wide context every handler reaches through req->app: settings, the event
 * base, the database pools, the worker threads, the HTTP server and the process's counters.
 * One instance, made in main.c; modules receive it, none keeps a global copy.
 */
#ifndef APP_H
#define APP_H

#include "prefd.h"

struct event_base;
struct config;
struct db;
struct work;
struct http_server;
struct metrics;
struct tally;
struct authcache;
struct rating;
struct active_refresh;

struct app {
        struct event_base *base;
        const struct config *cfg;
        struct db *db;      /* the primary: every write, and reads that must see them */
        struct db *db_read; /* reads that may lag (PREFD_DATABASE_READ_URL), or db itself */
        struct work *work;
        struct http_server *http;
        struct metrics *metrics;
        struct authcache *authcache;   /* recently authenticated callers (authcache.h) */
        struct rating *rating;         /* the rating loop's batchers (rating.h) */
        struct tally *tally;           /* vote index for filtered rankings (tally.c) */
        struct active_refresh *active; /* active-sampling weights (active_refresh.h) */
        bool schema_ok;                /* migrations are applied: the API may use the database */
        bool shutting_down;            /* SIGTERM received */
};

#endif
