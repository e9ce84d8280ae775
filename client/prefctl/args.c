/*
 * args.c - parsing a command line against tables of options.
 */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct args_opt args_global[] = {
        { "url", ARGS_VALUE, 0 },     { "token", ARGS_VALUE, 0 },
        { "cacert", ARGS_VALUE, 0 },  { "insecure", ARGS_FLAG, 0 },
        { "timeout", ARGS_VALUE, 0 }, { "help", ARGS_FLAG, 'h' },
        { "version", ARGS_FLAG, 0 },  { NULL, 0, 0 },
};

/* Index of the option named name (long_len bytes), or of short name c when name is NULL. */
static int find(const struct args *a, const char *name, size_t len, char c)
{
        for (size_t i = 0; i < a->nopt; i++) {
                const struct args_opt *o = a->opt[i];
                if (name ? strlen(o->name) == len && strncmp(o->name, name, len) == 0
                         : (c && o->short_name == c))
                        return (int)i;
        }
        return -1;
}

int args_parse(struct ctl *ctl, struct args *a, const struct args_opt *const *tables, int argc,
               char **argv)
{
        memset(a, 0, sizeof(*a));
        for (; *tables; tables++) {
                for (const struct args_opt *o = *tables; o->name; o++) {
                        if (a->nopt == ARGS_MAX_OPTS)
                                return ctl_fail(ctl, CTL_EXIT_LOCAL, "too many options defined");
                        a->opt[a->nopt++] = o;
                }
        }
        bool options = true;
        for (int i = 0; i < argc; i++) {
                const char *s = argv[i];
                int k;
                const char *value = NULL;
                if (options && strcmp(s, "--") == 0) {
                        options = false;
                        continue;
                }
                if (!options || s[0] != '-' || s[1] == '\0') {
                        if (a->npos == ARGS_MAX_POS)
                                return ctl_usage(ctl, "too many arguments");
                        a->pos[a->npos++] = s;
                        continue;
                }
                if (s[1] == '-') {
                        const char *name = s + 2;
                        const char *eq = strchr(name, '=');
                        size_t len = eq ? (size_t)(eq - name) : strlen(name);
                        k = find(a, name, len, 0);
                        if (k < 0)
                                return ctl_usage(ctl, "unknown option \"--%.*s\"", (int)len, name);
                        if (eq && a->opt[k]->kind == ARGS_FLAG)
                                return ctl_usage(ctl, "option --%s takes no value",
                                                 a->opt[k]->name);
                        if (eq)
                                value = eq + 1;
                } else {
                        if (s[2] != '\0')
                                return ctl_usage(ctl, "unknown option \"%s\"", s);
                        k = find(a, NULL, 0, s[1]);
                        if (k < 0)
                                return ctl_usage(ctl, "unknown option \"%s\"", s);
                }
                if (a->opt[k]->kind == ARGS_FLAG) {
                        a->val[k] = "";
                        continue;
                }
                if (!value) {
                        if (i + 1 >= argc)
                                return ctl_usage(ctl, "option --%s needs a value", a->opt[k]->name);
                        value = argv[++i];
                }
                a->val[k] = value;
        }
        return 0;
}

const char *args_get(const struct args *a, const char *name)
{
        int k = find(a, name, strlen(name), 0);
        return k < 0 ? NULL : a->val[k];
}

bool args_has(const struct args *a, const char *name)
{
        return args_get(a, name) != NULL;
}

int args_long(struct ctl *ctl, const struct args *a, const char *name, long min, long max,
              long *out)
{
        const char *s = args_get(a, name);
        if (!s)
                return 0;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < min || v > max)
                return ctl_usage(ctl, "--%s: expected a whole number from %ld to %ld, not \"%s\"",
                                 name, min, max, s);
        *out = v;
        return 0;
}

int args_double(struct ctl *ctl, const struct args *a, const char *name, double min, double max,
                double *out)
{
        const char *s = args_get(a, name);
        if (!s)
                return 0;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
                return ctl_usage(ctl, "--%s: expected a number from %g to %g, not \"%s\"", name,
                                 min, max, s);
        *out = v;
        return 0;
}

int args_choice(struct ctl *ctl, const struct args *a, const char *name, const char *const *choices)
{
        const char *s = args_get(a, name);
        if (!s)
                return 0;
        char list[256] = "";
        size_t used = 0;
        for (const char *const *c = choices; *c; c++) {
                if (strcmp(*c, s) == 0)
                        return 0;
                int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? "|" : "", *c);
                if (n > 0 && (size_t)n < sizeof(list) - used)
                        used += (size_t)n;
        }
        return ctl_usage(ctl, "--%s: expected %s, not \"%s\"", name, list, s);
}
