/*
 * jsonl.c - record framing of JSON Lines and JSON arrays; see jsonl.h.
 */
#include "jsonl.h"

#include <string.h>

void jsonl_init(struct jsonl *j, size_t max_record)
{
        memset(j, 0, sizeof(*j));
        j->max = max_record;
}

static bool is_ws(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum jsonl_status fail(struct jsonl *j, const char *why)
{
        j->error = why;
        return JSONL_ERROR;
}

static enum jsonl_status next_line(struct jsonl *j, const char *buf, size_t len, bool eof,
                                   size_t *start, size_t *rlen, size_t *consumed)
{
        for (;;) {
                const char *nl = memchr(buf + *consumed + j->scan, '\n', len - *consumed - j->scan);
                size_t begin = *consumed;
                size_t end;
                if (nl) {
                        end = (size_t)(nl - buf);
                } else if (eof && len > begin) {
                        end = len;
                } else {
                        if (len - begin > j->max) {
                                j->at = j->lines + 1;
                                return fail(j, "a line is longer than the record limit");
                        }
                        j->scan = len - begin;
                        return eof ? JSONL_END : JSONL_MORE;
                }
                j->scan = 0;
                j->lines++;
                *consumed = nl ? end + 1 : end;
                if (end - begin > j->max) {
                        j->at = j->lines;
                        return fail(j, "a line is longer than the record limit");
                }
                size_t s = begin, e = end;
                while (s < e && is_ws(buf[s]))
                        s++;
                while (e > s && is_ws(buf[e - 1]))
                        e--;
                if (s == e)
                        continue; /* blank line */
                j->number = j->lines;
                *start = s;
                *rlen = e - s;
                return JSONL_RECORD;
        }
}

static enum jsonl_status next_element(struct jsonl *j, const char *buf, size_t len, bool eof,
                                      size_t *start, size_t *rlen, size_t *consumed)
{
        size_t p = *consumed;
        /* Between elements: whitespace, then a value, ',' or ']'. */
        if (j->scan == 0) {
                while (p < len && is_ws(buf[p]))
                        p++;
                *consumed = p;
                if (p == len) {
                        if (!eof)
                                return JSONL_MORE;
                        return j->array_open ? fail(j, "the JSON array is not closed") : JSONL_END;
                }
                if (!j->array_open)
                        return fail(j, "unexpected data after the JSON array");
                if (buf[p] == ']') {
                        if (j->want_element && j->number > 0)
                                return fail(j, "a comma before ']' in the JSON array");
                        j->array_open = false;
                        *consumed = p + 1;
                        return next_element(j, buf, len, eof, start, rlen, consumed);
                }
                if (buf[p] == ',') {
                        if (j->want_element)
                                return fail(j, "an empty element in the JSON array");
                        j->want_element = true;
                        *consumed = p + 1;
                        return next_element(j, buf, len, eof, start, rlen, consumed);
                }
                if (!j->want_element)
                        return fail(j, "a comma is missing between elements of the JSON array");
        }
        /* Scan the element up to a ',' or ']' at depth 0 outside strings. */
        size_t i = p + j->scan;
        for (; i < len; i++) {
                /* Checked before anything else: inside strings too (fuzz_jsonl found that a long
                 * string element slipped through when it arrived whole). */
                if (i - p > j->max)
                        return fail(j, "an element is longer than the record limit");
                char c = buf[i];
                if (j->in_string) {
                        if (j->escape)
                                j->escape = false;
                        else if (c == '\\')
                                j->escape = true;
                        else if (c == '"')
                                j->in_string = false;
                        continue;
                }
                if (c == '"') {
                        j->in_string = true;
                } else if (c == '{' || c == '[') {
                        j->depth++;
                } else if (c == '}' || c == ']') {
                        if (j->depth == 0)
                                break; /* the array's own ']' */
                        j->depth--;
                } else if (c == ',' && j->depth == 0) {
                        break;
                }
        }
        if (i == len) {
                if (i - p > j->max)
                        return fail(j, "an element is longer than the record limit");
                j->scan = i - p;
                return eof ? fail(j, "the JSON array is not closed") : JSONL_MORE;
        }
        size_t e = i;
        while (e > p && is_ws(buf[e - 1]))
                e--;
        j->scan = 0;
        j->depth = 0;
        j->want_element = false;
        j->number++;
        *start = p;
        *rlen = e - p;
        *consumed = i; /* the delimiter is read by the next call */
        return JSONL_RECORD;
}

enum jsonl_status jsonl_next(struct jsonl *j, const char *buf, size_t len, bool eof, size_t *start,
                             size_t *rlen, size_t *consumed)
{
        *consumed = 0;
        if (j->mode == 0) {
                size_t p = 0;
                while (p < len && is_ws(buf[p]))
                        p++;
                if (p == len)
                        return eof ? JSONL_END : JSONL_MORE;
                if (buf[p] == '[') {
                        j->mode = 2;
                        j->array_open = true;
                        j->want_element = true;
                        *consumed = p + 1;
                } else {
                        j->mode = 1;
                }
        }
        if (j->mode == 1)
                return next_line(j, buf, len, eof, start, rlen, consumed);
        return next_element(j, buf, len, eof, start, rlen, consumed);
}
