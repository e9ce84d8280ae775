/*
 * cli.c - `prefd migrate` and `prefd user ...`; see cli.h.
 */
#include "cli.h"

#include "app.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "users.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cli {
        struct app *app;
        int status;
        const char *what; /* "add" or "token" */
        char name[72];
        char role[16];
        char hash[160];
        bool has_password;
        char token[AUTH_TOKEN_MAX];
        char token_hash[65];
        struct event *timeout;
};

static void stop(struct cli *c, int status)
{
        c->status = status;
        event_base_loopbreak(c->app->base);
}

static void timed_out(evutil_socket_t fd, short what, void *arg)
{
        struct cli *c = arg;
        fprintf(stderr, "prefd: cannot reach the database at %s (see the log above)\n",
                c->app->cfg->database_url);
        stop(c, 1);
}

/* Runs the loop until stop(); starts `fn` once the database is reachable. */
static int run(struct cli *c, void (*fn)(void *arg))
{
        /* As long as a query would wait for a connection (PREFD_DB_WAIT). */
        double wait = c->app->cfg->db_wait;
        struct timeval tv = { (time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) };
        c->timeout = evtimer_new(c->app->base, timed_out, c);
        if (!c->timeout)
                return 1;
        evtimer_add(c->timeout, &tv);
        db_when_up(c->app->db, fn, c);
        event_base_dispatch(c->app->base);
        event_free(c->timeout);
        return c->status;
}

/* The migrations ran (or not): true, and the command ends, when they failed. */
static bool migration_failed(struct cli *c, int status, const char *message)
{
        evtimer_del(c->timeout);
        if (status == 0)
                return false;
        fprintf(stderr, "prefd: migration failed: %s\n", message);
        stop(c, 1);
        return true;
}

static void migrated(int status, int applied, const char *message, void *arg)
{
        struct cli *c = arg;
        if (migration_failed(c, status, message))
                return;
        fprintf(stderr, "prefd: schema current (version %d, %d applied now)\n", migrate_latest(),
                applied);
        stop(c, 0);
}

static void migrate_start(void *arg)
{
        struct cli *c = arg;
        migrate_run(c->app->db, migrated, c);
}

int cli_migrate(struct app *app)
{
        struct cli c = { .app = app, .status = 1 };
        return run(&c, migrate_start);
}

/* --- users --- */

static void user_done(const struct db_res *res, void *arg)
{
        struct cli *c = arg;
        if (db_res_status(res) == DB_FAILED &&
            strcmp(db_res_sqlstate(res), DB_UNIQUE_VIOLATION) == 0) {
                fprintf(stderr, "prefd: a user named \"%s\" already exists\n", c->name);
                stop(c, 1);
                return;
        }
        if (db_res_status(res) != DB_OK) {
                fprintf(stderr, "prefd: %s\n", db_res_message(res));
                stop(c, 1);
                return;
        }
        if (db_res_nrows(res) != 1) {
                fprintf(stderr, "prefd: no user named \"%s\"\n", c->name);
                stop(c, 1);
                return;
        }
        printf("%s\n", c->token);
        fflush(stdout);
        stop(c, 0);
}

static void user_migrated(int status, int applied, const char *message, void *arg)
{
        struct cli *c = arg;
        if (migration_failed(c, status, message))
                return;
        if (strcmp(c->what, "add") == 0) {
                const char *params[] = { c->name, c->role, c->has_password ? c->hash : NULL,
                                         c->token_hash };
                db_query(c->app->db, users_add_sql, 4, params, user_done, c);
        } else {
                const char *params[] = { c->name, c->token_hash };
                db_query(c->app->db, users_token_sql, 2, params, user_done, c);
        }
}

static void user_start(void *arg)
{
        struct cli *c = arg;
        migrate_run(c->app->db, user_migrated, c);
}

static int usage(void)
{
        fprintf(stderr, "usage: prefd user add NAME --role admin|analyst|rater [--password-stdin]\n"
                        "       prefd user token NAME\n");
        return 2;
}

/* Reads one line from stdin as the password (trailing newline removed). */
static int read_password(char *out, size_t len)
{
        if (!fgets(out, (int)len, stdin)) {
                fprintf(stderr, "prefd: --password-stdin: no password on standard input\n");
                return -1;
        }
        size_t n = strcspn(out, "\r\n");
        out[n] = '\0';
        if (n < AUTH_PASSWORD_MIN) {
                fprintf(stderr, "prefd: the password must have at least %d characters\n",
                        AUTH_PASSWORD_MIN);
                return -1;
        }
        return 0;
}

int cli_user(struct app *app, int argc, char **argv)
{
        struct cli c = { .app = app, .status = 1 };
        if (argc < 2)
                return usage();
        c.what = argv[0];
        snprintf(c.name, sizeof(c.name), "%s", argv[1]);
        if (!users_valid_name(argv[1])) {
                fprintf(stderr, "prefd: \"%s\" is not a valid user name (" USERS_NAME_RULE ")\n",
                        argv[1]);
                return 2;
        }
        bool password_stdin = false;
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
                        snprintf(c.role, sizeof(c.role), "%s", argv[++i]);
                else if (strncmp(argv[i], "--role=", 7) == 0)
                        snprintf(c.role, sizeof(c.role), "%s", argv[i] + 7);
                else if (strcmp(argv[i], "--password-stdin") == 0)
                        password_stdin = true;
                else
                        return usage();
        }
        if (strcmp(c.what, "add") == 0) {
                if (req_role_parse(c.role) < 0) {
                        fprintf(stderr, "prefd: --role must be admin, analyst or rater\n");
                        return 2;
                }
                if (password_stdin) {
                        char password[AUTH_PASSWORD_MAX + 2];
                        if (read_password(password, sizeof(password)) != 0)
                                return 2;
                        /* A one-shot command: hashing here blocks nothing else. */
                        int rc = crypto_password_hash(password, app->cfg->scrypt_n, c.hash,
                                                      sizeof(c.hash));
                        explicit_bzero(password, sizeof(password));
                        if (rc != 0) {
                                fprintf(stderr, "prefd: the password could not be hashed\n");
                                return 1;
                        }
                        c.has_password = true;
                }
        } else if (strcmp(c.what, "token") != 0 || c.role[0] || password_stdin) {
                return usage();
        }
        if (auth_new_token(c.token, c.token_hash) != 0) {
                fprintf(stderr, "prefd: no random numbers available\n");
                return 1;
        }
        return run(&c, user_start);
}
