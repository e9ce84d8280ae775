/*
 * jsonv.c - field-by-field validation of JSON bodies; see jsonv.h.
 */
#include "jsonv.h"

#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void jv_fail(struct jv *v, const char *key, const char *fmt, ...)
{
        if (v->failed)
                return;
        v->failed = true;
        snprintf(v->field, sizeof(v->field), "%s", key ? key : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->message, sizeof(v->message), fmt, ap);
        va_end(ap);
}

void jv_keys(struct jv *v, const char *const *allowed)
{
        const char *key;
        json_t *val;
        if (v->failed)
                return;
        json_object_foreach(v->obj, key, val)
        {
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = strcmp(*a, key) == 0;
                if (!ok) {
                        jv_fail(v, key, "unknown field \"%s\"", key);
                        return;
                }
        }
}

bool jv_has(const struct jv *v, const char *key)
{
        return json_object_get(v->obj, key) != NULL;
}

static json_t *get(struct jv *v, const char *key, bool required)
{
        if (v->failed)
                return NULL;
        json_t *x = json_object_get(v->obj, key);
        if (!x && required)
                jv_fail(v, key, "\"%s\" is required", key);
        return x;
}

static const char *type_name(const json_t *x)
{
        switch (json_typeof(x)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "?";
}

const char *jv_string(struct jv *v, const char *key, bool required, size_t minlen, size_t maxlen)
{
        json_t *x = get(v, key, required);
        if (!x)
                return NULL;
        if (!json_is_string(x)) {
                jv_fail(v, key, "\"%s\" must be a string, not %s", key, type_name(x));
                return NULL;
        }
        size_t n = json_string_length(x), chars = 0;
        const char *sv = json_string_value(x);
        for (size_t i = 0; i < n; i++)
                chars += ((unsigned char)sv[i] & 0xC0) != 0x80; /* Unicode characters */
        if (chars < minlen || chars > maxlen) {
                if (minlen == 1 && chars == 0)
                        jv_fail(v, key, "\"%s\" must not be empty", key);
                else if (minlen > 0 && chars < minlen)
                        jv_fail(v, key, "\"%s\" must be at least %zu characters long", key, minlen);
                else
                        jv_fail(v, key, "\"%s\" must not be longer than %zu characters", key,
                                maxlen);
                return NULL;
        }
        if (strlen(json_string_value(x)) != n) {
                jv_fail(v, key, "\"%s\" must not contain NUL characters", key);
                return NULL;
        }
        return json_string_value(x);
}

const char *jv_enum(struct jv *v, const char *key, bool required, const char *const *choices)
{
        const char *s = jv_string(v, key, required, 0, 256);
        if (!s)
                return NULL;
        for (const char *const *c = choices; *c; c++)
                if (strcmp(*c, s) == 0)
                        return *c;
        char list[256] = "";
        for (const char *const *c = choices; *c; c++) {
                size_t used = strlen(list);
                snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *c);
        }
        jv_fail(v, key, "\"%s\" must be one of: %s", key, list);
        return NULL;
}

bool jv_int(struct jv *v, const char *key, bool required, long long min, long long max,
            long long *out)
{
        json_t *x = get(v, key, required);
        if (!x)
                return false;
        if (!json_is_integer(x)) {
                jv_fail(v, key, "\"%s\" must be an integer, not %s", key, type_name(x));
                return false;
        }
        long long n = json_integer_value(x);
        if (n < min || n > max) {
                jv_fail(v, key, "\"%s\" must be between %lld and %lld", key, min, max);
                return false;
        }
        *out = n;
        return true;
}

bool jv_number(struct jv *v, const char *key, bool required, double min, double max, double *out)
{
        json_t *x = get(v, key, required);
        if (!x)
                return false;
        if (!json_is_number(x)) {
                jv_fail(v, key, "\"%s\" must be a number, not %s", key, type_name(x));
                return false;
        }
        double d = json_number_value(x);
        if (!isfinite(d) || d < min || d > max) {
                jv_fail(v, key, "\"%s\" must be between %g and %g", key, min, max);
                return false;
        }
        *out = d;
        return true;
}

bool jv_bool(struct jv *v, const char *key, bool required, bool *out)
{
        json_t *x = get(v, key, required);
        if (!x)
                return false;
        if (!json_is_boolean(x)) {
                jv_fail(v, key, "\"%s\" must be true or false, not %s", key, type_name(x));
                return false;
        }
        *out = json_is_true(x);
        return true;
}

bool jv_is_label(const char *s)
{
        size_t n = strlen(s);
        if (n < 1 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
                        return false;
        return true;
}

/* Reads n digits into *out; false when they are not all digits. */
static bool digits(const char *s, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return true;
}

static int days_in_month(int y, int mo)
{
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return mo == 2 && leap ? 29 : days[mo - 1];
}

bool jv_parse_timestamp(const char *s, bool date_ok, int64_t *us)
{
        int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
        int64_t micros = 0;
        if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
            !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || y < 1 || d < 1 ||
            d > days_in_month(y, mo))
                return false; /* 2024-02-30 is no date (timegm would make it March 1st) */
        int sign = 0;
        if (s[10] == '\0') {
                if (!date_ok)
                        return false;
        } else {
                if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
                    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
                    !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 60)
                        return false;
                const char *p = s + 19;
                if (*p == '.') {
                        p++;
                        if (*p < '0' || *p > '9')
                                return false;
                        int k = 0;
                        for (; *p >= '0' && *p <= '9'; p++, k++)
                                if (k < 6) /* beyond microseconds: truncated */
                                        micros = micros * 10 + (*p - '0');
                        for (; k < 6; k++)
                                micros *= 10;
                }
                if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
                        sign = 0;
                } else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2, &oh) && p[3] == ':' &&
                           digits(p + 4, 2, &om) && p[6] == '\0' && oh <= 23 && om <= 59) {
                        sign = p[0] == '+' ? 1 : -1;
                } else {
                        return false;
                }
        }
        struct tm tm = { .tm_year = y - 1900,
                         .tm_mon = mo - 1,
                         .tm_mday = d,
                         .tm_hour = h,
                         .tm_min = mi,
                         .tm_sec = sec };
        int64_t secs = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
        *us = secs * 1000000 + micros;
        return true;
}

bool jv_is_timestamp(const char *s, bool date_ok)
{
        int64_t us;
        return jv_parse_timestamp(s, date_ok, &us);
}

json_t *jv_string_array(struct jv *v, const char *key, bool required, size_t maxitems, bool labels,
                        size_t maxlen)
{
        json_t *x = get(v, key, required);
        if (!x)
                return NULL;
        if (!json_is_array(x)) {
                jv_fail(v, key, "\"%s\" must be an array of strings, not %s", key, type_name(x));
                return NULL;
        }
        if (json_array_size(x) > maxitems) {
                jv_fail(v, key, "\"%s\" must not have more than %zu entries", key, maxitems);
                return NULL;
        }
        size_t i, j;
        json_t *e, *f;
        json_array_foreach(x, i, e)
        {
                if (!json_is_string(e)) {
                        jv_fail(v, key, "\"%s\" must be an array of strings", key);
                        return NULL;
                }
                const char *s = json_string_value(e);
                if (labels ? !jv_is_label(s)
                           : (json_string_length(e) == 0 || json_string_length(e) > maxlen ||
                              strlen(s) != json_string_length(e))) {
                        jv_fail(v, key,
                                labels ? "\"%s\": \"%s\" is not a valid name (lower-case letters, "
                                         "digits and _, starting with a letter, up to 32)"
                                       : "\"%s\": \"%s\" is empty or too long",
                                key, s);
                        return NULL;
                }
                json_array_foreach(x, j, f)
                {
                        if (j < i && strcmp(json_string_value(f), s) == 0) {
                                jv_fail(v, key, "\"%s\" lists \"%s\" twice", key, s);
                                return NULL;
                        }
                }
        }
        return x;
}

void jv_reply(struct req *r, const struct jv *v)
{
        /* A long key is cut to fit field[], maybe inside a character. */
        char field[sizeof(v->field)];
        utf8_repair(field, sizeof(field), v->field);
        json_t *details = field[0] ? json_pack("{s:s}", "field", field) : NULL;
        req_reply_error(r, 422, "validation_failed", details, "%s", v->message);
}
