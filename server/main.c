/*
 * main.c - argv -> config -> log -> database, workers, TLS, HTTP -> signals -> loop -> teardown.
 *
 * prefd serves by default; `prefd migrate` and `prefd user ...` are administrative commands
 * (cli.h). Start-up errors stop the process with a message naming the setting; after start-up
 * nothing exits but SIGTERM/SIGINT, which stop accepting, finish the requests in flight (up to
 * PREFD_SHUTDOWN_GRACE) and close the database cleanly. A second signal exits at once.
 */
#include "api.h"
#include "active_refresh.h"
#include "app.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "authcache.h"
#include "migrate.h"
#include "rating.h"
#include "router.h"
#include "tally.h"
#include "work.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server {
        struct app app;
        struct event *sigterm, *sigint, *grace;
        int exit_status;
};

static void usage(FILE *out)
{
        fprintf(out,
                "prefd %s - pairwise preference rating service\n\n"
                "usage: prefd [settings] [serve]          serve the API and web client\n"
                "       prefd [settings] migrate          apply database migrations and exit\n"
                "       prefd [settings] user add NAME --role admin|analyst|rater "
                "[--password-stdin]\n"
                "       prefd [settings] user token NAME  issue a new API token\n"
                "       prefd --help | --version\n\n",
                PREFD_VERSION);
        config_usage(out);
}

static SSL_CTX *tls_context(const struct config *cfg, char *err, size_t errlen)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx) {
                snprintf(err, errlen, "TLS: cannot create a context");
                return NULL;
        }
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
        if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
                snprintf(err, errlen, "PREFD_TLS_CERT: cannot load %s: %s", cfg->tls_cert,
                         ERR_reason_error_string(ERR_get_error()));
                goto fail;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) {
                snprintf(err, errlen, "PREFD_TLS_KEY: cannot load %s: %s", cfg->tls_key,
                         ERR_reason_error_string(ERR_get_error()));
                goto fail;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
                snprintf(err, errlen, "PREFD_TLS_KEY: %s does not match PREFD_TLS_CERT %s",
                         cfg->tls_key, cfg->tls_cert);
                goto fail;
        }
        return ctx;
fail:
        SSL_CTX_free(ctx);
        return NULL;
}

static void migrated(int status, int applied, const char *message, void *arg)
{
        struct server *s = arg;
        if (status != 0) {
                /* A schema prefd cannot bring up to date is a start-up error. */
                log_error(NULL, "msg=migration_failed detail=%s", LOGQ(message));
                s->exit_status = 1;
                event_base_loopbreak(s->app.base);
                return;
        }
        s->app.schema_ok = true;
        log_info(NULL, "msg=schema_current version=%d applied=%d", migrate_latest(), applied);
}

static void start_migration(void *arg)
{
        struct server *s = arg;
        migrate_run(s->app.db, migrated, s);
}

static void drained(void *arg)
{
        struct server *s = arg;
        log_info(NULL, "msg=shutdown_complete");
        event_base_loopexit(s->app.base, NULL);
}

static void grace_expired(evutil_socket_t fd, short what, void *arg)
{
        struct server *s = arg;
        log_warn(NULL, "msg=shutdown_grace_expired open_connections=%zu",
                 http_server_conns(s->app.http));
        event_base_loopbreak(s->app.base);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct server *s = arg;
        if (s->app.shutting_down) {
                log_warn(NULL, "msg=second_signal action=exit_now");
                event_base_loopbreak(s->app.base);
                return;
        }
        s->app.shutting_down = true;
        log_info(NULL, "msg=shutdown signal=%d open_connections=%zu", (int)sig,
                 http_server_conns(s->app.http));
        struct timeval tv = { (time_t)s->app.cfg->shutdown_grace, 0 };
        s->grace = evtimer_new(s->app.base, grace_expired, s);
        if (s->grace)
                evtimer_add(s->grace, &tv);
        http_server_shutdown(s->app.http, drained, s);
}

static int serve(struct server *s)
{
        char err[512];
        SSL_CTX *ssl = NULL;
        const struct config *cfg = s->app.cfg;
        if (cfg->tls_cert[0] && !(ssl = tls_context(cfg, err, sizeof(err)))) {
                fprintf(stderr, "prefd: %s\n", err);
                return 1;
        }
        s->app.http =
            http_server_new(s->app.base, &s->app, cfg, ssl, router_dispatch, err, sizeof(err));
        SSL_CTX_free(ssl); /* the server holds its own reference */
        if (!s->app.http) {
                fprintf(stderr, "prefd: %s\n", err);
                return 1;
        }
        s->sigterm = evsignal_new(s->app.base, SIGTERM, on_signal, s);
        s->sigint = evsignal_new(s->app.base, SIGINT, on_signal, s);
        if (!s->sigterm || !s->sigint || evsignal_add(s->sigterm, NULL) != 0 ||
            evsignal_add(s->sigint, NULL) != 0) {
                fprintf(stderr, "prefd: cannot install signal handlers\n");
                return 1;
        }
        log_info(NULL, "msg=listening url=%s://%s version=%s pool=%ld read_pool=%s workers=%ld",
                 cfg->tls_cert[0] ? "https" : "http", cfg->listen, PREFD_VERSION, cfg->db_pool,
                 s->app.db_read != s->app.db ? "own" : "primary", cfg->workers);
        /* Migrations run as soon as the database answers; until then the API says 503. */
        db_when_up(s->app.db, start_migration, s);
        event_base_dispatch(s->app.base);
        /* The loop is over: a late signal must not kill the short teardown that follows. */
        event_free(s->sigterm);
        event_free(s->sigint);
        s->sigterm = s->sigint = NULL;
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        http_server_free(s->app.http);
        s->app.http = NULL;
        return s->exit_status;
}

/*
 * The pool for reads that may lag: a second pool on PREFD_DATABASE_READ_URL (a standby, when
 * its URL prefers one) when that is set and the process serves, else the primary's own.
 */
static struct db *read_pool(struct app *app, const struct db_opts *primary, bool serving)
{
        const char *url = app->cfg->database_read_url;
        if (!url[0] || !serving)
                return app->db;
        struct db_opts o = *primary;
        o.url = url;
        return db_new(app->base, &o);
}

int main(int argc, char **argv)
{
        static struct config cfg;
        struct server s = { 0 };
        char err[512];
        int status = 1;

        signal(SIGPIPE, SIG_IGN);
        config_defaults(&cfg);
        if (config_load(&cfg, &argc, argv, err, sizeof(err)) != 0) {
                fprintf(stderr, "prefd: %s\n", err);
                return 2;
        }
        const char *cmd = argc > 1 ? argv[1] : "serve";
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(cmd, "--version") == 0) {
                printf("prefd %s\n", PREFD_VERSION);
                return 0;
        }
        bool serving = strcmp(cmd, "serve") == 0;
        if (!serving && strcmp(cmd, "migrate") != 0 && strcmp(cmd, "user") != 0) {
                fprintf(stderr, "prefd: unknown command \"%s\" (see prefd --help)\n", cmd);
                return 2;
        }
        /* Commands keep the log to warnings so their own output stays readable. */
        log_init(serving ? (enum log_level)log_level_parse(cfg.log_level) : LOG_WARN);

        evthread_use_pthreads();
        s.app.cfg = &cfg;
        s.app.base = event_base_new();
        struct db_opts dbo = { .url = cfg.database_url,
                               .pool = serving ? (int)cfg.db_pool : 1,
                               .queue_max = (int)cfg.db_queue,
                               .wait = cfg.db_wait,
                               .statement_timeout = cfg.db_timeout,
                               .search_path = MIGRATE_SEARCH_PATH };
        if (!s.app.base || !(s.app.db = db_new(s.app.base, &dbo)) ||
            !(s.app.db_read = read_pool(&s.app, &dbo, serving)) ||
            !(s.app.metrics = metrics_new()) || !(s.app.authcache = authcache_new()) ||
            !(s.app.rating = rating_new(s.app.db)) ||
            !(s.app.tally = tally_new(s.app.db_read, (size_t)cfg.index_memory)) ||
            !(s.app.work = work_new(s.app.base, (int)cfg.workers))) {
                fprintf(stderr, "prefd: out of memory or threads at start-up\n");
                goto out;
        }
        if (serving && !(s.app.active = active_refresh_new(&s.app))) {
                fprintf(stderr, "prefd: out of memory at start-up\n");
                goto out;
        }
        if (serving)
                status = serve(&s);
        else if (strcmp(cmd, "migrate") == 0)
                status = cli_migrate(&s.app);
        else
                status = cli_user(&s.app, argc - 2, argv + 2);
out:
        /* Workers first (their callbacks may query), then the pool (failing what is queued,
         * which the index's syncs hear about), then the index. */
        active_refresh_stop(s.app.active);
        work_free(s.app.work);
        if (s.app.db_read != s.app.db)
                db_free(s.app.db_read);
        db_free(s.app.db);
        tally_free(s.app.tally);
        active_refresh_free(s.app.active);
        authcache_free(s.app.authcache);
        rating_free(s.app.rating);
        metrics_free(s.app.metrics);
        if (s.sigterm)
                event_free(s.sigterm);
        if (s.sigint)
                event_free(s.sigint);
        if (s.grace)
                event_free(s.grace);
        if (s.app.base)
                event_base_free(s.app.base);
        config_fini(&cfg);
        libevent_global_shutdown();
        return status;
}
