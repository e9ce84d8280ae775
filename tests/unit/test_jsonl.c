/* test_jsonl.c - record framing of JSON Lines and JSON arrays, fed in pieces. */
#include "jsonl.h"
#include "t.h"

/* Feeds `text` in chunks of `step` bytes and collects the records as "n:record|" pairs. */
static int split(const char *text, size_t step, size_t max, char *out, size_t outlen)
{
        struct jsonl j;
        jsonl_init(&j, max);
        char buf[4096];
        size_t have = 0, fed = 0, total = strlen(text);
        out[0] = '\0';
        for (;;) {
                bool eof = fed == total;
                size_t start, len, used;
                enum jsonl_status st = jsonl_next(&j, buf, have, eof, &start, &len, &used);
                if (st == JSONL_RECORD)
                        snprintf(out + strlen(out), outlen - strlen(out), "%lu:%.*s|", j.number,
                                 (int)len, buf + start);
                memmove(buf, buf + used, have - used);
                have -= used;
                if (st == JSONL_ERROR)
                        return -1;
                if (st == JSONL_END)
                        return 0;
                if (st == JSONL_MORE) {
                        if (eof)
                                return 0;
                        size_t n = MIN(step, total - fed);
                        memcpy(buf + have, text + fed, n);
                        have += n;
                        fed += n;
                }
        }
}

static void test_lines(void)
{
        char out[512];
        for (size_t step = 1; step <= 40; step += 3) {
                CHECK_INT(
                    split("{\"a\":1}\n\n  {\"b\":2}  \r\n{\"c\":3}", step, 100, out, sizeof(out)),
                    0);
                CHECK_STR(out, "1:{\"a\":1}|3:{\"b\":2}|4:{\"c\":3}|");
        }
        CHECK_INT(split("", 5, 100, out, sizeof(out)), 0);
        CHECK_STR(out, "");
        CHECK_INT(split("\n\n\n", 5, 100, out, sizeof(out)), 0);
        CHECK_STR(out, "");
        /* a line in a "[...]"-looking file that starts otherwise stays a line */
        CHECK_INT(split("{\"x\":\"[\"}\n", 2, 100, out, sizeof(out)), 0);
        CHECK_STR(out, "1:{\"x\":\"[\"}|");
}

static void test_line_limit(void)
{
        char out[512];
        CHECK_INT(split("{\"a\":1}\n{\"b\":\"0123456789012345678901234567890\"}\n", 4, 20, out,
                        sizeof(out)),
                  -1);
        CHECK_STR(out, "1:{\"a\":1}|");
        /* a long line without a newline is caught before it is all buffered */
        CHECK_INT(
            split("{\"b\":\"0123456789012345678901234567890123456789\"", 4, 20, out, sizeof(out)),
            -1);
}

static void test_array(void)
{
        char out[512];
        for (size_t step = 1; step <= 30; step += 2) {
                CHECK_INT(split(" [ {\"a\":\"x,]}\\\"\"}, {\"b\":[1,{\"c\":2}]} ,3 ]\n", step, 100,
                                out, sizeof(out)),
                          0);
                CHECK_STR(out, "1:{\"a\":\"x,]}\\\"\"}|2:{\"b\":[1,{\"c\":2}]}|3:3|");
        }
        CHECK_INT(split("[]", 1, 100, out, sizeof(out)), 0);
        CHECK_STR(out, "");
}

static void test_array_errors(void)
{
        char out[512];
        CHECK_INT(split("[{\"a\":1},]", 3, 100, out, sizeof(out)), -1);
        CHECK_INT(split("[{\"a\":1},,{}]", 3, 100, out, sizeof(out)), -1);
        /* a missing comma makes one record that the JSON parser then rejects */
        CHECK_INT(split("[{\"a\":1} {\"b\":1}]", 3, 100, out, sizeof(out)), 0);
        CHECK_STR(out, "1:{\"a\":1} {\"b\":1}|");
        CHECK_INT(split("[{\"a\":1}", 3, 100, out, sizeof(out)), -1);
        CHECK_INT(split("[{\"a\":1}] x", 3, 100, out, sizeof(out)), -1);
        CHECK_INT(split("[{\"a\":\"0123456789012345678901234567890\"}]", 3, 20, out, sizeof(out)),
                  -1);
        /* a string element over the limit is refused however it arrives (it passed when whole) */
        for (size_t step = 1; step <= 64; step += 7)
                CHECK_INT(
                    split("[\"0123456789012345678901234567890\", 1]", step, 20, out, sizeof(out)),
                    -1);
        /* exactly the limit passes, one byte more does not */
        CHECK_INT(split("[\"012345678901234567\"]", 100, 20, out, sizeof(out)), 0);
        CHECK_INT(split("[\"0123456789012345678\"]", 100, 20, out, sizeof(out)), -1);
}

int main(void)
{
        RUN(lines);
        RUN(line_limit);
        RUN(array);
        RUN(array_errors);
        T_DONE();
}
