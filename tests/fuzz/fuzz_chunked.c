/*
 * fuzz_chunked.c - the chunked decoder (chunked.c), driven as http.c drives it: framing in
 * windows of CHUNKED_LINE_MAX + 2 bytes, data taken by count. The same bytes are decoded once
 * whole and once arriving in chunks of the size the first input byte picks; both runs must end
 * the same way with the same data, and never take more data than the input holds.
 */
#include "chunked.h"
#include "fuzz.h"

#include <string.h>

struct result {
        enum chunked_status status;
        size_t used; /* input bytes consumed */
        char *out;   /* decoded data */
        size_t outlen;
};

static struct result decode(const uint8_t *in, size_t len, size_t step)
{
        struct result r = { .out = malloc(len + 1) };
        struct chunked c;
        chunked_init(&c);
        size_t have = 0, pos = 0;
        if (!r.out)
                abort();
        for (;;) {
                size_t avail = have - pos;
                if (c.left > 0) {
                        if (avail == 0) {
                                if (have == len) {
                                        r.status = CHUNKED_MORE;
                                        break;
                                }
                                have = have + step < len ? have + step : len;
                                continue;
                        }
                        size_t n = avail < c.left ? avail : (size_t)c.left;
                        memcpy(r.out + r.outlen, in + pos, n);
                        r.outlen += n;
                        pos += n;
                        chunked_took(&c, n);
                        continue;
                }
                size_t window = avail < CHUNKED_LINE_MAX + 2 ? avail : CHUNKED_LINE_MAX + 2, used;
                enum chunked_status st = chunked_frame(&c, (const char *)in + pos, window, &used);
                FUZZ_CHECK(used <= window);
                pos += used;
                if (st == CHUNKED_DONE || st == CHUNKED_ERROR) {
                        FUZZ_CHECK(st != CHUNKED_ERROR || c.error);
                        r.status = st;
                        break;
                }
                if (st == CHUNKED_DATA) {
                        FUZZ_CHECK(c.left > 0);
                        continue;
                }
                if (used > 0)
                        continue;
                if (have == len) {
                        r.status = CHUNKED_MORE;
                        break;
                }
                have = have + step < len ? have + step : len;
        }
        r.used = pos;
        FUZZ_CHECK(r.outlen <= pos && pos <= len);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t step = fuzz_step(&data, &size);
        struct result whole = decode(data, size, size ? size : 1);
        struct result pieces = decode(data, size, step);
        FUZZ_CHECK(whole.status == pieces.status);
        if (whole.status != CHUNKED_ERROR) {
                /* An error may be seen a little earlier or later; anything else must agree. */
                FUZZ_CHECK(whole.used == pieces.used);
                FUZZ_CHECK(whole.outlen == pieces.outlen);
                FUZZ_CHECK(memcmp(whole.out, pieces.out, whole.outlen) == 0);
        }
        free(whole.out);
        free(pieces.out);
        return 0;
}
