/*
 * utf8.c - UTF-8 validation and repair; see utf8.h.
 */
#include "utf8.h"

#include <string.h>

static bool cont(unsigned char c)
{
        return (c & 0xc0) == 0x80;
}

size_t utf8_seq(const unsigned char *s, size_t len)
{
        if (len == 0)
                return 0;
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        if (c < 0xc2 || c > 0xf4)
                return 0; /* a continuation byte, an overlong lead (c0, c1) or beyond U+10FFFF */
        size_t n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!cont(s[i]))
                        return 0;
        if (c == 0xe0 && s[1] < 0xa0)
                return 0; /* overlong three-byte form */
        if (c == 0xed && s[1] >= 0xa0)
                return 0; /* U+D800..U+DFFF, the surrogates */
        if (c == 0xf0 && s[1] < 0x90)
                return 0; /* overlong four-byte form */
        if (c == 0xf4 && s[1] >= 0x90)
                return 0; /* above U+10FFFF */
        return n;
}

bool utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s, *end = p + len;
        while (p < end) {
                if (*p < 0x80) {
                        p++;
                        continue;
                }
                size_t n = utf8_seq(p, (size_t)(end - p));
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

bool utf8_stream_byte(struct utf8_stream *s, unsigned char c)
{
        if (s->n == 0 && c < 0x80)
                return true;
        s->seq[s->n++] = c;
        unsigned char lead = s->seq[0];
        size_t need = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        if (lead < 0xc2 || lead > 0xf4 || (s->n > 1 && !cont(c))) {
                s->n = 0;
                return false;
        }
        if (s->n < need)
                return true;
        s->n = 0;
        return utf8_seq(s->seq, need) == need;
}

bool utf8_stream_end(const struct utf8_stream *s)
{
        return s->n == 0;
}

char *utf8_repair(char *out, size_t size, const char *in)
{
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        const unsigned char *p = (const unsigned char *)in;
        size_t len = strlen(in), o = 0;
        while (*p) {
                size_t n = utf8_seq(p, len - (size_t)(p - (const unsigned char *)in));
                const char *src = n ? (const char *)p : replacement;
                size_t take = n ? n : 3;
                if (o + take >= size)
                        break;
                memcpy(out + o, src, take);
                o += take;
                p += n ? n : 1;
        }
        out[o] = '\0';
        return out;
}
