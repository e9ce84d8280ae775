/*
 * migrate.c - applies the embedded migrations in order; see migrate.h.
 */
#include "migrate.h"

#include "db.h"
#include "embedded.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arbitrary constant naming prefd's migration lock among advisory locks. */
#define MIGRATE_LOCK "7231500001"

struct migration {
        int version;
        char name[128];
        const char *sql;
};

struct run {
        struct db *db;
        struct db_pin *pin;
        migrate_done_fn fn;
        void *arg;
        struct migration list[256];
        int count;
        int next;    /* index into list of the migration being applied, -1 for none */
        int applied; /* migrations applied by this run */
        char error[512];
};

static int load_list(struct migration *list, int max)
{
        int n = 0;
        for (size_t i = 0; i < embedded_count; i++) {
                const struct embedded_file *f = &embedded_files[i];
                if (strncmp(f->path, "sql/", 4) != 0)
                        continue;
                const char *base = f->path + 4;
                size_t blen = strlen(base);
                if (blen < 5 || strcmp(base + blen - 4, ".sql") != 0)
                        continue;
                int v = atoi(base);
                if (v <= 0 || v >= 1000 || n >= max)
                        continue;
                list[n].version = v;
                snprintf(list[n].name, sizeof(list[n].name), "%.*s", (int)(blen - 4), base);
                list[n].sql = (const char *)f->data;
                n++;
        }
        return n; /* embedded files are sorted by path, and names are zero-padded */
}

int migrate_latest(void)
{
        static struct migration list[256];
        int n = load_list(list, 256);
        return n ? list[n - 1].version : 0;
}

static void finish(struct run *run, int status)
{
        if (run->pin)
                db_unpin(run->pin); /* rolls back a transaction left open by a failure */
        run->fn(status, run->applied, status == 0 ? "" : run->error, run->arg);
        free(run);
}

static void round_start(struct run *run);

static bool failed(struct run *run, const struct db_res *res, const char *what)
{
        if (db_res_status(res) == DB_OK)
                return false;
        snprintf(run->error, sizeof(run->error), "%s: %s", what, db_res_message(res));
        finish(run, -1);
        return true;
}

static void committed(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (run->next < 0) {
                if (!failed(run, res, "COMMIT"))
                        finish(run, 0);
                return;
        }
        struct migration *m = &run->list[run->next];
        if (failed(run, res, m->name))
                return;
        log_info(NULL, "msg=migration_applied version=%d name=%s", m->version, m->name);
        run->applied++;
        round_start(run);
}

static void recorded(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, run->list[run->next].name))
                return;
        db_pin_script(run->pin, "COMMIT", committed, run);
}

static void script_done(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        struct migration *m = &run->list[run->next];
        if (failed(run, res, m->name))
                return;
        char version[16];
        snprintf(version, sizeof(version), "%d", m->version);
        const char *params[] = { version, m->name };
        db_pin_query(run->pin, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                     params, recorded, run);
}

static void got_applied(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "reading schema_migrations"))
                return;
        bool applied[1000] = { false };
        int latest = run->count ? run->list[run->count - 1].version : 0;
        for (int i = 0; i < db_res_nrows(res); i++) {
                int64_t v = db_res_int(res, i, 0);
                if (v > 0 && v < 1000)
                        applied[v] = true;
                if (v > latest && run->applied == 0)
                        log_warn(NULL, "msg=schema_newer_than_binary version=%lld known_latest=%d",
                                 (long long)v, latest);
        }
        run->next = -1;
        for (int i = 0; i < run->count && run->next < 0; i++)
                if (!applied[run->list[i].version])
                        run->next = i;
        if (run->next < 0) {
                db_pin_script(run->pin, "COMMIT", committed, run);
                return;
        }
        log_info(NULL, "msg=migration_start version=%d name=%s", run->list[run->next].version,
                 run->list[run->next].name);
        db_pin_script(run->pin, run->list[run->next].sql, script_done, run);
}

static void table_ready(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "creating schema_migrations"))
                return;
        db_pin_query(run->pin, "SELECT version FROM schema_migrations ORDER BY version", 0, NULL,
                     got_applied, run);
}

static void locked(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "taking the migration lock"))
                return;
        db_pin_script(run->pin,
                      "SET LOCAL client_min_messages = warning; "
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version integer PRIMARY KEY CHECK (version > 0),"
                      " name text NOT NULL,"
                      " applied_at timestamptz NOT NULL DEFAULT now())",
                      table_ready, run);
}

static void began(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "BEGIN"))
                return;
        /* Held until this transaction ends: concurrent prefd processes take turns. */
        db_pin_query(run->pin, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", 0, NULL, locked,
                     run);
}

/* One round: in a transaction, find the first pending migration and apply it. */
static void round_start(struct run *run)
{
        db_pin_script(run->pin, "BEGIN", began, run);
}

static void pinned(struct db_pin *pin, void *arg)
{
        struct run *run = arg;
        if (!pin) {
                snprintf(run->error, sizeof(run->error), "the database is unavailable");
                finish(run, -1);
                return;
        }
        run->pin = pin;
        round_start(run);
}

void migrate_run(struct db *db, migrate_done_fn fn, void *arg)
{
        struct run *run = calloc(1, sizeof(*run));
        if (!run) {
                fn(-1, 0, "out of memory", arg);
                return;
        }
        run->db = db;
        run->fn = fn;
        run->arg = arg;
        run->count = load_list(run->list, (int)ARRAY_LEN(run->list));
        db_pin(db, pinned, run);
}
