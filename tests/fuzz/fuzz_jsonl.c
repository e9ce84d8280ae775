/*
 * fuzz_jsonl.c - JSON Lines and JSON array framing of uploads (jsonl.c), driven as bulk.c
 * drives it: the caller keeps the bytes and drops what each call consumed. The same input is
 * framed once whole and once arriving in chunks; the records (numbers and bytes) and the end
 * must be the same, records lie inside the buffer and are never longer than the limit.
 */
#include "fuzz.h"
#include "jsonl.h"

#include <string.h>

#define MAX_RECORD 512

struct run {
        char *log; /* "number:length:bytes\n" per record */
        size_t loglen, logcap;
        enum jsonl_status end;
};

static void log_record(struct run *r, unsigned long number, const char *p, size_t len)
{
        size_t need = r->loglen + len + 48;
        if (need > r->logcap) {
                r->logcap = need * 2;
                r->log = realloc(r->log, r->logcap);
                if (!r->log)
                        abort();
        }
        r->loglen += (size_t)snprintf(r->log + r->loglen, 48, "%lu:%zu:", number, len);
        memcpy(r->log + r->loglen, p, len);
        r->loglen += len;
        r->log[r->loglen++] = '\n';
}

static struct run frame(const uint8_t *in, size_t total, size_t step)
{
        struct run r = { 0 };
        struct jsonl j;
        jsonl_init(&j, MAX_RECORD);
        char *buf = malloc(total + 1);
        size_t have = 0, fed = 0;
        if (!buf)
                abort();
        for (;;) {
                bool eof = fed == total;
                size_t start = 0, len = 0, used = 0;
                enum jsonl_status st = jsonl_next(&j, buf, have, eof, &start, &len, &used);
                FUZZ_CHECK(used <= have);
                if (st == JSONL_RECORD) {
                        FUZZ_CHECK(start + len <= have && len <= MAX_RECORD);
                        log_record(&r, j.number, buf + start, len);
                }
                memmove(buf, buf + used, have - used);
                have -= used;
                if (st == JSONL_ERROR) {
                        FUZZ_CHECK(j.error != NULL);
                        r.end = st;
                        break;
                }
                if (st == JSONL_END) {
                        r.end = st;
                        break;
                }
                if (st == JSONL_MORE) {
                        if (eof) {
                                r.end = JSONL_END;
                                break;
                        }
                        size_t n = total - fed < step ? total - fed : step;
                        memcpy(buf + have, in + fed, n);
                        have += n;
                        fed += n;
                }
        }
        free(buf);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t step = fuzz_step(&data, &size);
        struct run whole = frame(data, size, size ? size : 1);
        struct run pieces = frame(data, size, step);
        FUZZ_CHECK(whole.end == pieces.end);
        if (whole.end != JSONL_ERROR) {
                FUZZ_CHECK(whole.loglen == pieces.loglen);
                FUZZ_CHECK(whole.loglen == 0 || memcmp(whole.log, pieces.log, whole.loglen) == 0);
        }
        free(whole.log);
        free(pieces.log);
        return 0;
}
