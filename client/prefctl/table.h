/*
 * table.h - aligned text tables for people and CSV (RFC 4180) for programs; a table whose
 * columns have no header prints "key: value" blocks.
 *
 * A table owns copies of its cells. Cells are added left to right, row after row; an allocation
 * failure is remembered and reported by the print functions, so building needs no checks.
 * Alignment counts display columns (text.h): a CJK model name lines up with an ASCII one.
 * Printed cells go through text_put: control characters never reach the terminal.
 */
#ifndef PREFCTL_TABLE_H
#define PREFCTL_TABLE_H

#include "prefd.h"

#include <jansson.h>
#include <stdio.h>

enum table_align {
        TABLE_LEFT,
        TABLE_RIGHT,
};

#define TABLE_MAX_COLS 64

struct table {
        size_t ncols;
        const char *header[TABLE_MAX_COLS]; /* borrowed (string literals) */
        enum table_align align[TABLE_MAX_COLS];
        char **cells; /* owned: row-major, ncols per row */
        size_t ncells, cap;
        bool failed; /* an allocation failed */
};

/* Starts an empty table; add its columns with table_col. */
void table_init(struct table *t);
void table_fini(struct table *t);

/* Adds a column (before any cell). header may be NULL for a table printed without a header. */
void table_col(struct table *t, const char *header, enum table_align align);

/* Adds the next cell: a copy of s (NULL is an empty cell), or formatted. */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...) PREFD_PRINTF(2, 3);

/*
 * Adds a cell showing a JSON value: a string as is, a number (integers as such, reals with %g),
 * true/false as yes/no, null (or NULL) as "-", an array joined with ", ", an object compact.
 */
void table_cell_json(struct table *t, const json_t *v);

size_t table_rows(const struct table *t);

/* Prints the table aligned: a header line (when the columns have headers), then the rows, two
 * spaces between columns, no trailing blanks. -1 after an allocation failure. */
int table_print(const struct table *t, FILE *out) PREFD_MUSTCHECK;

/* Prints the table as CSV: the header row, then the rows; CRLF line ends; fields with a comma,
 * quote, CR or LF quoted, quotes doubled. Cells are written unchanged. */
int table_print_csv(const struct table *t, FILE *out) PREFD_MUSTCHECK;

/* Formats a double as the shortest text that reads back the same ("1133.53", not
 * "1133.5299999999999"). */
void table_fmt_double(char *out, size_t size, double v);

/* The text of a JSON value as table_cell_json shows it; *out owned by caller (NULL: no memory). */
char *table_json_text(const json_t *v);

#endif
