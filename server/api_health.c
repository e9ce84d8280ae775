/*
 * api_health.c - liveness, readiness and Prometheus metrics.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "http.h"
#include "metrics.h"
#include "migrate.h"

#include <event2/buffer.h>
#include <stdlib.h>

void api_health_live(struct req *r)
{
        req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void api_health_ready(struct req *r)
{
        struct app *app = r->app;
        bool db_up = db_available(app->db);
        bool ready = db_up && app->schema_ok && !app->shutting_down;
        json_t *body =
            json_pack("{s:s, s:b, s:b, s:i}", "status", ready ? "ready" : "unavailable", "database",
                      db_up, "schema_current", app->schema_ok, "schema_version", migrate_latest());
        if (app->shutting_down && body)
                json_object_set_new(body, "shutting_down", json_true());
        /* The read pool informs, but a node without it still rates: readiness is the primary's. */
        if (app->db_read != app->db && body)
                json_object_set_new(body, "read_database",
                                    json_boolean(db_available(app->db_read)));
        req_reply_json(r, ready ? 200 : 503, body);
}

void api_health_metrics(struct req *r)
{
        struct evbuffer *out = evbuffer_new();
        if (!out) {
                req_reply_oom(r);
                return;
        }
        struct http_stats hs;
        if (r->app->http)
                http_server_stats(r->app->http, &hs);
        metrics_render(r->app->metrics, r->app->db, r->app->http ? &hs : NULL, out);
        size_t len = evbuffer_get_length(out);
        req_reply_raw(r, 200, "text/plain; version=0.0.4", evbuffer_pullup(out, -1), len);
        evbuffer_free(out);
}
