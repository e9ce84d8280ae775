/*
 * ctl.c - failure reporting, the connection settings (flags, then environment, then defaults)
 * and small file reading shared by the commands.
 */
#include "ctl.h"

#include "args.h"
#include "net.h"
#include "table.h"
#include "text.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
        char msg[2048];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        fputs(prefix, stderr);
        text_put(stderr, msg, TEXT_LINE);
        fputc('\n', stderr);
}

int ctl_fail(struct ctl *ctl, enum ctl_exit code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vreport("prefctl: ", fmt, ap);
        va_end(ap);
        if (ctl->exit_code == CTL_EXIT_OK)
                ctl->exit_code = code;
        return -1;
}

int ctl_usage(struct ctl *ctl, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vreport("prefctl: ", fmt, ap);
        va_end(ap);
        fprintf(stderr, "Try 'prefctl %s%s--help'.\n", ctl->cmd ? ctl->cmd : "",
                ctl->cmd ? " " : "");
        if (ctl->exit_code == CTL_EXIT_OK)
                ctl->exit_code = CTL_EXIT_USAGE;
        return -1;
}

int ctl_oom(struct ctl *ctl)
{
        return ctl_fail(ctl, CTL_EXIT_LOCAL, "out of memory");
}

void ctl_warn(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vreport("prefctl: warning: ", fmt, ap);
        va_end(ap);
}

static bool has_prefix(const char *s, const char *prefix)
{
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int ctl_configure(struct ctl *ctl, const struct args *a, bool need_token)
{
        const char *url = args_get(a, "url");
        const char *where = "--url";
        if (!url) {
                url = getenv("PREFD_URL");
                where = "PREFD_URL";
        }
        if (!url || !*url) {
                url = CTL_DEFAULT_URL;
                where = "the default URL";
        }
        if (!has_prefix(url, "http://") && !has_prefix(url, "https://"))
                return ctl_usage(ctl, "%s must start with http:// or https://, not \"%s\"", where,
                                 url);
        if (strchr(url, '?') || strchr(url, '#') || strpbrk(url, " \t\r\n"))
                return ctl_usage(ctl, "%s must be a plain base URL such as %s, not \"%s\"", where,
                                 CTL_DEFAULT_URL, url);
        ctl->url = strdup(url);
        if (!ctl->url)
                return ctl_oom(ctl);
        size_t n = strlen(ctl->url);
        while (n > 0 && ctl->url[n - 1] == '/')
                ctl->url[--n] = '\0';

        ctl->token = args_get(a, "token");
        if (!ctl->token)
                ctl->token = getenv("PREFD_TOKEN");
        if (ctl->token && !*ctl->token)
                ctl->token = NULL;
        if (ctl->token && strpbrk(ctl->token, " \t\r\n"))
                return ctl_usage(ctl, "the API token holds white space");
        if (need_token && !ctl->token)
                return ctl_usage(ctl, "no API token: set PREFD_TOKEN or pass --token");

        ctl->cacert = args_get(a, "cacert");
        if (ctl->cacert && access(ctl->cacert, R_OK) != 0)
                return ctl_usage(ctl, "--cacert: cannot read \"%s\": %s", ctl->cacert,
                                 strerror(errno));
        ctl->insecure = args_has(a, "insecure");
        ctl->timeout = CTL_DEFAULT_TIMEOUT;
        if (args_long(ctl, a, "timeout", 0, 86400 * 7, &ctl->timeout) != 0)
                return -1;
        if (ctl->insecure)
                ctl_warn("--insecure: the server's TLS certificate is not verified; anyone on "
                         "the path can read and change this traffic, token included");
        ctl->err_tty = isatty(STDERR_FILENO);
        return 0;
}

void ctl_fini(struct ctl *ctl)
{
        net_free(ctl->net);
        ctl->net = NULL;
        free(ctl->url);
        ctl->url = NULL;
}

int ctl_read_file(struct ctl *ctl, const char *path, size_t max, char **out, size_t *len)
{
        bool is_stdin = strcmp(path, "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(path, "rb");
        char *data = NULL;
        size_t n = 0, cap = 0;
        *out = NULL;
        if (!f)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot open %s: %s", path, strerror(errno));
        for (;;) {
                if (cap - n < 4096) {
                        cap = cap ? cap * 2 : 8192;
                        char *d = realloc(data, cap + 1);
                        if (!d) {
                                ctl_oom(ctl);
                                goto fail;
                        }
                        data = d;
                }
                size_t got = fread(data + n, 1, cap - n, f);
                n += got;
                if (n > max) {
                        ctl_fail(ctl, CTL_EXIT_LOCAL, "%s is larger than %zu bytes",
                                 is_stdin ? "standard input" : path, max);
                        goto fail;
                }
                if (got == 0)
                        break;
        }
        if (ferror(f)) {
                ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot read %s: %s",
                         is_stdin ? "standard input" : path, strerror(errno));
                goto fail;
        }
        if (!is_stdin)
                fclose(f);
        data[n] = '\0';
        *out = data;
        *len = n;
        return 0;
fail:
        if (!is_stdin)
                fclose(f);
        free(data);
        return -1;
}

int ctl_print_json(struct ctl *ctl, const json_t *v)
{
        if (json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 ||
            fputc('\n', stdout) == EOF)
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write standard output: %s",
                                strerror(errno));
        return 0;
}

int ctl_print_table(struct ctl *ctl, const struct table *t)
{
        return table_print(t, stdout) == 0 ? 0 : ctl_oom(ctl);
}

int ctl_print_raw(struct ctl *ctl, const char *data, size_t len)
{
        if ((len > 0 && fwrite(data, 1, len, stdout) != len) ||
            ((len == 0 || data[len - 1] != '\n') && fputc('\n', stdout) == EOF))
                return ctl_fail(ctl, CTL_EXIT_LOCAL, "cannot write standard output: %s",
                                strerror(errno));
        return 0;
}
