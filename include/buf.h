/*
 * buf.h - a growable byte buffer for text built piece by piece (COPY rows, export lines).
 *
 * Writes never fail at the call: running out of memory sets `oom` and later writes do nothing,
 * so a caller checks once at the end. Zero-initialised is empty; buf_fini frees.
 */
#ifndef BUF_H
#define BUF_H

#include "prefd.h"

struct buf {
        char *data; /* owned; not NUL-terminated */
        size_t len, cap;
        bool oom; /* a write did not fit in memory */
};

void buf_put(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
/* A non-negative integer in decimal (by hand: uploads write one per field). */
void buf_uint(struct buf *b, uint64_t x);
/* A field of COPY's text format: NULL as \N; backslash, tab, CR and LF escaped. */
void buf_copy_field(struct buf *b, const char *s);
/* Takes the data (owned by caller, may be NULL) and leaves the buffer empty. */
char *buf_take(struct buf *b);
void buf_fini(struct buf *b);

#endif
