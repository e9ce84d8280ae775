/*
 * table.c - aligned tables (by display width), CSV and JSON values as text.
 */
#include "table.h"

#include "buf.h"
#include "text.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void table_init(struct table *t)
{
        memset(t, 0, sizeof(*t));
}

void table_fini(struct table *t)
{
        for (size_t i = 0; i < t->ncells; i++)
                free(t->cells[i]);
        free(t->cells);
        memset(t, 0, sizeof(*t));
}

void table_col(struct table *t, const char *header, enum table_align align)
{
        if (t->ncols == TABLE_MAX_COLS || t->ncells > 0) {
                t->failed = true;
                return;
        }
        t->header[t->ncols] = header;
        t->align[t->ncols] = align;
        t->ncols++;
}

/* Appends a cell, taking ownership of s (NULL: a failed allocation). */
static void add_owned(struct table *t, char *s)
{
        if (!s || t->failed || t->ncols == 0) {
                free(s);
                t->failed = true;
                return;
        }
        if (t->ncells == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 64;
                char **c = realloc(t->cells, cap * sizeof(*c));
                if (!c) {
                        free(s);
                        t->failed = true;
                        return;
                }
                t->cells = c;
                t->cap = cap;
        }
        t->cells[t->ncells++] = s;
}

void table_cell(struct table *t, const char *s)
{
        add_owned(t, strdup(s ? s : ""));
}

void table_cellf(struct table *t, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (s) {
                va_start(ap, fmt);
                vsnprintf(s, (size_t)n + 1, fmt, ap);
                va_end(ap);
        }
        add_owned(t, s);
}

void table_fmt_double(char *out, size_t size, double v)
{
        for (int prec = 6; prec <= 17; prec++) {
                snprintf(out, size, "%.*g", prec, v);
                if (strtod(out, NULL) == v)
                        return;
        }
}

static void json_text(struct buf *b, const json_t *v)
{
        char num[64];
        size_t i;
        const json_t *e;
        switch (json_typeof(v)) {
        case JSON_STRING:
                buf_add(b, json_string_value(v), json_string_length(v));
                break;
        case JSON_INTEGER:
                buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                break;
        case JSON_REAL:
                table_fmt_double(num, sizeof(num), json_real_value(v));
                buf_adds(b, num);
                break;
        case JSON_TRUE:
                buf_adds(b, "yes");
                break;
        case JSON_FALSE:
                buf_adds(b, "no");
                break;
        case JSON_ARRAY:
                json_array_foreach(v, i, e)
                {
                        if (i > 0)
                                buf_adds(b, ", ");
                        json_text(b, e);
                }
                break;
        case JSON_OBJECT: {
                char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
                if (s)
                        buf_adds(b, s);
                else
                        b->failed = true;
                free(s);
                break;
        }
        case JSON_NULL:
        default:
                buf_adds(b, "-");
                break;
        }
}

char *table_json_text(const json_t *v)
{
        struct buf b = BUF_INIT;
        if (!v)
                buf_adds(&b, "-");
        else
                json_text(&b, v);
        if (buf_check(&b) != 0) {
                buf_fini(&b);
                return NULL;
        }
        if (!b.data)
                return strdup("");
        return b.data; /* the buffer's memory becomes the caller's */
}

void table_cell_json(struct table *t, const json_t *v)
{
        add_owned(t, table_json_text(v));
}

size_t table_rows(const struct table *t)
{
        return t->ncols ? t->ncells / t->ncols : 0;
}

static bool has_header(const struct table *t)
{
        for (size_t c = 0; c < t->ncols; c++)
                if (t->header[c])
                        return true;
        return false;
}

static void print_row(const struct table *t, FILE *out, const char *const *row, const size_t *width)
{
        for (size_t c = 0; c < t->ncols; c++) {
                const char *s = row[c] ? row[c] : "";
                size_t w = text_width(s);
                size_t pad = width[c] > w ? width[c] - w : 0;
                bool last = c + 1 == t->ncols;
                if (c > 0)
                        fputs("  ", out);
                if (t->align[c] == TABLE_RIGHT)
                        text_pad(out, pad);
                text_put(out, s, TEXT_LINE);
                if (t->align[c] == TABLE_LEFT && !last)
                        text_pad(out, pad);
        }
        fputc('\n', out);
}

int table_print(const struct table *t, FILE *out)
{
        if (t->failed || t->ncols == 0 || t->ncells % t->ncols != 0)
                return -1;
        size_t width[TABLE_MAX_COLS] = { 0 };
        bool header = has_header(t);
        for (size_t c = 0; c < t->ncols; c++)
                width[c] = header && t->header[c] ? text_width(t->header[c]) : 0;
        for (size_t i = 0; i < t->ncells; i++) {
                size_t w = text_width(t->cells[i]);
                width[i % t->ncols] = MAX(width[i % t->ncols], w);
        }
        if (header)
                print_row(t, out, t->header, width);
        for (size_t i = 0; i < t->ncells; i += t->ncols)
                print_row(t, out, (const char *const *)t->cells + i, width);
        return 0;
}

static void csv_field(FILE *out, const char *s)
{
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

int table_print_csv(const struct table *t, FILE *out)
{
        if (t->failed || t->ncols == 0 || t->ncells % t->ncols != 0)
                return -1;
        for (size_t c = 0; c < t->ncols; c++) {
                if (c > 0)
                        fputc(',', out);
                csv_field(out, t->header[c] ? t->header[c] : "");
        }
        fputs("\r\n", out);
        for (size_t i = 0; i < t->ncells; i++) {
                csv_field(out, t->cells[i]);
                fputs((i + 1) % t->ncols == 0 ? "\r\n" : ",", out);
        }
        return 0;
}
