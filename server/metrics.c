/*
 * metrics.c - request, vote and pool counters in the Prometheus text format; see metrics.h.
 */
#include "metrics.h"

#include "db.h"
#include "http.h"
#include "router.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

static const double buckets_ms[] = { 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000 };
#define NBUCKETS ARRAY_LEN(buckets_ms)

/* Statuses are counted per route in a small open table. */
struct status_count {
        int status;
        uint64_t n;
};

struct route_stats {
        struct status_count statuses[16];
        uint64_t buckets[NBUCKETS + 1]; /* last: +Inf */
        double sum_ms;
        uint64_t count;
};

struct metrics {
        size_t nroutes;
        struct route_stats *routes; /* index = route index; the last one = no route */
        uint64_t votes;
};

struct metrics *metrics_new(void)
{
        struct metrics *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->nroutes = router_count();
        m->routes = calloc(m->nroutes + 1, sizeof(struct route_stats));
        if (!m->routes) {
                free(m);
                return NULL;
        }
        return m;
}

void metrics_free(struct metrics *m)
{
        if (!m)
                return;
        free(m->routes);
        free(m);
}

void metrics_request(struct metrics *m, const struct route *route, int status, double ms)
{
        /* Routes live in one array, so a route's index is its offset in it. */
        size_t idx = route ? (size_t)(route - router_route(0)) : m->nroutes;
        if (idx > m->nroutes)
                idx = m->nroutes;
        struct route_stats *s = &m->routes[idx];
        for (size_t i = 0; i < ARRAY_LEN(s->statuses); i++) {
                if (s->statuses[i].status == status || s->statuses[i].status == 0) {
                        s->statuses[i].status = status;
                        s->statuses[i].n++;
                        break;
                }
        }
        size_t b = 0;
        while (b < NBUCKETS && ms > buckets_ms[b])
                b++;
        s->buckets[b]++;
        s->sum_ms += ms;
        s->count++;
}

void metrics_votes(struct metrics *m, unsigned n)
{
        m->votes += n;
}

static void route_label(const struct metrics *m, size_t i, char *out, size_t len)
{
        if (i == m->nroutes) {
                snprintf(out, len, "method=\"-\",route=\"unmatched\"");
                return;
        }
        const struct route *r = router_route(i);
        snprintf(out, len, "method=\"%s\",route=\"%s\"", router_method_name(r->method), r->path);
}

/* Connections: how many, and what the server did about slow or greedy clients. */
static void render_http(const struct http_stats *h, struct evbuffer *out)
{
        evbuffer_add_printf(
            out,
            "# HELP prefd_http_connections Open client connections.\n"
            "# TYPE prefd_http_connections gauge\n"
            "prefd_http_connections{state=\"open\"} %zu\n"
            "prefd_http_connections{state=\"waiting\"} %zu\n"
            "# HELP prefd_http_client_addresses Client addresses with open connections.\n"
            "# TYPE prefd_http_client_addresses gauge\nprefd_http_client_addresses %zu\n"
            "# HELP prefd_http_connections_total Connections accepted, refused and evicted.\n"
            "# TYPE prefd_http_connections_total counter\n"
            "prefd_http_connections_total{event=\"accepted\"} %llu\n"
            "prefd_http_connections_total{event=\"refused_full\"} %llu\n"
            "prefd_http_connections_total{event=\"refused_per_address\"} %llu\n"
            "prefd_http_connections_total{event=\"evicted\"} %llu\n"
            "# HELP prefd_http_timeouts_total Requests answered 408 for arriving too slowly.\n"
            "# TYPE prefd_http_timeouts_total counter\n"
            "prefd_http_timeouts_total{phase=\"head\"} %llu\n"
            "prefd_http_timeouts_total{phase=\"body\"} %llu\n",
            h->open, h->waiting, h->addresses, (unsigned long long)h->accepted,
            (unsigned long long)h->refused_full, (unsigned long long)h->refused_per_addr,
            (unsigned long long)h->evicted, (unsigned long long)h->head_timeouts,
            (unsigned long long)h->body_timeouts);
}

void metrics_render(const struct metrics *m, const struct db *db, const struct http_stats *http,
                    struct evbuffer *out)
{
        char label[160];
        evbuffer_add_printf(out, "# HELP prefd_http_requests_total Requests answered, by route "
                                 "and status.\n# TYPE prefd_http_requests_total counter\n");
        for (size_t i = 0; i <= m->nroutes; i++) {
                route_label(m, i, label, sizeof(label));
                for (size_t k = 0; k < ARRAY_LEN(m->routes[i].statuses); k++) {
                        const struct status_count *sc = &m->routes[i].statuses[k];
                        if (sc->status)
                                evbuffer_add_printf(out,
                                                    "prefd_http_requests_total{%s,status=\"%d\"} "
                                                    "%llu\n",
                                                    label, sc->status, (unsigned long long)sc->n);
                }
        }
        evbuffer_add_printf(out, "# HELP prefd_http_request_duration_seconds Time from request "
                                 "head to reply.\n# TYPE prefd_http_request_duration_seconds "
                                 "histogram\n");
        for (size_t i = 0; i <= m->nroutes; i++) {
                const struct route_stats *s = &m->routes[i];
                if (!s->count)
                        continue;
                route_label(m, i, label, sizeof(label));
                uint64_t cum = 0;
                for (size_t b = 0; b <= NBUCKETS; b++) {
                        cum += s->buckets[b];
                        if (b < NBUCKETS)
                                evbuffer_add_printf(
                                    out,
                                    "prefd_http_request_duration_seconds_bucket{%s,le=\"%g\"} "
                                    "%llu\n",
                                    label, buckets_ms[b] / 1000, (unsigned long long)cum);
                        else
                                evbuffer_add_printf(
                                    out,
                                    "prefd_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} "
                                    "%llu\n",
                                    label, (unsigned long long)cum);
                }
                evbuffer_add_printf(out, "prefd_http_request_duration_seconds_sum{%s} %.6f\n",
                                    label, s->sum_ms / 1000);
                evbuffer_add_printf(out, "prefd_http_request_duration_seconds_count{%s} %llu\n",
                                    label, (unsigned long long)s->count);
        }
        evbuffer_add_printf(out,
                            "# HELP prefd_votes_committed_total Votes committed by this "
                            "process.\n# TYPE prefd_votes_committed_total counter\n"
                            "prefd_votes_committed_total %llu\n",
                            (unsigned long long)m->votes);
        if (http)
                render_http(http, out);
        if (!db)
                return;
        struct db_stats st;
        db_get_stats(db, &st);
        evbuffer_add_printf(
            out,
            "# HELP prefd_db_connections Database connections by state.\n"
            "# TYPE prefd_db_connections gauge\n"
            "prefd_db_connections{state=\"configured\"} %d\n"
            "prefd_db_connections{state=\"up\"} %d\n"
            "prefd_db_connections{state=\"busy\"} %d\n"
            "# HELP prefd_db_queued Queries waiting for a connection.\n"
            "# TYPE prefd_db_queued gauge\nprefd_db_queued %zu\n"
            "# HELP prefd_db_queries_total Statements finished.\n"
            "# TYPE prefd_db_queries_total counter\nprefd_db_queries_total %llu\n"
            "# HELP prefd_db_errors_total Statements that failed or found no connection.\n"
            "# TYPE prefd_db_errors_total counter\nprefd_db_errors_total %llu\n"
            "# HELP prefd_db_reconnects_total Connections re-established after a loss.\n"
            "# TYPE prefd_db_reconnects_total counter\nprefd_db_reconnects_total %llu\n",
            st.size, st.up, st.busy, st.queued, (unsigned long long)st.queries,
            (unsigned long long)st.failures, (unsigned long long)st.reconnects);
}
