/*
 * metrics.h - the process's counters for GET /metrics (Prometheus text format): requests by
 * route and status, a latency histogram per route, votes committed, client connections (open,
 * refused, evicted, timed out) and the database pool.
 * Loop thread only.
 */
#ifndef METRICS_H
#define METRICS_H

#include "prefd.h"

struct route;
struct db;
struct evbuffer;
struct metrics;
struct http_stats;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* One finished request; route NULL for requests that matched none. */
void metrics_request(struct metrics *m, const struct route *route, int status, double ms);
/* Votes durably committed by this process. */
void metrics_votes(struct metrics *m, unsigned n);

/* Appends the exposition text; db and http (the connections, http.h) may be NULL. */
void metrics_render(const struct metrics *m, const struct db *db, const struct http_stats *http,
                    struct evbuffer *out);

#endif
