/*
 * qv.c - query-string validation that names the parameter (qv.h).
 */
#include "qv.h"

#include "jsonv.h"
#include "req.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US (86400LL * 1000000)

static bool known_name(const char *const *known, const char *name, size_t len)
{
        for (const char *const *k = known; *k; k++)
                if (strlen(*k) == len && memcmp(*k, name, len) == 0)
                        return true;
        return false;
}

struct unknown {
        const char *const *known;
        char name[64];
};

static bool check_name(const char *name, size_t len, void *arg)
{
        struct unknown *u = arg;
        if (known_name(u->known, name, len))
                return true;
        snprintf(u->name, sizeof(u->name), "%.*s", (int)(len < 60 ? len : 60), name);
        return false;
}

void qv_fail(struct qv *q, const char *name, const char *fmt, ...)
{
        if (q->failed)
                return;
        q->failed = true;
        snprintf(q->param, sizeof(q->param), "%s", name);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(q->message, sizeof(q->message), fmt, ap);
        va_end(ap);
}

void qv_init(struct qv *q, struct req *r, const char *const *known)
{
        *q = (struct qv){ .req = r, .known = known };
        struct unknown u = { .known = known };
        httpparse_query_names(r->query, check_name, &u);
        if (!u.name[0])
                return;
        char list[256] = "";
        size_t used = 0;
        for (const char *const *k = known; *k && used < sizeof(list); k++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                         k == known ? "" : ", ", *k);
        if (known[0])
                qv_fail(q, u.name, "unknown query parameter \"%s\" (known: %s)", u.name, list);
        else
                qv_fail(q, u.name, "unknown query parameter \"%s\" (this endpoint takes none)",
                        u.name);
}

#define SKIP      (-1) /* an earlier parameter failed */
#define MALFORMED (-2) /* a bad escape, not UTF-8, or too long for out */

/* The value of `name` in out: 1 given, 0 absent or empty, SKIP or MALFORMED. */
static int value(struct qv *q, const char *name, char *out, size_t len)
{
        out[0] = '\0';
        if (q->failed)
                return SKIP;
        int got = req_query(q->req, name, out, len);
        if (got < 0) {
                out[0] = '\0';
                return MALFORMED;
        }
        return got == 1 && out[0] ? 1 : 0;
}

int qv_enum(struct qv *q, const char *name, const char *const *names, int absent)
{
        char buf[64];
        int got = value(q, name, buf, sizeof(buf));
        if (got == 0 || got == SKIP)
                return absent;
        for (int i = 0; got == 1 && names[i]; i++)
                if (strcmp(names[i], buf) == 0)
                        return i;
        char list[256] = "";
        size_t used = 0;
        for (int i = 0; names[i] && used < sizeof(list); i++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                         names[i]);
        qv_fail(q, name, "%s must be one of: %s", name, list);
        return absent;
}

void qv_bool(struct qv *q, const char *name, bool *out)
{
        static const char *const names[] = { "false", "true", NULL };
        int v = qv_enum(q, name, names, -1);
        if (v >= 0)
                *out = v == 1;
}

/* Decimal digits with an optional leading '-', nothing else (no blanks, '+' or hex). */
static bool parse_whole(const char *s, long long *out)
{
        const char *d = s[0] == '-' ? s + 1 : s;
        if (*d < '0' || *d > '9')
                return false;
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*end || errno)
                return false;
        *out = v;
        return true;
}

bool qv_int(struct qv *q, const char *name, long long min, long long max, long long *out)
{
        char buf[32];
        long long v = 0;
        int got = value(q, name, buf, sizeof(buf));
        if (got == 0 || got == SKIP)
                return false;
        if (got != 1 || !parse_whole(buf, &v) || v < min || v > max) {
                qv_fail(q, name, "%s must be a whole number from %lld to %lld", name, min, max);
                return false;
        }
        *out = v;
        return true;
}

bool qv_number(struct qv *q, const char *name, double min, double max, double *out)
{
        char buf[64];
        int got = value(q, name, buf, sizeof(buf));
        if (got == 0 || got == SKIP)
                return false;
        char *end = NULL;
        errno = 0;
        double v = got == 1 ? strtod(buf, &end) : NAN;
        if (got != 1 || end == buf || *end || errno || !isfinite(v) || v < min || v > max ||
            buf[0] == ' ' || buf[0] == '+') {
                qv_fail(q, name, "%s must be a number from %.15g to %.15g", name, min, max);
                return false;
        }
        *out = v;
        return true;
}

bool qv_text(struct qv *q, const char *name, char *out, size_t len)
{
        int got = value(q, name, out, len);
        if (got == MALFORMED)
                qv_fail(q, name, "%s is malformed, not UTF-8 or longer than %zu bytes", name,
                        len - 1);
        return got == 1;
}

bool qv_timestamp(struct qv *q, const char *name, char *out, size_t len, bool day_end, int64_t *us)
{
        int got = value(q, name, out, len);
        if (got == 0 || got == SKIP)
                return false;
        if (got == 1 && jv_parse_timestamp(out, true, us)) {
                if (day_end && strlen(out) == 10) /* a plain date: up to the end of that day */
                        *us += DAY_US;
                return true;
        }
        out[0] = '\0';
        qv_fail(q, name,
                "%s must be an RFC 3339 timestamp (2024-05-01T12:00:00Z) or a date (2024-05-01)",
                name);
        return false;
}

void qv_order(struct qv *q, const char *from, int64_t from_us, const char *to, int64_t to_us)
{
        if (q->failed || from_us <= to_us)
                return;
        qv_fail(q, from, "%s is after %s: %s must not be later than %s", from, to, from, to);
        snprintf(q->param2, sizeof(q->param2), "%s", to);
}

void qv_page(struct qv *q)
{
        long long v = 100;
        qv_int(q, "limit", 1, 1000, &v);
        struct req *r = q->req;
        r->page.limit = (long)v;
        r->page.after = 0;
        char buf[32];
        int got = value(q, "cursor", buf, sizeof(buf));
        if (got == 1 && (!parse_whole(buf, &v) || v < 0))
                qv_fail(q, "cursor", "cursor must be the next_cursor of an earlier page");
        else if (got == 1)
                r->page.after = v;
        else if (got != 0 && got != SKIP)
                qv_fail(q, "cursor", "cursor must be the next_cursor of an earlier page");
        snprintf(r->page.limit_text, sizeof(r->page.limit_text), "%ld", r->page.limit);
        snprintf(r->page.after_text, sizeof(r->page.after_text), "%lld", r->page.after);
}

bool qv_reply(const struct qv *q)
{
        if (!q->failed)
                return false;
        char param[sizeof(q->param)];
        utf8_repair(param, sizeof(param), q->param); /* an unknown name is echoed as sent */
        json_t *details = q->param2[0] ? json_pack("{s:s, s:[s, s]}", "parameter", param,
                                                   "parameters", param, q->param2)
                                       : json_pack("{s:s}", "parameter", param);
        req_reply_error(q->req, 400, "bad_request", details, "%s", q->message);
        return true;
}
