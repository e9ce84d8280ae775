/*
 * chunked.c - the chunked transfer coding, strictly; see chunked.h.
 */
#include "chunked.h"

#include "httpparse.h"

#include <string.h>

enum {
        ST_SIZE,    /* expecting "hex[;ext]\r\n" */
        ST_DATA,    /* left bytes of chunk data */
        ST_CRLF,    /* the CRLF after a chunk's data */
        ST_TRAILER, /* trailer field lines up to an empty line */
        ST_DONE,
        ST_ERROR,
};

#define SIZE_DIGITS_MAX 15 /* below 2^60: a chunk that large is an attack, not an upload */

void chunked_init(struct chunked *c)
{
        memset(c, 0, sizeof(*c));
        c->state = ST_SIZE;
}

static enum chunked_status fail(struct chunked *c, const char *why)
{
        c->state = ST_ERROR;
        c->error = why;
        return CHUNKED_ERROR;
}

/* Field content and extensions: no control bytes but HTAB. */
static bool plain_text(const char *p, const char *end)
{
        for (; p < end; p++)
                if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

/* chunk-size [ BWS ";" chunk-ext ] */
static enum chunked_status size_line(struct chunked *c, const char *p, const char *end)
{
        uint64_t size = 0;
        int digits = 0, significant = 0;
        for (; p < end && httpparse_hexval(*p) >= 0; p++, digits++) {
                if (size || httpparse_hexval(*p))
                        significant++;
                if (significant > SIZE_DIGITS_MAX)
                        return fail(c, "chunk size too large");
                size = size * 16 + (uint64_t)httpparse_hexval(*p);
        }
        if (digits == 0)
                return fail(c, "chunk size is not a hexadecimal number");
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        if (p < end && (*p != ';' || !plain_text(p, end)))
                return fail(c, "malformed chunk size line");
        if (size == 0) {
                c->state = ST_TRAILER;
                return CHUNKED_MORE;
        }
        c->left = size;
        c->state = ST_DATA;
        return CHUNKED_DATA;
}

/* field-name ":" field-value, or the empty line ending the body */
static enum chunked_status trailer_line(struct chunked *c, const char *p, const char *end)
{
        if (p == end) {
                c->state = ST_DONE;
                return CHUNKED_DONE;
        }
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (!colon || colon == p)
                return fail(c, "malformed trailer field");
        for (const char *q = p; q < colon; q++)
                if (!httpparse_is_tchar((unsigned char)*q))
                        return fail(c, "malformed trailer field");
        if (!plain_text(colon + 1, end))
                return fail(c, "control character in a trailer field");
        return CHUNKED_MORE;
}

enum chunked_status chunked_frame(struct chunked *c, const char *buf, size_t len, size_t *used)
{
        size_t off = 0;
        enum chunked_status st = CHUNKED_MORE;
        *used = 0;
        while (st == CHUNKED_MORE) {
                switch (c->state) {
                case ST_DATA:
                        return CHUNKED_DATA;
                case ST_DONE:
                        return CHUNKED_DONE;
                case ST_ERROR:
                        return CHUNKED_ERROR;
                case ST_CRLF:
                        if (len - off >= 1 && buf[off] != '\r')
                                return fail(c, "chunk data longer than its size");
                        if (len - off < 2)
                                return CHUNKED_MORE;
                        if (buf[off + 1] != '\n')
                                return fail(c, "chunk data longer than its size");
                        off += 2;
                        *used = off;
                        c->state = ST_SIZE;
                        break;
                default: { /* ST_SIZE, ST_TRAILER: one line */
                        const char *nl = memchr(buf + off, '\n', len - off);
                        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
                        if (n > CHUNKED_LINE_MAX)
                                return fail(c, c->state == ST_SIZE ? "chunk size line too long"
                                                                   : "trailer field too long");
                        if (c->state == ST_TRAILER) {
                                c->trailer += nl ? n + 1 : 0;
                                if (c->trailer > CHUNKED_TRAILER_MAX)
                                        return fail(c, "trailer section too long");
                        }
                        if (!nl)
                                return CHUNKED_MORE;
                        if (n == 0 || buf[off + n - 1] != '\r')
                                return fail(c, "a chunked body line must end in CRLF");
                        const char *p = buf + off, *end = p + n - 1;
                        off += n + 1;
                        *used = off;
                        st = c->state == ST_SIZE ? size_line(c, p, end) : trailer_line(c, p, end);
                        break;
                }
                }
        }
        return st;
}

void chunked_took(struct chunked *c, uint64_t n)
{
        if (c->state != ST_DATA)
                return;
        c->left -= n < c->left ? n : c->left;
        if (c->left == 0)
                c->state = ST_CRLF;
}
