/* test_qv.c - query-string validation and its messages. */
#include "qv.h"
#include "req.h"
#include "t.h"

static const char *const known[] = { "format", "since", "until", "limit", "cursor",
                                     "n",      "x",     "flag",  "q",     NULL };
static const char *const formats[] = { "jsonl", "csv", NULL };

/* A request holding only a query string: all that qv reads. */
static struct qv start(struct req *r, const char *query)
{
        *r = (struct req){ .query = query };
        struct qv q;
        qv_init(&q, r, known);
        return q;
}

static void test_values(void)
{
        struct req r;
        struct qv q = start(&r, "format=csv&since=2024-05-01&until=2024-05-01&n=-3&x=0.25&flag=true"
                                "&q=caf%C3%A9+au+lait");
        char since[40], until[40], text[32];
        int64_t since_us = 0, until_us = 0;
        long long n = 0;
        double x = 0;
        bool flag = false;
        CHECK_INT(qv_enum(&q, "format", formats, 0), 1);
        CHECK(qv_timestamp(&q, "since", since, sizeof(since), false, &since_us));
        CHECK(qv_timestamp(&q, "until", until, sizeof(until), true, &until_us));
        CHECK_INT(since_us, 1714521600LL * 1000000);
        CHECK_INT(until_us - since_us, 86400LL * 1000000); /* until a date: all of that day */
        qv_order(&q, "since", since_us, "until", until_us);
        CHECK(qv_int(&q, "n", -5, 5, &n));
        CHECK_INT(n, -3);
        CHECK(qv_number(&q, "x", 0, 1, &x));
        CHECK_NEAR(x, 0.25, 0);
        qv_bool(&q, "flag", &flag);
        CHECK(flag);
        CHECK(qv_text(&q, "q", text, sizeof(text)));
        CHECK_STR(text, "caf\xc3\xa9 au lait");
        CHECK(!q.failed);
}

static void test_absent(void)
{
        struct req r;
        struct qv q = start(&r, "since=&n=");
        char since[40] = "x", text[8] = "x";
        int64_t us = 7;
        long long n = 9;
        bool flag = true;
        r.page.limit = 0;
        r.page.after = 5;
        CHECK_INT(qv_enum(&q, "format", formats, 0), 0);
        CHECK(!qv_timestamp(&q, "since", since, sizeof(since), false, &us));
        CHECK_STR(since, ""); /* empty counts as absent */
        CHECK_INT(us, 7);
        CHECK(!qv_int(&q, "n", 0, 10, &n));
        CHECK_INT(n, 9);
        qv_bool(&q, "flag", &flag);
        CHECK(flag);
        CHECK(!qv_text(&q, "q", text, sizeof(text)));
        CHECK_STR(text, "");
        qv_page(&q);
        CHECK_INT(r.page.limit, 100);
        CHECK_INT(r.page.after, 0);
        CHECK_STR(r.page.limit_text, "100");
        CHECK_STR(r.page.after_text, "0");
        CHECK(!q.failed);
}

/* Runs one reader over `query` and checks that it failed naming `param`, saying `needle`. */
static void expect(const char *query, void (*read)(struct qv *), const char *param,
                   const char *needle)
{
        struct req r;
        struct qv q = start(&r, query);
        read(&q);
        CHECK(q.failed);
        CHECK_STR(q.param, param);
        if (!strstr(q.message, needle)) {
                fprintf(stderr, "query %s: message \"%s\" lacks \"%s\"\n", query, q.message,
                        needle);
                CHECK(!"message");
        }
}

static void read_all(struct qv *q)
{
        char buf[40];
        int64_t us = 0, us2 = 0;
        long long n = 0;
        double x = 0;
        bool b = false;
        qv_enum(q, "format", formats, 0);
        bool s = qv_timestamp(q, "since", buf, sizeof(buf), false, &us);
        bool u = qv_timestamp(q, "until", buf, sizeof(buf), true, &us2);
        if (s && u)
                qv_order(q, "since", us, "until", us2);
        qv_int(q, "n", 0, 10, &n);
        qv_number(q, "x", 0, 1, &x);
        qv_bool(q, "flag", &b);
        qv_text(q, "q", buf, 8);
        qv_page(q);
}

static void test_errors(void)
{
        expect("format=xml", read_all, "format", "format must be one of: jsonl, csv");
        expect("format=%ff", read_all, "format", "must be one of");
        expect("bogus=1", read_all, "bogus", "unknown query parameter \"bogus\" (known: format,");
        expect("since=2024-02-30", read_all, "since", "RFC 3339");
        expect("since=2024-05-03&until=2024-05-01", read_all, "since", "since is after until");
        expect("since=2024-05-01T00:00:01Z&until=2024-05-01T00:00:00Z", read_all, "since",
               "must not be later than until");
        expect("n=11", read_all, "n", "whole number from 0 to 10");
        expect("n=+3", read_all, "n", "whole number");
        expect("n=0x2", read_all, "n", "whole number");
        expect("n=%20%33", read_all, "n", "whole number");
        expect("x=nan", read_all, "x", "a number from 0 to 1");
        expect("x=1e400", read_all, "x", "a number");
        expect("flag=yes", read_all, "flag", "flag must be one of: false, true");
        expect("q=%c3", read_all, "q", "not UTF-8");
        expect("q=123456789", read_all, "q", "longer than 7 bytes");
        expect("limit=0", read_all, "limit", "whole number from 1 to 1000");
        expect("cursor=-1", read_all, "cursor", "next_cursor");
        expect("cursor=abc", read_all, "cursor", "next_cursor");
        /* the first problem is the one reported */
        expect("n=99&format=xml", read_all, "format", "format must be");
}

int main(void)
{
        RUN(values);
        RUN(absent);
        RUN(errors);
        T_DONE();
}
