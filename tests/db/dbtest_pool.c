/*
 * dbtest_pool.c - db.c and migrate.c against a real PostgreSQL: parameters, errors, queueing,
 * pinned transactions, migrations (also two processes' worth at once), and the pool riding out a
 * PostgreSQL restart. Needs PREFD_TEST_DATABASE_URL (a fresh database) and PREFD_TEST_PGDIR
 * (the cluster tools/pg.sh made, to restart it).
 */
#include "../unit/t.h"
#include "db.h"
#include "log.h"
#include "migrate.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct event_base *base;
static const char *url;

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until *flag is set or `seconds` pass; returns whether the flag was set. */
static bool run_until(const int *flag, double seconds)
{
        double end = now() + seconds;
        while (!*flag && now() < end)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        return *flag != 0;
}

static struct db *open_db(int pool)
{
        struct db_opts o = {
                .url = url, .pool = pool, .queue_max = 1000, .wait = 5, .statement_timeout = 10
        };
        struct db *db = db_new(base, &o);
        int up = 0;
        for (double end = now() + 10; !db_available(db) && now() < end;)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        up = db_available(db);
        if (!up)
                fprintf(stderr, "database did not come up at %s\n", url);
        return db;
}

/* A result captured for checks after the callback. */
struct got {
        int done;
        enum db_status status;
        char sqlstate[8];
        char value[128];
        bool null2;
        int rows;
        int order;
};

static int order_counter;

static void capture(const struct db_res *res, void *arg)
{
        struct got *g = arg;
        g->done = 1;
        g->status = db_res_status(res);
        snprintf(g->sqlstate, sizeof(g->sqlstate), "%s", db_res_sqlstate(res));
        g->rows = db_res_nrows(res);
        if (g->rows > 0) {
                snprintf(g->value, sizeof(g->value), "%s", db_res_value(res, 0, 0));
                g->null2 = db_res_isnull(res, 0, 1);
        }
        g->order = ++order_counter;
}

static struct got query(struct db *db, const char *sql, int n, const char *const *params)
{
        struct got g = { 0 };
        db_query(db, sql, n, params, capture, &g);
        CHECK(g.done == 0); /* callbacks never run inside db_query */
        run_until(&g.done, 15);
        return g;
}

static void test_params_and_errors(void)
{
        struct db *db = open_db(2);
        REQUIRE(db_available(db));
        const char *p[] = { "it's; DROP TABLE x --", NULL };
        struct got g = query(db, "SELECT $1::text, $2::text", 2, p);
        CHECK_INT(g.status, DB_OK);
        CHECK_STR(g.value, "it's; DROP TABLE x --");
        CHECK(g.null2);
        g = query(db, "SELECT 1 / 0", 0, NULL);
        CHECK_INT(g.status, DB_FAILED);
        CHECK_STR(g.sqlstate, "22012");
        g = query(db, "SELECT current_setting('TimeZone')", 0, NULL);
        CHECK_STR(g.value, "UTC");
        /* statements after an error on the same connection still work */
        g = query(db, "SELECT 40 + 2", 0, NULL);
        CHECK_STR(g.value, "42");
        db_free(db);
}

static void test_queueing(void)
{
        struct db *db = open_db(3);
        REQUIRE(db_available(db));
        enum { N = 60 };
        static struct got g[N];
        char buf[N][16];
        order_counter = 0;
        for (int i = 0; i < N; i++) {
                snprintf(buf[i], sizeof(buf[i]), "%d", i);
                const char *p[] = { buf[i] };
                g[i] = (struct got){ 0 };
                db_query(db, "SELECT $1::int * 2, pg_sleep(0.001)", 1, p, capture, &g[i]);
        }
        int all = 0;
        for (double end = now() + 20; !all && now() < end;) {
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
                all = 1;
                for (int i = 0; i < N; i++)
                        all &= g[i].done;
        }
        CHECK(all);
        for (int i = 0; i < N; i++) {
                CHECK_INT(g[i].status, DB_OK);
                CHECK_INT(atoi(g[i].value), 2 * i);
        }
        struct db_stats st;
        db_get_stats(db, &st);
        CHECK_INT(st.size, 3);
        CHECK_INT(st.queued, 0);
        CHECK(st.queries >= N);
        db_free(db);
}

struct pin_test {
        struct db_pin *pin;
        int pinned;
};

static void got_pin(struct db_pin *pin, void *arg)
{
        struct pin_test *t = arg;
        t->pin = pin;
        t->pinned = 1;
}

static struct got pin_query(struct db_pin *pin, const char *sql)
{
        struct got g = { 0 };
        db_pin_query(pin, sql, 0, NULL, capture, &g);
        run_until(&g.done, 15);
        return g;
}

static void test_pins(void)
{
        struct db *db = open_db(1);
        REQUIRE(db_available(db));
        struct got g = query(db, "CREATE TABLE IF NOT EXISTS pin_t (x int)", 0, NULL);
        CHECK_INT(g.status, DB_OK);

        /* An abandoned transaction is rolled back before the connection is shared again. */
        struct pin_test t = { 0 };
        db_pin(db, got_pin, &t);
        REQUIRE(run_until(&t.pinned, 10) && t.pin);
        CHECK_INT(pin_query(t.pin, "BEGIN").status, DB_OK);
        CHECK_INT(pin_query(t.pin, "INSERT INTO pin_t VALUES (1)").status, DB_OK);
        /* a shared query waits while the only connection is pinned */
        struct got waiting = { 0 };
        db_query(db, "SELECT count(*) FROM pin_t", 0, NULL, capture, &waiting);
        run_until(&waiting.done, 0.3);
        CHECK(!waiting.done);
        db_unpin(t.pin);
        REQUIRE(run_until(&waiting.done, 10));
        CHECK_STR(waiting.value, "0");

        /* A committed one stays. */
        t = (struct pin_test){ 0 };
        db_pin(db, got_pin, &t);
        REQUIRE(run_until(&t.pinned, 10) && t.pin);
        CHECK_INT(pin_query(t.pin, "BEGIN").status, DB_OK);
        CHECK_INT(pin_query(t.pin, "INSERT INTO pin_t VALUES (2)").status, DB_OK);
        CHECK_INT(pin_query(t.pin, "COMMIT").status, DB_OK);
        db_unpin(t.pin);
        g = query(db, "SELECT count(*) FROM pin_t", 0, NULL);
        CHECK_STR(g.value, "1");

        /* A failed statement leaves the transaction aborted; unpin still cleans up. */
        t = (struct pin_test){ 0 };
        db_pin(db, got_pin, &t);
        REQUIRE(run_until(&t.pinned, 10) && t.pin);
        CHECK_INT(pin_query(t.pin, "BEGIN").status, DB_OK);
        CHECK_INT(pin_query(t.pin, "SELECT 1/0").status, DB_FAILED);
        db_unpin(t.pin);
        g = query(db, "SELECT 7", 0, NULL);
        CHECK_STR(g.value, "7");
        db_free(db);
}

static struct got pin_copy(struct db_pin *pin, const char *sql, const char *rows, size_t len)
{
        struct got g = { 0 };
        char *data = malloc(len + 1);
        memcpy(data, rows, len);
        db_pin_copy(pin, sql, data, len, capture, &g);
        run_until(&g.done, 30);
        return g;
}

static void test_copy(void)
{
        struct db *db = open_db(1);
        REQUIRE(db_available(db));
        struct pin_test t = { 0 };
        db_pin(db, got_pin, &t);
        REQUIRE(run_until(&t.pinned, 10) && t.pin);
        CHECK_INT(pin_query(t.pin, "CREATE TEMP TABLE copy_t (n int, s text)").status, DB_OK);
        const char rows[] = "1\tone\n2\t\\N\n3\ttab\\there\n";
        struct got g = pin_copy(t.pin, "COPY copy_t FROM STDIN", rows, sizeof(rows) - 1);
        CHECK_INT(g.status, DB_OK);
        g = pin_query(t.pin, "SELECT string_agg(coalesce(s, 'NULL'), '|' ORDER BY n) FROM copy_t");
        CHECK_STR(g.value, "one|NULL|tab\there");
        /* Several megabytes: more than the socket takes at once. */
        size_t n = 400000, len = 0;
        char *big = malloc(n * 16);
        for (size_t i = 0; i < n; i++)
                len += (size_t)sprintf(big + len, "%zu\tx%zu\n", i, i % 1000);
        g = pin_copy(t.pin, "COPY copy_t FROM STDIN", big, len);
        free(big);
        CHECK_INT(g.status, DB_OK);
        g = pin_query(t.pin, "SELECT count(*) FROM copy_t");
        CHECK_STR(g.value, "400003");
        /* A malformed row fails the COPY; the connection stays usable. */
        const char bad[] = "-7\tok\nnot-a-number\tx\n";
        g = pin_copy(t.pin, "COPY copy_t FROM STDIN", bad, sizeof(bad) - 1);
        CHECK_INT(g.status, DB_FAILED);
        CHECK_STR(g.sqlstate, "22P02");
        g = pin_query(t.pin, "SELECT count(*) FROM copy_t WHERE n = -7");
        CHECK_STR(g.value, "0");
        db_unpin(t.pin);
        db_free(db);
}

struct mig {
        int done;
        int status;
        int applied;
};

static void migrated(int status, int applied, const char *message, void *arg)
{
        struct mig *m = arg;
        m->done = 1;
        m->status = status;
        m->applied = applied;
        if (status != 0)
                fprintf(stderr, "migration: %s\n", message);
}

static void test_migrations(void)
{
        /* Two pools migrate at once, as two prefd processes starting together would. */
        struct db *a = open_db(1), *b = open_db(1);
        struct mig ma = { 0 }, mb = { 0 };
        migrate_run(a, migrated, &ma);
        migrate_run(b, migrated, &mb);
        for (double end = now() + 30; !(ma.done && mb.done) && now() < end;)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        CHECK(ma.done && mb.done);
        CHECK_INT(ma.status, 0);
        CHECK_INT(mb.status, 0);
        CHECK_INT(ma.applied + mb.applied, migrate_count());
        struct got g = query(a, "SELECT count(*), max(version) FROM schema_migrations", 0, NULL);
        CHECK_INT(atoi(g.value), migrate_count());
        /* Once more: nothing to do. */
        struct mig mc = { 0 };
        migrate_run(a, migrated, &mc);
        run_until(&mc.done, 15);
        CHECK_INT(mc.status, 0);
        CHECK_INT(mc.applied, 0);
        db_free(a);
        db_free(b);
}

static int pg(const char *cmd)
{
        char line[512];
        snprintf(line, sizeof(line), "sh tools/pg.sh %s \"%s\"", cmd,
                 getenv("PREFD_TEST_PGDIR"));
        return system(line);
}

static void test_restart(void)
{
        if (!getenv("PREFD_TEST_PGDIR")) {
                fprintf(stderr, "PREFD_TEST_PGDIR not set: restart test skipped\n");
                t_failures++;
                return;
        }
        struct db *db = open_db(3);
        REQUIRE(db_available(db));
        /* A statement in flight when the server goes away fails as unavailable. */
        struct got slow = { 0 };
        db_query(db, "SELECT pg_sleep(30)", 0, NULL, capture, &slow);
        run_until(&slow.done, 0.3);
        REQUIRE(pg("stop") == 0);
        run_until(&slow.done, 10);
        CHECK(slow.done);
        CHECK_INT(slow.status, DB_UNAVAILABLE);
        /* Idle connections notice on their own; new statements fail fast meanwhile. */
        for (double end = now() + 10; db_available(db) && now() < end;)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        CHECK(!db_available(db));
        double t0 = now();
        struct got g = query(db, "SELECT 1", 0, NULL);
        CHECK_INT(g.status, DB_UNAVAILABLE);
        CHECK(now() - t0 < 1.0);
        /* Back up: the pool reconnects by itself. */
        REQUIRE(pg("start") == 0);
        for (double end = now() + 20; !db_available(db) && now() < end;)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        CHECK(db_available(db));
        g = query(db, "SELECT 'again'", 0, NULL);
        CHECK_INT(g.status, DB_OK);
        CHECK_STR(g.value, "again");
        struct db_stats st;
        db_get_stats(db, &st);
        CHECK(st.reconnects >= 1);
        db_free(db);
}

int main(void)
{
        url = getenv("PREFD_TEST_DATABASE_URL");
        if (!url) {
                fprintf(stderr, "PREFD_TEST_DATABASE_URL is not set\n");
                return 1;
        }
        log_init(LOG_ERROR);
        evthread_use_pthreads();
        base = event_base_new();
        RUN(params_and_errors);
        RUN(queueing);
        RUN(pins);
        RUN(copy);
        RUN(migrations);
        RUN(restart);
        event_base_free(base);
        T_DONE();
}
