/* test_utf8.c - UTF-8 validation and repair, and the log's quoting of bytes that are not UTF-8. */
#include "log.h"
#include "t.h"
#include "utf8.h"

static bool valid(const char *s)
{
        return utf8_valid(s, strlen(s));
}

static void test_valid(void)
{
        CHECK(valid(""));
        CHECK(valid("plain ascii"));
        CHECK(valid("caf\xc3\xa9"));              /* U+00E9 */
        CHECK(valid("\xe4\xb8\xad\xe6\x96\x87")); /* two CJK characters */
        CHECK(valid("\xf0\x9f\x98\x80"));         /* U+1F600, four bytes */
        CHECK(valid("\xef\xbf\xbd"));             /* U+FFFD */
        CHECK(valid("\xf4\x8f\xbf\xbf"));         /* U+10FFFF, the last code point */
        CHECK(utf8_valid("a\0b", 3));             /* NUL is a character */
        CHECK(!valid("\xff"));
        CHECK(!valid("\xc3")); /* cut short */
        CHECK(!valid("\xc3x"));
        CHECK(!valid("\x80"));                 /* a continuation byte alone */
        CHECK(!valid("\xc0\xaf"));             /* overlong '/' */
        CHECK(!valid("\xe0\x80\xaf"));         /* overlong '/' in three bytes */
        CHECK(!valid("\xf0\x80\x80\xaf"));     /* and in four */
        CHECK(!valid("\xed\xa0\x80"));         /* U+D800, a surrogate */
        CHECK(!valid("\xf4\x90\x80\x80"));     /* U+110000 */
        CHECK(!valid("\xf8\x88\x80\x80\x80")); /* five-byte forms do not exist */
        CHECK(!utf8_valid("\xe4\xb8\xad", 2)); /* the length bounds the look-ahead */
        CHECK_INT(utf8_seq((const unsigned char *)"\xe4\xb8\xad", 3), 3);
        CHECK_INT(utf8_seq((const unsigned char *)"\xe4\xb8\xad", 2), 0);
}

static void test_repair(void)
{
        char out[16];
        CHECK_STR(utf8_repair(out, sizeof(out), "ok"), "ok");
        CHECK_STR(utf8_repair(out, sizeof(out),
                              "a\xff"
                              "b"),
                  "a\xef\xbf\xbd"
                  "b");
        CHECK_STR(utf8_repair(out, sizeof(out), "\xc3"), "\xef\xbf\xbd");
        CHECK_STR(utf8_repair(out, sizeof(out), "caf\xc3\xa9"), "caf\xc3\xa9");
        /* cut at a character boundary, never inside one */
        CHECK_STR(utf8_repair(out, 6, "ab\xe4\xb8\xad\xe6\x96\x87"), "ab\xe4\xb8\xad");
        CHECK_STR(utf8_repair(out, 5, "ab\xe4\xb8\xad"), "ab");
        CHECK(valid(utf8_repair(out, sizeof(out), "\xff\xfe\xfd\xfc\xfb\xfa")));
}

static void test_log_quote(void)
{
        char buf[64];
        CHECK_STR(log_quote(buf, sizeof(buf), "plain"), "plain");
        CHECK_STR(log_quote(buf, sizeof(buf), "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
        CHECK_STR(log_quote(buf, sizeof(buf), "a\xff\x01"), "\"a\\xff\\x01\"");
        CHECK_STR(log_quote(buf, sizeof(buf), "a b\"c"), "\"a b\\\"c\"");
        /* never cut inside a character */
        CHECK_STR(log_quote(buf, 12, "\xe4\xb8\xad\xe4\xb8\xad\xe4\xb8\xad"),
                  "\"\xe4\xb8\xad\xe4\xb8\xad...\"");
}

int main(void)
{
        RUN(valid);
        RUN(repair);
        RUN(log_quote);
        T_DONE();
}
