/*
 * buf.c - a growable byte buffer; see buf.h.
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void buf_put(struct buf *b, const char *s, size_t n)
{
        if (b->oom)
                return;
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 1 << 16;
                while (cap < b->len + n + 1)
                        cap *= 2;
                char *d = realloc(b->data, cap);
                if (!d) {
                        b->oom = true;
                        return;
                }
                b->data = d;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
}

void buf_str(struct buf *b, const char *s)
{
        buf_put(b, s, strlen(s));
}

void buf_uint(struct buf *b, uint64_t x)
{
        char text[24], *p = text + sizeof(text);
        do {
                *--p = (char)('0' + x % 10);
                x /= 10;
        } while (x);
        buf_put(b, p, (size_t)(text + sizeof(text) - p));
}

void buf_copy_field(struct buf *b, const char *s)
{
        if (!s) {
                buf_put(b, "\\N", 2);
                return;
        }
        const char *run = s;
        for (const char *p = s; *p; p++) {
                const char *esc = *p == '\\'   ? "\\\\"
                                  : *p == '\t' ? "\\t"
                                  : *p == '\n' ? "\\n"
                                  : *p == '\r' ? "\\r"
                                               : NULL;
                if (esc) {
                        buf_put(b, run, (size_t)(p - run));
                        buf_put(b, esc, 2);
                        run = p + 1;
                }
        }
        buf_str(b, run);
}

char *buf_take(struct buf *b)
{
        char *d = b->data;
        *b = (struct buf){ 0 };
        return d;
}

void buf_fini(struct buf *b)
{
        free(b->data);
        *b = (struct buf){ 0 };
}
