/*
 * migrate.c - applies the embedded migrations in order; see migrate.h.
 */
#include "migrate.h"

#include "crypto.h"
#include "db.h"
#include "embedded.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arbitrary constant naming prefd's migration lock among advisory locks. */
#define MIGRATE_LOCK "7231500001"

#define FUNCTIONS_DIR   "sql/functions/"
#define FUNCTIONS_TYPES "sql/functions/types.sql" /* applied before the functions */

/*
 * migrate's own statements: it runs before the functions exist (it makes them), so its SQL stays
 * here. Each round is one transaction that takes the migration lock.
 */
static const char lock_sql[] = "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")";

static const char migrations_table_sql[] = "SET LOCAL client_min_messages = warning; "
                                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                           " version integer PRIMARY KEY CHECK (version > 0),"
                                           " name text NOT NULL,"
                                           " applied_at timestamptz NOT NULL DEFAULT now())";

static const char applied_sql[] = "SELECT version "
                                  "FROM schema_migrations "
                                  "ORDER BY version";

/* $1 the version, $2 the name of the migration just applied. */
static const char record_sql[] = "INSERT INTO schema_migrations (version, name) "
                                 "VALUES ($1, $2)";

/* The functions: the digest of their files, kept in schema_functions, says when to rebuild. */
static const char functions_table_sql[] = "SET LOCAL client_min_messages = warning; "
                                          "CREATE TABLE IF NOT EXISTS schema_functions ("
                                          " id integer PRIMARY KEY CHECK (id = 1),"
                                          " digest text NOT NULL,"
                                          " applied_at timestamptz NOT NULL DEFAULT now())";

static const char digest_sql[] = "SELECT digest "
                                 "FROM schema_functions "
                                 "WHERE id = 1";

/*
 * What outside the schema depends on something in it (the objects described), ignoring the
 * triggers its files make again; at most one.
 */
static const char dependents_sql[] =
    "SELECT pg_describe_object(d.classid, d.objid, d.objsubid), "
    "pg_describe_object(d.refclassid, d.refobjid, 0) "
    "FROM pg_depend d "
    "JOIN pg_namespace n ON n.nspname = '" MIGRATE_SCHEMA "' "
    "LEFT JOIN pg_proc rp ON d.refclassid = 'pg_proc'::regclass AND rp.oid = d.refobjid "
    "LEFT JOIN pg_type rt ON d.refclassid = 'pg_type'::regclass AND rt.oid = d.refobjid "
    "LEFT JOIN pg_proc dp ON d.classid = 'pg_proc'::regclass AND dp.oid = d.objid "
    "LEFT JOIN pg_type dt ON d.classid = 'pg_type'::regclass AND dt.oid = d.objid "
    "LEFT JOIN pg_class dc ON d.classid = 'pg_class'::regclass AND dc.oid = d.objid "
    "WHERE coalesce(rp.pronamespace, rt.typnamespace) = n.oid "
    "AND coalesce(dp.pronamespace, dt.typnamespace, dc.relnamespace) IS DISTINCT FROM n.oid "
    "AND d.classid <> 'pg_trigger'::regclass AND d.deptype IN ('n', 'a') "
    "LIMIT 1";

/* The schema of the functions, made empty; the function files are applied in it next. */
static const char schema_sql[] = "SET LOCAL client_min_messages = warning; "
                                 "SET LOCAL check_function_bodies = off; "
                                 "SET LOCAL search_path = " MIGRATE_SCHEMA ", public; "
                                 "DROP SCHEMA IF EXISTS " MIGRATE_SCHEMA " CASCADE; "
                                 "CREATE SCHEMA " MIGRATE_SCHEMA;

/* $1 the digest of the function files just applied. */
static const char functions_record_sql[] = "INSERT INTO schema_functions (id, digest) "
                                           "VALUES (1, $1) "
                                           "ON CONFLICT (id) DO UPDATE "
                                           "SET digest = EXCLUDED.digest, applied_at = now()";

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
        /* the functions step */
        const struct embedded_file *functions[512]; /* types first, then by path */
        int nfunctions;
        int function_at; /* index of the file being applied */
        char digest[65]; /* SHA-256 of the function files' paths and texts */
        char error[512];
};

static int load_list(struct migration *list, int max)
{
        int n = 0;
        for (size_t i = 0; i < embedded_count; i++) {
                const struct embedded_file *f = &embedded_files[i];
                if (strncmp(f->path, "sql/", 4) != 0 || strchr(f->path + 4, '/'))
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

static bool is_sql_file(const char *path)
{
        size_t n = strlen(path);
        return n > 4 && strcmp(path + n - 4, ".sql") == 0;
}

/* The function files in the order they are applied, and the digest of all of them. */
static int load_functions(struct run *run)
{
        const struct embedded_file *types = embedded_find(FUNCTIONS_TYPES);
        int n = 0, max = (int)ARRAY_LEN(run->functions);
        if (types)
                run->functions[n++] = types;
        for (size_t i = 0; i < embedded_count; i++) {
                const struct embedded_file *f = &embedded_files[i];
                if (strncmp(f->path, FUNCTIONS_DIR, strlen(FUNCTIONS_DIR)) != 0 ||
                    !is_sql_file(f->path) || f == types)
                        continue;
                if (n == max)
                        return -1;
                run->functions[n++] = f;
        }
        run->nfunctions = n;
        /* The digest covers every path and text, each ended by a NUL. */
        size_t total = 0;
        for (int i = 0; i < n; i++)
                total += strlen(run->functions[i]->path) + 1 + run->functions[i]->len + 1;
        char *all = malloc(total + 1), *p = all;
        if (!all)
                return -1;
        for (int i = 0; i < n; i++) {
                size_t pl = strlen(run->functions[i]->path) + 1;
                memcpy(p, run->functions[i]->path, pl);
                p += pl;
                memcpy(p, run->functions[i]->data, run->functions[i]->len);
                p += run->functions[i]->len;
                *p++ = '\0';
        }
        unsigned char h[CRYPTO_SHA256_LEN];
        crypto_sha256(all, total, h);
        crypto_hex(h, sizeof(h), run->digest);
        free(all);
        return 0;
}

int migrate_latest(void)
{
        static struct migration list[256];
        int n = load_list(list, 256);
        return n ? list[n - 1].version : 0;
}

int migrate_count(void)
{
        static struct migration list[256];
        return load_list(list, 256);
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

/* --- the functions: rebuilt in one transaction whenever their files change --- */

static void functions_committed(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "COMMIT of the functions"))
                return;
        log_info(NULL, "msg=functions_applied files=%d digest=%.12s", run->nfunctions, run->digest);
        finish(run, 0);
}

static void function_applied(const struct db_res *res, void *arg);

static void apply_next_function(struct run *run)
{
        if (run->function_at == run->nfunctions) {
                const char *params[] = { run->digest };
                db_pin_query(run->pin, functions_record_sql, 1, params, function_applied, run);
                return;
        }
        db_pin_script(run->pin, (const char *)run->functions[run->function_at]->data,
                      function_applied, run);
}

static void function_applied(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (run->function_at == run->nfunctions) {
                if (failed(run, res, "recording the functions"))
                        return;
                db_pin_script(run->pin, "COMMIT", functions_committed, run);
                return;
        }
        if (failed(run, res, run->functions[run->function_at]->path))
                return;
        run->function_at++;
        apply_next_function(run);
}

static void schema_rebuilt(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "rebuilding the " MIGRATE_SCHEMA " schema"))
                return;
        run->function_at = 0;
        apply_next_function(run);
}

/*
 * Nothing outside the schema may depend on what is in it but the triggers its files make again:
 * DROP SCHEMA ... CASCADE would drop a constraint or view silently.
 */
static void dependents_read(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "reading what depends on the " MIGRATE_SCHEMA " schema"))
                return;
        if (db_res_nrows(res) > 0) {
                snprintf(run->error, sizeof(run->error),
                         "%s depends on %s of the " MIGRATE_SCHEMA " schema, which is rebuilt from "
                         "sql/functions/; keep such functions in a numbered migration",
                         db_res_value(res, 0, 0), db_res_value(res, 0, 1));
                finish(run, -1);
                return;
        }
        log_info(NULL, "msg=functions_start files=%d digest=%.12s", run->nfunctions, run->digest);
        db_pin_script(run->pin, schema_sql, schema_rebuilt, run);
}

static void digest_read(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "reading schema_functions"))
                return;
        if (db_res_nrows(res) == 1 && strcmp(db_res_value(res, 0, 0), run->digest) == 0) {
                db_pin_script(run->pin, "COMMIT", functions_committed, run);
                return;
        }
        db_pin_query(run->pin, dependents_sql, 0, NULL, dependents_read, run);
}

static void functions_table_ready(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "creating schema_functions"))
                return;
        db_pin_query(run->pin, digest_sql, 0, NULL, digest_read, run);
}

/* Every migration is applied and the lock is held: bring the functions up to date. */
static void functions_start(struct run *run)
{
        db_pin_script(run->pin, functions_table_sql, functions_table_ready, run);
}

/* --- the numbered migrations: one transaction each --- */

static void committed(const struct db_res *res, void *arg)
{
        struct run *run = arg;
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
        db_pin_query(run->pin, record_sql, 2, params, recorded, run);
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
                functions_start(run);
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
        db_pin_query(run->pin, applied_sql, 0, NULL, got_applied, run);
}

static void locked(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "taking the migration lock"))
                return;
        db_pin_script(run->pin, migrations_table_sql, table_ready, run);
}

static void began(const struct db_res *res, void *arg)
{
        struct run *run = arg;
        if (failed(run, res, "BEGIN"))
                return;
        /* Held until this transaction ends: concurrent prefd processes take turns. */
        db_pin_query(run->pin, lock_sql, 0, NULL, locked, run);
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
        if (load_functions(run) != 0) {
                free(run);
                fn(-1, 0, "out of memory, or too many files in " FUNCTIONS_DIR, arg);
                return;
        }
        db_pin(db, pinned, run);
}
