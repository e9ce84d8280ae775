/* test_jsonv.c - field validation of JSON bodies and its messages. */
#include "jsonv.h"
#include "t.h"

static json_t *parse(const char *s)
{
        return json_loads(s, JSON_REJECT_DUPLICATES, NULL);
}

static void test_fields(void)
{
        json_t *o =
            parse("{\"name\":\"ann\",\"n\":3,\"ok\":true,\"x\":0.5,\"tags\":[\"a\",\"b_1\"]}");
        struct jv v = JV_INIT(o);
        long long n = 0;
        bool ok = false;
        double x = 0;
        jv_keys(&v, (const char *const[]){ "name", "n", "ok", "x", "tags", NULL });
        CHECK_STR(jv_string(&v, "name", JV_REQUIRED, 1, 10), "ann");
        CHECK(jv_int(&v, "n", JV_REQUIRED, 0, 5, &n));
        CHECK_INT(n, 3);
        CHECK(jv_bool(&v, "ok", JV_REQUIRED, &ok));
        CHECK(ok);
        CHECK(jv_number(&v, "x", JV_REQUIRED, 0, 1, &x));
        CHECK_NEAR(x, 0.5, 0);
        CHECK(jv_string_array(&v, "tags", JV_REQUIRED, 5, true, 0) != NULL);
        CHECK(jv_string(&v, "absent", JV_OPTIONAL, 0, 10) == NULL);
        CHECK(!v.failed);
        json_decref(o);
}

static void expect(const char *body, void (*read)(struct jv *), const char *field,
                   const char *needle)
{
        json_t *o = parse(body);
        struct jv v = JV_INIT(o);
        read(&v);
        CHECK(v.failed);
        CHECK_STR(v.field, field);
        if (!strstr(v.message, needle)) {
                t_failures++;
                fprintf(stderr, "%s: message \"%s\" lacks \"%s\"\n", body, v.message, needle);
        }
        json_decref(o);
}

static void read_name(struct jv *v)
{
        jv_keys(v, (const char *const[]){ "name", NULL });
        jv_string(v, "name", JV_REQUIRED, 2, 5);
}

static void read_n(struct jv *v)
{
        long long n;
        jv_int(v, "n", JV_REQUIRED, 1, 10, &n);
}

static void read_tags(struct jv *v)
{
        jv_string_array(v, "tags", JV_REQUIRED, 3, true, 0);
}

static void read_choice(struct jv *v)
{
        jv_enum(v, "c", JV_REQUIRED, (const char *const[]){ "a", "b", NULL });
}

static void test_failures(void)
{
        expect("{}", read_name, "name", "required");
        expect("{\"name\":1}", read_name, "name", "must be a string, not an integer");
        expect("{\"name\":\"x\"}", read_name, "name", "at least 2 characters");
        expect("{\"name\":\"xxxxxx\"}", read_name, "name", "longer than 5");
        expect("{\"name\":\"xx\",\"nme\":1}", read_name, "nme", "unknown field");
        expect("{\"n\":1.5}", read_n, "n", "must be an integer");
        expect("{\"n\":11}", read_n, "n", "between 1 and 10");
        expect("{\"n\":\"3\"}", read_n, "n", "not a string");
        expect("{\"tags\":\"a\"}", read_tags, "tags", "array of strings");
        expect("{\"tags\":[\"a\",\"a\"]}", read_tags, "tags", "twice");
        expect("{\"tags\":[\"A\"]}", read_tags, "tags", "not a valid name");
        expect("{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", read_tags, "tags", "more than 3");
        expect("{\"c\":\"z\"}", read_choice, "c", "one of: a, b");
}

static void test_timestamps(void)
{
        CHECK(jv_is_timestamp("2024-05-01T12:00:00Z", false));
        CHECK(jv_is_timestamp("2024-05-01t12:00:00.123456z", false));
        CHECK(jv_is_timestamp("2024-05-01 12:00:00+08:00", false));
        CHECK(jv_is_timestamp("2024-05-01T23:59:60-05:30", false));
        CHECK(jv_is_timestamp("2024-05-01", true));
        CHECK(!jv_is_timestamp("2024-05-01", false));
        CHECK(!jv_is_timestamp("2024-13-01T00:00:00Z", false));
        CHECK(!jv_is_timestamp("2024-05-01T24:00:00Z", false));
        CHECK(!jv_is_timestamp("2024-05-01T12:00:00", false)); /* an offset is required */
        CHECK(!jv_is_timestamp("2024-05-01T12:00:00.Z", false));
        CHECK(!jv_is_timestamp("2024-05-01T12:00:00+0800", false));
        CHECK(!jv_is_timestamp("yesterday", true));
        CHECK(!jv_is_timestamp("", true));
        /* days that do not exist are refused, not rolled over into the next month */
        CHECK(!jv_is_timestamp("2024-02-30", true));
        CHECK(!jv_is_timestamp("2024-02-30T00:00:00Z", false));
        CHECK(!jv_is_timestamp("2023-02-29", true));
        CHECK(!jv_is_timestamp("2100-02-29", true));
        CHECK(!jv_is_timestamp("2024-04-31", true));
        CHECK(!jv_is_timestamp("2024-06-00", true));
        CHECK(jv_is_timestamp("2024-02-29", true));
        CHECK(jv_is_timestamp("2000-02-29", true));
        CHECK(jv_is_timestamp("2024-12-31", true));
        CHECK(jv_is_timestamp("2024-04-30", true));
        int64_t us = 0;
        CHECK(jv_parse_timestamp("1970-01-02T00:00:01.5Z", false, &us));
        CHECK_INT(us, 86401500000LL);
        CHECK(jv_parse_timestamp("2024-05-01T12:00:00+02:00", false, &us));
        CHECK_INT(us, 1714557600000000LL); /* 10:00 UTC */
        CHECK(jv_parse_timestamp("2024-05-01", true, &us));
        CHECK_INT(us, 1714521600000000LL);
        CHECK(jv_parse_timestamp("2024-05-01T00:00:00.1234567-00:30", false, &us));
        CHECK_INT(us, 1714523400123456LL);
}

int main(void)
{
        RUN(timestamps);
        RUN(fields);
        RUN(failures);
        T_DONE();
}
