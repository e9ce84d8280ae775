/*
 * utf8.h - checking and repairing UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). Everything prefd echoes back in a JSON reply or hands to PostgreSQL must be
 * valid UTF-8: jansson refuses anything else (json_pack fails) and PostgreSQL answers SQLSTATE
 * 22021. Pure functions, no allocation.
 */
#ifndef UTF8_H
#define UTF8_H

#include "prefd.h"

/*
 * Length of the valid UTF-8 sequence that starts s (1 to 4), or 0 when the bytes at s (at most
 * len of them) do not start one (a stray continuation byte, an overlong form, a surrogate, a
 * code point above U+10FFFF or a sequence cut short).
 */
size_t utf8_seq(const unsigned char *s, size_t len);

/* True when len bytes of s are valid UTF-8 (NUL bytes included: they are valid code points). */
bool utf8_valid(const char *s, size_t len);

/* Checks a byte stream one byte at a time (for text decoded on the fly). */
struct utf8_stream {
        unsigned char seq[4]; /* the bytes of a character begun but not finished */
        size_t n;
};
#define UTF8_STREAM_INIT                                                                           \
        {                                                                                          \
                .n = 0                                                                             \
        }
/* False once the bytes so far cannot be UTF-8. */
bool utf8_stream_byte(struct utf8_stream *s, unsigned char c);
/* False when the stream ended inside a character. */
bool utf8_stream_end(const struct utf8_stream *s);

/*
 * Copies the NUL-terminated string in into out (size bytes, at least 4) as valid UTF-8: every
 * byte that starts no valid sequence becomes U+FFFD, and a string too long is cut at a
 * character boundary. Returns out.
 */
char *utf8_repair(char *out, size_t size, const char *in);

#endif
