/*
 * fuzz_query.c - percent-decoding, query strings, cookies, media types, UTF-8 and the route
 * table's matching of raw paths. Properties: decoding never writes more than it reads and never
 * yields NUL; what the checks accept decodes to UTF-8; utf8_repair always gives UTF-8 and leaves
 * UTF-8 alone; a matched route's parameters are UTF-8.
 */
#include "fuzz.h"
#include "httpparse.h"
#include "router.h"
#include "utf8.h"

#include <string.h>

static const char *const names[] = { "limit", "cursor", "anchor", "language", "since", "a", "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *in = fuzz_string(data, size);
        size_t len = strlen(in); /* a query or path never holds NUL: the head parser refuses it */
        char *out = malloc(len + 1);
        if (!out)
                abort();
        for (int plus = 0; plus < 2; plus++) {
                long n = httpparse_decode(in, len, out, plus);
                FUZZ_CHECK(n <= (long)len);
                if (n >= 0) {
                        FUZZ_CHECK(strlen(out) == (size_t)n);          /* no NUL decoded */
                        FUZZ_CHECK(!strchr(in, '%') || n < (long)len); /* escapes shrink */
                }
        }
        char bad[64], val[256];
        int rc = httpparse_query_check(in, bad, sizeof(bad));
        FUZZ_CHECK(rc == 0 || rc == HTTPPARSE_MALFORMED || rc == HTTPPARSE_NOT_UTF8);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                int q = httpparse_query(in, names[i], val, sizeof(val));
                FUZZ_CHECK(q >= -1 && q <= 1);
                if (q == 1)
                        FUZZ_CHECK(utf8_valid(val, strlen(val)));
                /* what the whole-query check passed, the lookup takes too (unless too long) */
                if (rc == 0 && q == -1)
                        FUZZ_CHECK(strlen(in) >= sizeof(val) - 1);
        }
        httpparse_cookie(in, "prefd_session", val, sizeof(val));
        httpparse_media_type(in, "application/json");
        /* UTF-8 repair */
        char *fixed = malloc(3 * len + 4);
        if (!fixed)
                abort();
        utf8_repair(fixed, 3 * len + 4, in);
        FUZZ_CHECK(utf8_valid(fixed, strlen(fixed)));
        if (utf8_valid(in, len))
                FUZZ_CHECK(strcmp(fixed, in) == 0);
        struct utf8_stream u = UTF8_STREAM_INIT;
        bool ok = true;
        for (size_t i = 0; i < len && ok; i++)
                ok = utf8_stream_byte(&u, (unsigned char)in[i]);
        FUZZ_CHECK((ok && utf8_stream_end(&u)) == utf8_valid(in, len));
        /* the route table on a raw path */
        char path[4096];
        snprintf(path, sizeof(path), "/%s", in);
        const struct route *rt = NULL;
        char *params[4], detail[96];
        size_t np = 0;
        for (int m = REQ_GET; m <= REQ_DELETE; m++) {
                enum router_match mr = router_match((enum req_method)m, path, &rt, params, &np,
                                                    detail, sizeof(detail));
                if (mr == ROUTER_FOUND) {
                        for (size_t k = 0; k < np; k++) {
                                FUZZ_CHECK(utf8_valid(params[k], strlen(params[k])));
                                free(params[k]);
                        }
                }
        }
        free(fixed);
        free(out);
        free(in);
        return 0;
}
