/* test_chunked.c - the chunked transfer coding: strict sizes, CRLF, extensions, trailers. */
#include "chunked.h"
#include "t.h"

/*
 * Decodes in[] whole the way http.c does (framing in windows of CHUNKED_LINE_MAX + 2 bytes,
 * data moved by count), `step` bytes made available at a time. Returns the final status and
 * the data in out.
 */
static enum chunked_status decode(const char *in, size_t len, size_t step, char *out, size_t *olen,
                                  const char **error)
{
        struct chunked c;
        chunked_init(&c);
        size_t have = 0, pos = 0; /* bytes made available; bytes consumed */
        *olen = 0;
        for (;;) {
                size_t avail = have - pos;
                if (c.left > 0 && avail > 0) {
                        size_t n = avail < c.left ? avail : (size_t)c.left;
                        memcpy(out + *olen, in + pos, n);
                        *olen += n;
                        pos += n;
                        chunked_took(&c, n);
                        continue;
                }
                enum chunked_status st = CHUNKED_MORE;
                size_t used = 0;
                if (c.left == 0) {
                        size_t window = avail < CHUNKED_LINE_MAX + 2 ? avail : CHUNKED_LINE_MAX + 2;
                        st = chunked_frame(&c, in + pos, window, &used);
                        pos += used;
                }
                if (st == CHUNKED_DONE || st == CHUNKED_ERROR) {
                        *error = c.error;
                        return st;
                }
                if (st == CHUNKED_DATA || (st == CHUNKED_MORE && used > 0))
                        continue;
                if (have == len)
                        return CHUNKED_MORE; /* the input ended inside the body */
                have = have + step < len ? have + step : len;
        }
}

static void expect_ok(const char *in, const char *data)
{
        char out[256];
        size_t olen;
        const char *err = NULL;
        for (size_t step = 1; step <= strlen(in); step += step < 4 ? 1 : 7) {
                enum chunked_status st = decode(in, strlen(in), step, out, &olen, &err);
                CHECK_INT(st, CHUNKED_DONE);
                out[olen] = '\0';
                CHECK_STR(out, data);
                if (st != CHUNKED_DONE)
                        fprintf(stderr, "  input %s step %zu: %s\n", in, step, err ? err : "more");
        }
}

static void expect_bad(const char *in)
{
        char out[256];
        size_t olen;
        const char *err = NULL;
        for (size_t step = 1; step <= strlen(in); step += 3) {
                enum chunked_status st = decode(in, strlen(in), step, out, &olen, &err);
                CHECK_INT(st, CHUNKED_ERROR);
                CHECK(err != NULL);
                if (st != CHUNKED_ERROR)
                        fprintf(stderr, "  accepted: %s (step %zu)\n", in, step);
        }
}

static void test_valid(void)
{
        expect_ok("0\r\n\r\n", "");
        expect_ok("5\r\nhello\r\n0\r\n\r\n", "hello");
        expect_ok("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
        expect_ok("A\r\n0123456789\r\n0\r\n\r\n", "0123456789");
        expect_ok("a\r\n0123456789\r\n0000\r\n\r\n", "0123456789");
        expect_ok("000003\r\nabc\r\n0\r\n\r\n", "abc"); /* leading zeros are hex digits too */
        expect_ok("3;name=value\r\nabc\r\n0;last\r\n\r\n", "abc");
        expect_ok("3 ;ext\r\nabc\r\n0\r\n\r\n", "abc"); /* BWS before ';' */
        expect_ok("3\r\nabc\r\n0\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n", "abc");
        expect_ok("3\r\na\r\n\r\n0\r\n\r\n", "a\r\n"); /* data may hold CRLF */
}

static void test_invalid(void)
{
        expect_bad("-1\r\n\r\n"); /* strtoull took this and the connection hung */
        expect_bad(" +2\r\nab\r\n0\r\n\r\n");
        expect_bad("+2\r\nab\r\n0\r\n\r\n");
        expect_bad("0x2\r\nab\r\n0\r\n\r\n");
        expect_bad(" 2\r\nab\r\n0\r\n\r\n");
        expect_bad("\r\n");
        expect_bad("g\r\n");
        expect_bad("2 x\r\nab\r\n0\r\n\r\n");
        expect_bad("2\nab\r\n0\r\n\r\n"); /* bare LF */
        expect_bad("2\r\nab\n0\r\n\r\n");
        expect_bad("2\r\nabc\r\n0\r\n\r\n"); /* data longer than its size */
        expect_bad("2\r\nab\r\n0\r\n\n");
        expect_bad("2\r\nab\r\n0\r\nno colon\r\n\r\n");
        expect_bad("2\r\nab\r\n0\r\nBad Name: x\r\n\r\n");
        expect_bad("2;ext\x01\r\nab\r\n0\r\n\r\n");
        expect_bad("1000000000000000\r\n"); /* 2^60: too large */
        expect_bad("ffffffffffffffffff\r\n");
}

static void test_limits(void)
{
        char big[CHUNKED_LINE_MAX + 64];
        memset(big, '0', sizeof(big));
        memcpy(big + sizeof(big) - 8, "1\r\nx\r\n", 7);
        big[sizeof(big) - 1] = '\0';
        expect_bad(big); /* a size line longer than the limit, even of zeros */
        /* the trailer section is bounded as a whole */
        static char trailers[CHUNKED_TRAILER_MAX + 200];
        strcpy(trailers, "0\r\n");
        while (strlen(trailers) < CHUNKED_TRAILER_MAX + 50)
                strcat(trailers, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        strcat(trailers, "\r\n");
        struct chunked c;
        chunked_init(&c);
        size_t pos = 0, used;
        enum chunked_status st;
        do {
                size_t n = strlen(trailers) - pos;
                st = chunked_frame(&c, trailers + pos,
                                   n < CHUNKED_LINE_MAX + 2 ? n : CHUNKED_LINE_MAX + 2, &used);
                pos += used;
        } while (st == CHUNKED_MORE && used > 0);
        CHECK_INT(st, CHUNKED_ERROR);
        /* an incomplete body is neither done nor an error */
        char out[16];
        size_t olen;
        const char *err;
        CHECK_INT(decode("5\r\nhel", 6, 1, out, &olen, &err), CHUNKED_MORE);
        CHECK_INT(olen, 3);
}

int main(void)
{
        RUN(valid);
        RUN(invalid);
        RUN(limits);
        T_DONE();
}
