/*
 * config.h - every setting of prefd, in one table (server/config.c): name, environment variable,
 * type, default, bounds and help. Settings come from the environment and are overridden by
 * command-line flags `--name=value` (the name with '_' written '-'); `prefd --help` prints the
 * table. Start-up stops with a message naming the setting when a value is out of bounds.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "prefd.h"
#include <stdio.h>

struct config {
        char *listen;          /* host:port to serve on */
        char *database_url;    /* libpq connection string or URI */
        char *tls_cert;        /* PEM certificate chain; HTTPS when set with tls_key */
        char *tls_key;         /* PEM private key */
        char *log_level;       /* debug | info | warn | error */
        char *trusted_proxies; /* CIDR list whose X-Forwarded-For is believed (netaddr.h) */
        /* PREFD_DATABASE_READ_URL: reads that may lag (rankings, exports, quality); "" = none */
        char *database_read_url;

        long db_pool;            /* database connections per process */
        long db_queue;           /* queries waiting for a connection before 503 */
        long workers;            /* threads for password hashing and ranking */
        long scrypt_n;           /* scrypt cost N for new password hashes (power of two) */
        long max_conns;          /* open client connections */
        long max_conns_per_addr; /* open connections per client address (IPv6 /64) */
        long login_attempts;     /* failed logins per user name and address per minute */
        long undo_seconds;       /* how long after a vote its rater may undo it */

        long max_header;    /* bytes of request line and headers */
        long max_body;      /* bytes of a JSON request body */
        long max_upload;    /* bytes of a streamed JSON Lines upload */
        long max_line;      /* bytes of one JSON Lines record */
        long max_text;      /* bytes of one prompt or response text */
        long index_memory;  /* bytes of the vote index behind filtered rankings (tally.h) */
        long min_body_rate; /* bytes per second a body averages after read_timeout; 0 off */

        double db_timeout;     /* seconds a statement may run */
        double db_wait;        /* seconds a query may wait for a free connection */
        double read_timeout;   /* seconds of silence while reading a request */
        double head_timeout;   /* seconds a request head may take, from its start */
        double idle_timeout;   /* seconds an idle keep-alive connection stays open */
        double write_timeout;  /* seconds of a stalled client while writing a reply */
        double shutdown_grace; /* seconds SIGTERM waits for requests in flight */
        double session_ttl;    /* seconds a login session lasts */
};

/* Fills every field with its default. */
void config_defaults(struct config *c);

/*
 * Reads the environment, then the setting flags of argv (removing them, so that argv keeps the
 * command and its own arguments, *argc updated). On a bad value writes a message naming the
 * setting into err and returns -1.
 */
int config_load(struct config *c, int *argc, char **argv, char *err, size_t errlen) PREFD_MUSTCHECK;

/* Prints the table of settings: flag, variable, default, meaning. */
void config_usage(FILE *out);

/* Frees the strings; the struct can be loaded again. */
void config_fini(struct config *c);

#endif
