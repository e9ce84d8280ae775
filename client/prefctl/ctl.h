/*
 * ctl.h - what every part of prefctl shares: the settings struct passed to each command, the
 * exit statuses, the command descriptor, and the one way to report a failure.
 *
 * Conventions as in the server: int 0 / -1 results; the -1 path has already printed one line
 * on stderr ("prefctl: ...") and recorded the exit status in ctl->exit_code (the first failure
 * wins), so callers only pass -1 up. Nothing is global: struct ctl is the whole state.
 */
#ifndef PREFCTL_CTL_H
#define PREFCTL_CTL_H

#include "prefd.h"

struct table;

/* Exit statuses (documented in `prefctl --help`). */
enum ctl_exit {
        CTL_EXIT_OK = 0,
        CTL_EXIT_LOCAL = 1,    /* a local failure: a file cannot be read or written, no memory */
        CTL_EXIT_USAGE = 2,    /* unknown command or option, missing argument, bad value */
        CTL_EXIT_NETWORK = 3,  /* cannot connect, TLS failure, certificate rejected, timeout */
        CTL_EXIT_SERVER = 4,   /* the server answered an error (HTTP 4xx/5xx) or nonsense */
        CTL_EXIT_REJECTED = 5, /* an upload or import had rejected lines */
        CTL_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM during an export */
};

#define CTL_DEFAULT_URL     "http://127.0.0.1:8080"
#define CTL_DEFAULT_TIMEOUT 60

struct args;
struct args_opt;
struct json_t;
struct net;

/* The settings and state of one run, passed to every command. */
struct ctl {
        char *url;          /* owned: the server's base URL, without a trailing '/' */
        const char *token;  /* borrowed (argv or environment); never printed */
        const char *cacert; /* borrowed: a PEM file of CA certificates to trust, or NULL */
        bool insecure;      /* --insecure: no certificate verification */
        long timeout;       /* seconds to connect, or of a stalled transfer; 0: no limit */
        bool err_tty;       /* stderr is a terminal (progress bars) */
        const char *cmd;    /* the command running ("projects list"), for usage hints */
        struct net *net;    /* owned: the HTTP client (net.h) */
        int exit_code;      /* enum ctl_exit of the first failure */
};

/* One command: its name, its help and the function that runs it. */
struct ctl_cmd {
        const char *name;            /* "upload", "projects list" */
        const char *synopsis;        /* what follows the name: "PROJECT FILE [--partial]" */
        const char *summary;         /* one line for `prefctl --help` */
        const char *help;            /* options and notes for `prefctl NAME --help` */
        const struct args_opt *opts; /* its options, terminated by { NULL }; the global ones
                                        are always accepted too */
        int min_args, max_args;      /* positional arguments */
        int (*run)(struct ctl *ctl, const struct args *a);
};

/* Prints "prefctl: MESSAGE" (control characters made harmless), records code; returns -1. */
int ctl_fail(struct ctl *ctl, enum ctl_exit code, const char *fmt, ...) PREFD_PRINTF(3, 4);

/* A usage error: the message, then a hint to the command's --help; returns -1. */
int ctl_usage(struct ctl *ctl, const char *fmt, ...) PREFD_PRINTF(2, 3);

/* "prefctl: out of memory"; returns -1. */
int ctl_oom(struct ctl *ctl);

/* Prints "prefctl: warning: MESSAGE". */
void ctl_warn(const char *fmt, ...) PREFD_PRINTF(1, 2);

/*
 * Fills the connection settings from the global options in a, else PREFD_URL / PREFD_TOKEN,
 * else the defaults, and checks them (a bad URL or timeout is a usage error). need_token: a
 * missing token is an error.
 */
int ctl_configure(struct ctl *ctl, const struct args *a, bool need_token) PREFD_MUSTCHECK;

void ctl_fini(struct ctl *ctl);

/* Reads a whole (small) file, "-" for standard input; max bytes at most. *out owned by caller. */
int ctl_read_file(struct ctl *ctl, const char *path, size_t max, char **out,
                  size_t *len) PREFD_MUSTCHECK;

/*
 * Standard output for programs: ctl_print_json writes a JSON value indented (reals with 15
 * significant digits, so 0.1 stays "0.1"); ctl_print_raw writes an answer's bytes as received,
 * ending with a newline. -1 (exit 1) when writing fails.
 */
int ctl_print_json(struct ctl *ctl, const struct json_t *v) PREFD_MUSTCHECK;
int ctl_print_raw(struct ctl *ctl, const char *data, size_t len) PREFD_MUSTCHECK;
/* Writes a table (table.h) to standard output; -1 after ctl_oom when it cannot. */
int ctl_print_table(struct ctl *ctl, const struct table *t) PREFD_MUSTCHECK;

#endif
