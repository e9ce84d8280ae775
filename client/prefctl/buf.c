/*
 * buf.c - growing NUL-terminated byte buffers, percent-encoding and URL paths.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_fini(struct buf *b)
{
        free(b->data);
        *b = (struct buf)BUF_INIT;
}

void buf_reset(struct buf *b)
{
        b->len = 0;
        b->failed = false;
        if (b->data)
                b->data[0] = '\0';
}

/* Makes room for n more bytes and the NUL; false (and failed) when memory runs out. */
static bool reserve(struct buf *b, size_t n)
{
        if (b->failed)
                return false;
        if (n < b->cap - b->len)
                return true;
        if (n > SIZE_MAX / 2 - b->len) {
                b->failed = true;
                return false;
        }
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len <= n)
                cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
                b->failed = true;
                return false;
        }
        b->data = d;
        b->cap = cap;
        return true;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
        if (!reserve(b, n))
                return;
        if (n > 0)
                memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->failed = true;
                return;
        }
        if (!reserve(b, (size_t)n))
                return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

void buf_add_escaped(struct buf *b, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                unsigned char c = *p;
                bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
                if (plain) {
                        buf_add(b, p, 1);
                } else {
                        char e[3] = { '%', hex[c >> 4], hex[c & 15] };
                        buf_add(b, e, 3);
                }
        }
}

void buf_path(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        const char *p = fmt;
        while (*p) {
                const char *pct = strstr(p, "%s");
                if (!pct) {
                        buf_adds(b, p);
                        break;
                }
                buf_add(b, p, (size_t)(pct - p));
                buf_add_escaped(b, va_arg(ap, const char *));
                p = pct + 2;
        }
        va_end(ap);
}

void buf_query(struct buf *b, const char *key, const char *value)
{
        if (!value)
                return;
        bool first = !b->data || !memchr(b->data, '?', b->len);
        buf_adds(b, first ? "?" : "&");
        buf_add_escaped(b, key);
        buf_adds(b, "=");
        buf_add_escaped(b, value);
}

const char *buf_str(const struct buf *b)
{
        if (b->failed)
                return NULL;
        return b->data ? b->data : "";
}

int buf_check(const struct buf *b)
{
        return b->failed ? -1 : 0;
}
