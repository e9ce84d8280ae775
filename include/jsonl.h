/*
 * jsonl.h - splits a streamed bulk body into records without parsing them: JSON Lines (one value
 * per line, blank lines ignored) or a single JSON array (one record per element). The format is
 * chosen by the first non-blank byte ('[' means array). Pure: the caller keeps the bytes and
 * drops what each call consumed, so memory is bounded by the longest record.
 */
#ifndef JSONL_H
#define JSONL_H

#include "prefd.h"

enum jsonl_status {
        JSONL_RECORD, /* a record is at buf[*start .. *start + *len) */
        JSONL_MORE,   /* need more bytes */
        JSONL_END,    /* no more records (at eof, or after an array's ']') */
        JSONL_ERROR,  /* malformed framing or record too long: see error */
};

struct jsonl {
        int mode;    /* 0 not yet known, 1 lines, 2 array */
        size_t max;  /* longest record accepted */
        size_t scan; /* bytes of the pending record already scanned */
        int depth;   /* array mode: nesting inside the current element */
        bool in_string, escape;
        bool array_open;      /* array mode: '[' seen, ']' not yet */
        bool want_element;    /* array mode: after '[' or ',' */
        unsigned long number; /* line number (lines) or element index (array) of the last record */
        unsigned long lines;  /* lines mode: lines consumed so far */
        const char *error;    /* static text for JSONL_ERROR */
        unsigned long at;     /* JSONL_ERROR of a line too long: its line number (lines mode) */
};

void jsonl_init(struct jsonl *j, size_t max_record);

/*
 * Finds the next record in buf[0..len). *consumed is how many bytes the caller must drop before
 * the next call (for JSONL_MORE too). eof says no more bytes will come.
 */
enum jsonl_status jsonl_next(struct jsonl *j, const char *buf, size_t len, bool eof, size_t *start,
                             size_t *rlen, size_t *consumed);

#endif
