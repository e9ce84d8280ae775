/*
 * config.c - the one table of settings; see config.h.
 */
#include "config.h"
#include "log.h"
#include "netaddr.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum config_type {
        CONFIG_STR,      /* any string */
        CONFIG_INT,      /* a whole number within bounds */
        CONFIG_SIZE,     /* bytes, with an optional k, M or G suffix (powers of 1024) */
        CONFIG_DURATION, /* seconds, with an optional ms, s, m or h suffix */
};

struct config_setting {
        const char *name; /* flag --name (with '-' for '_') */
        const char *env;  /* environment variable */
        enum config_type type;
        size_t offset;   /* of the field in struct config */
        const char *def; /* default, in the same syntax as the environment */
        double min, max; /* bounds for numbers (sizes in bytes, durations in seconds) */
        const char *help;
};

#define F(field) offsetof(struct config, field)
#define KiB      1024.0
#define MiB      (1024.0 * 1024.0)
#define GiB      (1024.0 * 1024.0 * 1024.0)

static const struct config_setting settings[] = {
        { "listen", "PREFD_LISTEN", CONFIG_STR, F(listen), "127.0.0.1:8080", 0, 0,
          "address and port to serve on (host:port)" },
        { "database_url", "PREFD_DATABASE_URL", CONFIG_STR, F(database_url),
          "postgresql://127.0.0.1:5432/prefd", 0, 0,
          "PostgreSQL connection string or URI (libpq syntax)" },
        { "database_read_url", "PREFD_DATABASE_READ_URL", CONFIG_STR, F(database_read_url), "", 0,
          0, "a second pool for rankings, exports and quality reads, which may lag (a standby)" },
        { "tls_cert", "PREFD_TLS_CERT", CONFIG_STR, F(tls_cert), "", 0, 0,
          "PEM certificate chain; HTTPS when set together with tls_key" },
        { "tls_key", "PREFD_TLS_KEY", CONFIG_STR, F(tls_key), "", 0, 0, "PEM private key" },
        { "log_level", "PREFD_LOG_LEVEL", CONFIG_STR, F(log_level), "info", 0, 0,
          "debug, info, warn or error" },
        { "db_pool", "PREFD_DB_POOL", CONFIG_INT, F(db_pool), "8", 1, 256,
          "database connections of this process" },
        { "db_queue", "PREFD_DB_QUEUE", CONFIG_INT, F(db_queue), "10000", 1, 1000000,
          "queries waiting for a free connection before requests get 503" },
        { "db_timeout", "PREFD_DB_TIMEOUT", CONFIG_DURATION, F(db_timeout), "30s", 0.1, 3600,
          "longest a database statement may run" },
        { "db_wait", "PREFD_DB_WAIT", CONFIG_DURATION, F(db_wait), "10s", 0.1, 600,
          "longest a query waits for a free connection" },
        { "workers", "PREFD_WORKERS", CONFIG_INT, F(workers), "2", 1, 64,
          "threads for password hashing and ranking" },
        { "scrypt_n", "PREFD_SCRYPT_N", CONFIG_INT, F(scrypt_n), "32768", 1024, 1048576,
          "scrypt cost N of new password hashes (a power of two)" },
        { "max_conns", "PREFD_MAX_CONNS", CONFIG_INT, F(max_conns), "4096", 1, 1000000,
          "open client connections; further ones are refused" },
        { "max_conns_per_addr", "PREFD_MAX_CONNS_PER_ADDR", CONFIG_INT, F(max_conns_per_addr),
          "256", 1, 1000000,
          "open connections per client address (IPv6: per /64); trusted proxies are exempt" },
        { "trusted_proxies", "PREFD_TRUSTED_PROXIES", CONFIG_STR, F(trusted_proxies), "", 0, 0,
          "addresses or networks (CIDR, comma-separated) whose X-Forwarded-For is believed" },
        { "login_attempts", "PREFD_LOGIN_ATTEMPTS", CONFIG_INT, F(login_attempts), "10", 1, 100000,
          "failed logins per user name and address per minute before 429" },
        { "undo_seconds", "PREFD_UNDO_SECONDS", CONFIG_INT, F(undo_seconds), "120", 0, 86400,
          "seconds after a vote during which its rater may undo it (0: never)" },
        { "max_header", "PREFD_MAX_HEADER", CONFIG_SIZE, F(max_header), "16k", 1 * KiB, 1 * MiB,
          "size of a request's line and headers" },
        { "max_body", "PREFD_MAX_BODY", CONFIG_SIZE, F(max_body), "1M", 1 * KiB, 1 * GiB,
          "size of a JSON request body" },
        { "max_upload", "PREFD_MAX_UPLOAD", CONFIG_SIZE, F(max_upload), "4G", 1 * KiB, 1024 * GiB,
          "size of a streamed JSON Lines upload (items, votes)" },
        { "max_line", "PREFD_MAX_LINE", CONFIG_SIZE, F(max_line), "8M", 1 * KiB, 1 * GiB,
          "size of one JSON Lines record" },
        { "max_text", "PREFD_MAX_TEXT", CONFIG_SIZE, F(max_text), "256k", 1 * KiB, 64 * MiB,
          "size of one prompt or response text" },
        { "index_memory", "PREFD_INDEX_MEMORY", CONFIG_SIZE, F(index_memory), "512M", 1 * MiB,
          1024 * GiB, "memory for the vote index behind filtered rankings (least used dropped)" },
        { "read_timeout", "PREFD_READ_TIMEOUT", CONFIG_DURATION, F(read_timeout), "30s", 0.05, 3600,
          "silence allowed while a request is being read" },
        { "head_timeout", "PREFD_HEAD_TIMEOUT", CONFIG_DURATION, F(head_timeout), "10s", 0.05, 3600,
          "a request line and headers must arrive within this from the connection's opening or "
          "the request's first byte" },
        { "min_body_rate", "PREFD_MIN_BODY_RATE", CONFIG_SIZE, F(min_body_rate), "1k", 0, 1 * GiB,
          "bytes per second a body must average after its first read_timeout (0: no minimum)" },
        { "idle_timeout", "PREFD_IDLE_TIMEOUT", CONFIG_DURATION, F(idle_timeout), "60s", 0.05, 3600,
          "how long an idle keep-alive connection stays open" },
        { "write_timeout", "PREFD_WRITE_TIMEOUT", CONFIG_DURATION, F(write_timeout), "60s", 0.05,
          3600, "how long a client may stall while a reply is written" },
        { "shutdown_grace", "PREFD_SHUTDOWN_GRACE", CONFIG_DURATION, F(shutdown_grace), "30s", 0,
          3600, "how long SIGTERM waits for requests in flight" },
        { "session_ttl", "PREFD_SESSION_TTL", CONFIG_DURATION, F(session_ttl), "12h", 60,
          365 * 86400.0, "lifetime of a login session" },
};

static int parse_number(const struct config_setting *s, const char *v, double *out)
{
        char *end;
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || errno || !isfinite(x))
                return -1;
        double mult = 1;
        if (s->type == CONFIG_SIZE) {
                if (*end == 'k' || *end == 'K')
                        mult = KiB, end++;
                else if (*end == 'M')
                        mult = MiB, end++;
                else if (*end == 'G')
                        mult = GiB, end++;
                if (*end == 'B' || *end == 'b')
                        end++;
        } else if (s->type == CONFIG_DURATION) {
                if (strcmp(end, "ms") == 0)
                        mult = 0.001, end += 2;
                else if (*end == 's')
                        end++;
                else if (*end == 'm')
                        mult = 60, end++;
                else if (*end == 'h')
                        mult = 3600, end++;
        }
        if (*end)
                return -1;
        x *= mult;
        if (s->type != CONFIG_DURATION && x != floor(x))
                return -1;
        *out = x;
        return 0;
}

static int set_value(struct config *c, const struct config_setting *s, const char *v, char *err,
                     size_t errlen, const char *origin)
{
        char *field = (char *)c + s->offset;
        if (s->type == CONFIG_STR) {
                char *copy = strdup(v);
                if (!copy) {
                        snprintf(err, errlen, "out of memory");
                        return -1;
                }
                free(*(char **)field);
                *(char **)field = copy;
                return 0;
        }
        double x;
        if (parse_number(s, v, &x) != 0 || x < s->min || x > s->max) {
                snprintf(err, errlen, "%s %s: invalid value \"%s\" (%s; allowed %g to %g%s)",
                         origin, origin[0] == '-' ? s->name : s->env, v, s->help, s->min, s->max,
                         s->type == CONFIG_SIZE       ? " bytes"
                         : s->type == CONFIG_DURATION ? " seconds"
                                                      : "");
                return -1;
        }
        if (s->type == CONFIG_DURATION)
                *(double *)field = x;
        else
                *(long *)field = (long)x;
        return 0;
}

void config_defaults(struct config *c)
{
        memset(c, 0, sizeof(*c));
        char err[256];
        for (size_t i = 0; i < ARRAY_LEN(settings); i++)
                if (set_value(c, &settings[i], settings[i].def, err, sizeof(err), "default") != 0)
                        abort(); /* a broken default is a programming error */
}

static const struct config_setting *find_flag(const char *arg, const char **value)
{
        if (strncmp(arg, "--", 2) != 0)
                return NULL;
        arg += 2;
        for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
                const char *n = settings[i].name;
                size_t k = 0;
                for (; n[k]; k++)
                        if (arg[k] != (n[k] == '_' ? '-' : n[k]) && arg[k] != n[k])
                                break;
                if (n[k])
                        continue;
                if (arg[k] == '=') {
                        *value = arg + k + 1;
                        return &settings[i];
                }
                if (arg[k] == '\0') {
                        *value = NULL;
                        return &settings[i];
                }
        }
        return NULL;
}

int config_load(struct config *c, int *argc, char **argv, char *err, size_t errlen)
{
        for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
                const char *v = getenv(settings[i].env);
                if (v && set_value(c, &settings[i], v, err, errlen, "environment variable") != 0)
                        return -1;
        }
        int out = 1;
        for (int i = 1; i < *argc; i++) {
                const char *value;
                const struct config_setting *s = find_flag(argv[i], &value);
                if (!s) {
                        argv[out++] = argv[i];
                        continue;
                }
                if (!value) {
                        if (i + 1 >= *argc) {
                                snprintf(err, errlen, "flag --%s needs a value", argv[i] + 2);
                                return -1;
                        }
                        value = argv[++i];
                }
                if (set_value(c, s, value, err, errlen, "--") != 0)
                        return -1;
        }
        argv[out] = NULL;
        *argc = out;
        if (log_level_parse(c->log_level) < 0) {
                snprintf(err, errlen,
                         "PREFD_LOG_LEVEL: invalid value \"%s\" (debug, info, warn, error)",
                         c->log_level);
                return -1;
        }
        if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0')) {
                snprintf(err, errlen, "PREFD_TLS_CERT and PREFD_TLS_KEY must be set together");
                return -1;
        }
        struct netaddr_cidr *proxies;
        size_t nproxies;
        char why[160];
        if (netaddr_cidrs_parse(c->trusted_proxies, &proxies, &nproxies, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "PREFD_TRUSTED_PROXIES: %s", why);
                return -1;
        }
        free(proxies);
        if (c->scrypt_n & (c->scrypt_n - 1)) {
                snprintf(err, errlen, "PREFD_SCRYPT_N: %ld is not a power of two", c->scrypt_n);
                return -1;
        }
        return 0;
}

void config_usage(FILE *out)
{
        fprintf(out, "Settings (flag --name=value overrides the environment variable):\n");
        for (size_t i = 0; i < ARRAY_LEN(settings); i++) {
                char flag[64];
                snprintf(flag, sizeof(flag), "--%s", settings[i].name);
                for (char *p = flag + 2; *p; p++)
                        if (*p == '_')
                                *p = '-';
                fprintf(out, "  %-20s %-24s default %-28s %s\n", flag, settings[i].env,
                        settings[i].def[0] ? settings[i].def : "(unset)", settings[i].help);
        }
}

void config_fini(struct config *c)
{
        for (size_t i = 0; i < ARRAY_LEN(settings); i++)
                if (settings[i].type == CONFIG_STR) {
                        char **p = (char **)((char *)c + settings[i].offset);
                        free(*p);
                        *p = NULL;
                }
}
