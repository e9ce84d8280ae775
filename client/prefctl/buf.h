/*
 * buf.h - a growing byte buffer, always NUL-terminated, and URL building on top of it.
 *
 * Appending never fails loudly: on out-of-memory the buffer is marked failed, later appends are
 * ignored, and buf_check() (or buf_str() returning NULL) tells the caller once at the end.
 */
#ifndef PREFCTL_BUF_H
#define PREFCTL_BUF_H

#include "prefd.h"

struct buf {
        char *data; /* owned; NULL until the first append */
        size_t len; /* bytes used, not counting the terminating NUL */
        size_t cap;
        bool failed; /* an allocation failed: the contents are incomplete */
};

#define BUF_INIT                                                                                   \
        {                                                                                          \
                NULL, 0, 0, false                                                                  \
        }

void buf_fini(struct buf *b);
void buf_reset(struct buf *b);

void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) PREFD_PRINTF(2, 3);

/* Appends s percent-encoded: everything but RFC 3986's unreserved characters. */
void buf_add_escaped(struct buf *b, const char *s);

/*
 * Appends a URL path built from fmt, where each "%s" is replaced by the next argument
 * percent-encoded (a path segment or a query value); no other conversion is allowed.
 * Example: buf_path(&b, "/api/v1/projects/%s/items", slug).
 */
void buf_path(struct buf *b, const char *fmt, ...);

/* Appends "?key=value" or "&key=value" (value escaped) when value is not NULL. */
void buf_query(struct buf *b, const char *key, const char *value);

/* The contents as a C string ("" when empty), or NULL after an allocation failure. */
const char *buf_str(const struct buf *b);

/* 0, or -1 when an append failed. */
int buf_check(const struct buf *b) PREFD_MUSTCHECK;

#endif
