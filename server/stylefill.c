/*
 * stylefill.c - background filling of answers' missing style features; see stylefill.h.
 *
 * One sweep step at a time: read a batch (prefd_style_missing) -> count on a worker -> write
 * (prefd_style_fill), noting the projects written -> the next batch; when a read comes back
 * empty, the noted projects' indexes are told (prefd_style_loaded) and the filler looks again
 * after STYLEFILL_IDLE_SECONDS. A database error waits the same time and starts over.
 */
#include "stylefill.h"

#include "app.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "style.h"
#include "work.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to $1 answers whose style features are not known yet. */
static const char missing_sql[] = "SELECT id, text "
                                  "FROM prefd_style_missing($1)";
/* Stores the features counted ($1: [[id, length, headers, lists, bold], ...]). */
static const char fill_sql[] = "SELECT project_id "
                               "FROM prefd_style_fill($1::jsonb)";
/* The projects ($1, JSON ids) whose vote indexes reload for the new features. */
static const char loaded_sql[] = "SELECT prefd_style_loaded($1::jsonb)";

struct stylefill {
        struct app *app;
        struct event *timer;
        bool started;
        json_t *projects; /* decimal id -> true: written since the indexes were last told */
        long filled;      /* answers written in this sweep */
};

/* One batch counted on a worker: the rows (kept result) in, the JSON parameter out. */
struct fill_job {
        struct stylefill *sf;
        struct db_res *rows;
        struct buf out;
        bool failed;
};

static void look(struct stylefill *sf);

static void later(struct stylefill *sf)
{
        struct timeval tv = { STYLEFILL_IDLE_SECONDS, 0 };
        if (!sf->app->shutting_down)
                evtimer_add(sf->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        look(arg);
}

static bool db_error(const struct db_res *res, const char *what)
{
        if (db_res_status(res) == DB_OK)
                return false;
        log_warn(NULL, "msg=stylefill_failed step=%s sqlstate=%s detail=%s", what,
                 db_res_sqlstate(res), LOGQ(db_res_message(res)));
        return true;
}

static void told(const struct db_res *res, void *arg)
{
        struct stylefill *sf = arg;
        if (!db_error(res, "loaded")) {
                log_info(NULL, "msg=style_filled answers=%ld projects=%zu", sf->filled,
                         json_object_size(sf->projects));
                json_object_clear(sf->projects);
                sf->filled = 0;
        }
        later(sf);
}

/* The sweep is over: the projects written reload their indexes. */
static void tell(struct stylefill *sf)
{
        if (json_object_size(sf->projects) == 0) {
                later(sf);
                return;
        }
        json_t *ids = json_array();
        const char *key;
        json_t *val;
        json_object_foreach(sf->projects, key, val) json_array_append_new(ids, json_string(key));
        char *text = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
        json_decref(ids);
        if (!text) {
                later(sf);
                return;
        }
        const char *params[] = { text };
        db_query(sf->app->db, loaded_sql, 1, params, told, sf);
        free(text);
}

static void written(const struct db_res *res, void *arg)
{
        struct stylefill *sf = arg;
        if (db_error(res, "fill")) {
                later(sf);
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(sf->projects, db_res_value(res, i, 0), json_true());
        look(sf);
}

static void count_run(void *arg)
{
        struct fill_job *j = arg;
        int n = db_res_nrows(j->rows);
        buf_put(&j->out, "[", 1);
        for (int i = 0; i < n; i++) {
                struct style st;
                if (style_of(db_res_value(j->rows, i, 1), db_res_length(j->rows, i, 1), &st) != 0) {
                        j->failed = true;
                        return;
                }
                buf_str(&j->out, i ? ",[" : "[");
                buf_str(&j->out, db_res_value(j->rows, i, 0));
                for (int k = 0; k < STYLE_FEATURES; k++) {
                        buf_put(&j->out, ",", 1);
                        buf_uint(&j->out, (uint64_t)st.f[k]);
                }
                buf_put(&j->out, "]", 1);
        }
        buf_put(&j->out, "]", 2); /* with its NUL */
        j->failed = j->out.oom;
}

static void count_done(void *arg)
{
        struct fill_job *j = arg;
        struct stylefill *sf = j->sf;
        if (j->failed) {
                log_warn(NULL, "msg=stylefill_failed step=count detail=out_of_memory");
                later(sf);
        } else {
                j->out.data[j->out.len - 1] = '\0';
                const char *params[] = { j->out.data };
                sf->filled += db_res_nrows(j->rows);
                db_query(sf->app->db, fill_sql, 1, params, written, sf);
        }
        db_res_free(j->rows);
        buf_fini(&j->out);
        free(j);
}

static void missing_read(const struct db_res *res, void *arg)
{
        struct stylefill *sf = arg;
        if (db_error(res, "read")) {
                later(sf);
                return;
        }
        if (db_res_nrows(res) == 0 || sf->app->shutting_down) {
                tell(sf);
                return;
        }
        struct fill_job *j = calloc(1, sizeof(*j));
        if (j) {
                j->sf = sf;
                j->rows = db_res_keep(res);
        }
        if (!j || !j->rows || work_submit(sf->app->work, count_run, count_done, j) != 0) {
                if (j)
                        db_res_free(j->rows);
                free(j);
                later(sf);
        }
}

static void look(struct stylefill *sf)
{
        char limit[16];
        snprintf(limit, sizeof(limit), "%d", STYLEFILL_BATCH);
        const char *params[] = { limit };
        db_query(sf->app->db, missing_sql, 1, params, missing_read, sf);
}

struct stylefill *stylefill_new(struct app *app)
{
        struct stylefill *sf = calloc(1, sizeof(*sf));
        if (!sf)
                return NULL;
        sf->app = app;
        sf->projects = json_object();
        sf->timer = evtimer_new(app->base, on_timer, sf);
        if (!sf->projects || !sf->timer) {
                stylefill_free(sf);
                return NULL;
        }
        return sf;
}

void stylefill_start(struct stylefill *sf)
{
        if (sf->started)
                return;
        sf->started = true;
        look(sf);
}

void stylefill_free(struct stylefill *sf)
{
        if (!sf)
                return;
        if (sf->timer)
                event_free(sf->timer);
        json_decref(sf->projects);
        free(sf);
}
