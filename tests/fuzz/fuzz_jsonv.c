/*
 * fuzz_jsonv.c - the JSON body validators (jsonv.c) on whatever object the input parses to (as
 * the router parses bodies: duplicate keys refused), and the RFC 3339 parser on the raw input.
 * Properties: a getter returns what it promised (lengths, bounds, labels) or fails with a field
 * and a message; messages repaired by utf8_repair are UTF-8; an accepted timestamp names a day
 * that exists and reads back to the same calendar fields.
 */
#include "fuzz.h"
#include "jsonv.h"
#include "utf8.h"

#include <math.h>
#include <string.h>
#include <time.h>

static void check_failure(const struct jv *v)
{
        if (!v->failed)
                return;
        FUZZ_CHECK(v->message[0] != '\0');
        char fixed[3 * sizeof(v->message) + 4];
        utf8_repair(fixed, sizeof(fixed), v->message);
        FUZZ_CHECK(utf8_valid(fixed, strlen(fixed)));
}

static void validators(json_t *o)
{
        static const char *const keys[] = { "slug",  "title", "overlap",    "raters",
                                            "flags", "gold",  "created_at", NULL };
        struct jv v = JV_INIT(o);
        jv_keys(&v, keys);
        check_failure(&v);
        const char *key;
        json_t *val;
        json_object_foreach(o, key, val)
        {
                struct jv w = JV_INIT(o);
                const char *s = jv_string(&w, key, JV_REQUIRED, 1, 64);
                if (s) { /* limits count Unicode characters, not bytes */
                        size_t chars = 0;
                        for (const char *c = s; *c; c++)
                                chars += ((unsigned char)*c & 0xC0) != 0x80;
                        FUZZ_CHECK(chars >= 1 && chars <= 64);
                }
                check_failure(&w);
                w = (struct jv)JV_INIT(o);
                long long n = 0;
                if (jv_int(&w, key, JV_OPTIONAL, -5, 5, &n))
                        FUZZ_CHECK(n >= -5 && n <= 5);
                check_failure(&w);
                w = (struct jv)JV_INIT(o);
                double d = 0;
                if (jv_number(&w, key, JV_OPTIONAL, 0, 1, &d))
                        FUZZ_CHECK(d >= 0 && d <= 1);
                check_failure(&w);
                w = (struct jv)JV_INIT(o);
                bool b;
                jv_bool(&w, key, JV_OPTIONAL, &b);
                check_failure(&w);
                w = (struct jv)JV_INIT(o);
                json_t *labels = jv_string_array(&w, key, JV_OPTIONAL, 8, true, 0);
                if (labels)
                        for (size_t i = 0; i < json_array_size(labels); i++)
                                FUZZ_CHECK(
                                    jv_is_label(json_string_value(json_array_get(labels, i))));
                check_failure(&w);
                w = (struct jv)JV_INIT(o);
                const char *e =
                    jv_enum(&w, key, JV_OPTIONAL, (const char *const[]){ "a", "b", "tie", NULL });
                if (e)
                        FUZZ_CHECK(!strcmp(e, "a") || !strcmp(e, "b") || !strcmp(e, "tie"));
                check_failure(&w);
                if (json_is_string(val))
                        (void)jv_is_timestamp(json_string_value(val), true);
        }
}

static bool leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void timestamps(const char *s)
{
        int64_t us;
        if (!jv_parse_timestamp(s, true, &us))
                return;
        int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        FUZZ_CHECK(mo >= 1 && mo <= 12 && d >= 1);
        FUZZ_CHECK(d <= days[mo - 1] + (mo == 2 && leap(y)));
        size_t n = strlen(s);
        /* A plain date, or a UTC time without a leap second, reads back field by field. */
        bool utc = n == 10 || ((s[n - 1] == 'Z' || s[n - 1] == 'z') && !(s[17] == '6'));
        if (!utc)
                return;
        time_t t = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
        struct tm tm;
        FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
        FUZZ_CHECK(tm.tm_year + 1900 == y && tm.tm_mon + 1 == mo && tm.tm_mday == d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_error_t err;
        json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
        if (o && json_is_object(o))
                validators(o);
        json_decref(o);
        char *s = fuzz_string(data, size);
        timestamps(s);
        free(s);
        return 0;
}
