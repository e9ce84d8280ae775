/*
 * args.h - command-line options: a small table per command, parsed without getopt's global
 * state.
 *
 * Accepted forms: "--name value", "--name=value", "-x value" for an option with a short name,
 * "--flag"; "--" ends the options and a lone "-" is an argument (standard input). Options and
 * arguments may be mixed. A repeated option keeps its last value. Errors are usage errors.
 */
#ifndef PREFCTL_ARGS_H
#define PREFCTL_ARGS_H

#include "ctl.h"

enum args_kind {
        ARGS_FLAG,  /* present or not */
        ARGS_VALUE, /* takes a value */
};

struct args_opt {
        const char *name; /* without "--"; NULL ends a table */
        enum args_kind kind;
        char short_name; /* or 0 */
};

#define ARGS_MAX_OPTS 64
#define ARGS_MAX_POS  8

/* The parsed command line; the strings are borrowed from argv. */
struct args {
        const struct args_opt *opt[ARGS_MAX_OPTS];
        const char *val[ARGS_MAX_OPTS]; /* NULL: absent; "" for a flag given */
        size_t nopt;
        const char *pos[ARGS_MAX_POS]; /* positional arguments */
        size_t npos;
};

/* The options every command accepts. */
extern const struct args_opt args_global[];

/*
 * Parses argv[0..argc) against the option tables in tables (NULL-terminated). Positional
 * arguments beyond ARGS_MAX_POS are a usage error.
 */
int args_parse(struct ctl *ctl, struct args *a, const struct args_opt *const *tables, int argc,
               char **argv) PREFD_MUSTCHECK;

/* The value of option name, "" for a flag that was given, NULL when absent. */
const char *args_get(const struct args *a, const char *name);
bool args_has(const struct args *a, const char *name);

/* Typed values: 0 with *out set when present and valid, 0 with *out untouched when absent, -1
 * (usage error reported) when malformed or out of [min, max]. */
int args_long(struct ctl *ctl, const struct args *a, const char *name, long min, long max,
              long *out) PREFD_MUSTCHECK;
int args_double(struct ctl *ctl, const struct args *a, const char *name, double min, double max,
                double *out) PREFD_MUSTCHECK;
/* A value from a NULL-terminated list of choices. */
int args_choice(struct ctl *ctl, const struct args *a, const char *name,
                const char *const *choices) PREFD_MUSTCHECK;

#endif
