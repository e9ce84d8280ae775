/* test_httpparse.c - request heads, percent-decoding, queries, cookies, media types. */
#include "httpparse.h"
#include "t.h"

static int parse(const char *text, struct http_head *h, char *buf, const char **reason)
{
        size_t n = strlen(text);
        memcpy(buf, text, n + 1);
        return httpparse_head(buf, n, h, reason);
}

static void test_request_line(void)
{
        char buf[1024];
        struct http_head h;
        const char *why;
        REQUIRE(parse("GET /api/v1/projects?limit=5&x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &h, buf,
                      &why) == 0);
        CHECK_STR(h.method, "GET");
        CHECK_STR(h.path, "/api/v1/projects");
        CHECK_STR(h.query, "limit=5&x=1");
        CHECK_INT(h.minor, 1);
        CHECK_INT(h.nheaders, 1);
        CHECK_STR(httpparse_header(&h, "host"), "a");
        CHECK(httpparse_header(&h, "missing") == NULL);

        REQUIRE(parse("POST / HTTP/1.0\n\n", &h, buf, &why) == 0); /* bare LF accepted */
        CHECK_INT(h.minor, 0);
        CHECK_STR(h.query, "");
        /* empty lines before the request line are skipped */
        REQUIRE(parse("\r\nGET /x HTTP/1.1\r\n\r\n", &h, buf, &why) == 0);
        CHECK_STR(h.path, "/x");
}

static void test_malformed(void)
{
        char buf[1024];
        struct http_head h;
        const char *why = NULL;
        const char *bad[] = {
                "GET\r\n\r\n",
                "GET /x\r\n\r\n",
                "GET /x HTTP/2.0\r\n\r\n",
                "GET x HTTP/1.1\r\n\r\n",
                "G(T /x HTTP/1.1\r\n\r\n",
                "GET /x HTTP/1.1\r\nNo colon here\r\n\r\n",
                "GET /x HTTP/1.1\r\n: empty name\r\n\r\n",
                "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
                "GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
                "GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n",
                "GET /a b HTTP/1.1\r\n\r\n",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why = NULL;
                int rc = parse(bad[i], &h, buf, &why);
                CHECK(rc == -1);
                CHECK(why != NULL);
                if (rc != -1)
                        fprintf(stderr, "  accepted: %s\n", bad[i]);
        }
}

static void test_header_values(void)
{
        char buf[1024];
        struct http_head h;
        const char *why;
        REQUIRE(
            parse("GET / HTTP/1.1\r\nX-A:   spaced  \t\r\nx-b:\r\nCookie: a=1; b=\"two\"\r\n\r\n",
                  &h, buf, &why) == 0);
        CHECK_STR(httpparse_header(&h, "X-A"), "spaced");
        CHECK_STR(httpparse_header(&h, "X-B"), "");
        char out[16];
        const char *c = httpparse_header(&h, "cookie");
        CHECK_INT(httpparse_cookie(c, "a", out, sizeof(out)), 1);
        CHECK_STR(out, "1");
        CHECK_INT(httpparse_cookie(c, "b", out, sizeof(out)), 1);
        CHECK_STR(out, "two");
        CHECK_INT(httpparse_cookie(c, "c", out, sizeof(out)), 0);
        CHECK_INT(httpparse_cookie("a=0123456789abcdefghij", "a", out, sizeof(out)), -1);
}

static void test_too_many_headers(void)
{
        char buf[8192];
        char text[8192] = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < HTTPPARSE_MAX_HEADERS + 1; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text), "H%d: v\r\n", i);
        strcat(text, "\r\n");
        struct http_head h;
        const char *why;
        CHECK(parse(text, &h, buf, &why) == -1);
}

static void test_decode(void)
{
        char out[64];
        CHECK_INT(httpparse_decode("a%20b+c", 7, out, false), 5);
        CHECK_STR(out, "a b+c");
        CHECK_INT(httpparse_decode("a%20b+c", 7, out, true), 5);
        CHECK_STR(out, "a b c");
        CHECK_INT(httpparse_decode("%e4%B8%AD", 9, out, false), 3);
        CHECK_STR(out, "\xe4\xb8\xad");
        CHECK_INT(httpparse_decode("%", 1, out, false), -1);
        CHECK_INT(httpparse_decode("%2", 2, out, false), -1);
        CHECK_INT(httpparse_decode("%zz", 3, out, false), -1);
        CHECK_INT(httpparse_decode("a%00b", 5, out, false), -1);
        CHECK_STR(out, "a"); /* still a string */
        CHECK_INT(httpparse_decode("%", 1, out, false), -1);
        CHECK_STR(out, "");
}

static void test_query(void)
{
        char out[32];
        const char *q = "a=1&limit=50&name=J%C3%B6rg+M&flag&empty=";
        CHECK_INT(httpparse_query(q, "limit", out, sizeof(out)), 1);
        CHECK_STR(out, "50");
        CHECK_INT(httpparse_query(q, "name", out, sizeof(out)), 1);
        CHECK_STR(out, "J\xc3\xb6rg M");
        CHECK_INT(httpparse_query(q, "flag", out, sizeof(out)), 1);
        CHECK_STR(out, "");
        CHECK_INT(httpparse_query(q, "empty", out, sizeof(out)), 1);
        CHECK_INT(httpparse_query(q, "lim", out, sizeof(out)), 0);
        CHECK_INT(httpparse_query(q, "missing", out, sizeof(out)), 0);
        CHECK_INT(httpparse_query("x=%zz", "x", out, sizeof(out)), -1);
        CHECK_INT(httpparse_query("x=0123456789012345678901234567890123", "x", out, sizeof(out)),
                  -1);
        CHECK_INT(httpparse_query("", "x", out, sizeof(out)), 0);
        CHECK_INT(httpparse_query("language=%c3", "language", out, sizeof(out)), -1);
        CHECK_INT(httpparse_query("anchor=%ff", "anchor", out, sizeof(out)), -1);
}

static void test_query_check(void)
{
        char bad[10];
        CHECK_INT(httpparse_query_check("", bad, sizeof(bad)), 0);
        CHECK_INT(httpparse_query_check("a=1&name=J%C3%B6rg+M&flag&=x&&", bad, sizeof(bad)), 0);
        CHECK_INT(httpparse_query_check("a=1&anchor=%ff", bad, sizeof(bad)), HTTPPARSE_NOT_UTF8);
        CHECK_STR(bad, "anchor");
        CHECK_INT(httpparse_query_check("language=%c3", bad, sizeof(bad)), HTTPPARSE_NOT_UTF8);
        CHECK_STR(bad, "language");
        CHECK_INT(httpparse_query_check("language=\xc3", bad, sizeof(bad)), HTTPPARSE_NOT_UTF8);
        CHECK_INT(httpparse_query_check("a=%c3%a9", bad, sizeof(bad)), 0);
        CHECK_INT(httpparse_query_check("a=%c3&b=%a9", bad, sizeof(bad)), HTTPPARSE_NOT_UTF8);
        CHECK_STR(bad, "a");
        CHECK_INT(httpparse_query_check("%ff=1", bad, sizeof(bad)), HTTPPARSE_NOT_UTF8);
        CHECK_INT(httpparse_query_check("x=%zz", bad, sizeof(bad)), HTTPPARSE_MALFORMED);
        CHECK_STR(bad, "x");
        CHECK_INT(httpparse_query_check("x=%4", bad, sizeof(bad)), HTTPPARSE_MALFORMED);
        CHECK_INT(httpparse_query_check("x=%00", bad, sizeof(bad)), HTTPPARSE_MALFORMED);
        CHECK_INT(httpparse_query_check("x=%41", bad, sizeof(bad)), 0);
        /* a long name is cut to fit */
        CHECK_INT(httpparse_query_check("a_very_long_name=%ff", bad, sizeof(bad)),
                  HTTPPARSE_NOT_UTF8);
        CHECK_STR(bad, "a_very_lo");
}

static void test_media_type(void)
{
        CHECK(httpparse_media_type("application/json", "application/json"));
        CHECK(httpparse_media_type("Application/JSON; charset=utf-8", "application/json"));
        CHECK(!httpparse_media_type("application/jsonx", "application/json"));
        CHECK(!httpparse_media_type("text/plain", "application/json"));
        CHECK(!httpparse_media_type(NULL, "application/json"));
}

static int framing(const char *text, int64_t *cl, bool *chunked, const char **why)
{
        static char buf[2048];
        struct http_head h;
        size_t n = strlen(text);
        memcpy(buf, text, n + 1);
        if (httpparse_head(buf, n, &h, why) != 0)
                return -2;
        return httpparse_framing(&h, cl, chunked, why);
}

static void test_framing(void)
{
        int64_t cl;
        bool chunked;
        const char *why;
        CHECK_INT(framing("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &cl, &chunked, &why), 0);
        CHECK_INT(cl, -1);
        CHECK(!chunked);
        CHECK_INT(framing("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", &cl, &chunked,
                          &why),
                  0);
        CHECK_INT(cl, 12);
        CHECK_INT(framing("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: "
                          "3\r\n\r\n",
                          &cl, &chunked, &why),
                  0);
        CHECK_INT(framing("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &cl,
                          &chunked, &why),
                  0);
        CHECK(chunked);
        CHECK_INT(framing("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n", &cl,
                          &chunked, &why),
                  0);
        CHECK_INT(framing("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked,\r\n\r\n", &cl,
                          &chunked, &why),
                  0); /* empty list elements are allowed */
        CHECK_INT(framing("GET / HTTP/1.0\r\n\r\n", &cl, &chunked, &why), 0); /* no Host needed */
        CHECK_INT(framing("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", &cl, &chunked, &why), 0);
        CHECK_INT(framing("GET / HTTP/1.1\r\nHost: \r\n\r\n", &cl, &chunked, &why), 0);

        const char *bad[] = {
                "GET / HTTP/1.1\r\n\r\n", /* no Host */
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: "
                "chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                /* the second header counts: only reading the first let "gzip" through */
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                "gzip\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                "chunked\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-chunked\r\n\r\n",
                "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        };
        for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
                why = NULL;
                int rc = framing(bad[i], &cl, &chunked, &why);
                CHECK_INT(rc, -1);
                CHECK(why != NULL);
                if (rc != -1)
                        fprintf(stderr, "  accepted: %s\n", bad[i]);
        }
}

static void test_head_endings(void)
{
        char buf[256];
        struct http_head h;
        const char *why;
        /* a head whose last line ends in LF and whose blank line is CRLF */
        REQUIRE(parse("GET /healthz HTTP/1.1\nHost: x\n\r\n", &h, buf, &why) == 0);
        CHECK_STR(httpparse_header(&h, "Host"), "x");
        CHECK_INT(h.nheaders, 1);
        REQUIRE(parse("GET /x HTTP/1.1\r\nHost: x\n\n", &h, buf, &why) == 0);
        /* NUL bytes and bare CRs are not allowed anywhere in a head */
        static const char nul_target[] = "GET /a\0b HTTP/1.1\r\n\r\n";
        static const char nul_value[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
        memcpy(buf, nul_target, sizeof(nul_target));
        CHECK_INT(httpparse_head(buf, sizeof(nul_target) - 1, &h, &why), -1);
        memcpy(buf, nul_value, sizeof(nul_value));
        CHECK_INT(httpparse_head(buf, sizeof(nul_value) - 1, &h, &why), -1);
        CHECK_INT(parse("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", &h, buf, &why), -1);
        CHECK_INT(parse("GET / HTTP/1.1\rHost: x\r\n\r\n", &h, buf, &why), -1);
}

int main(void)
{
        RUN(request_line);
        RUN(malformed);
        RUN(header_values);
        RUN(too_many_headers);
        RUN(decode);
        RUN(query);
        RUN(query_check);
        RUN(framing);
        RUN(head_endings);
        RUN(media_type);
        T_DONE();
}
