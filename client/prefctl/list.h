/*
 * list.h - the listing commands' one shape: GET a paged list (every page), then print it as
 * JSON (--json) or as a table, one row per item.
 */
#ifndef LIST_H
#define LIST_H

#include "ctl.h"
#include "table.h"

/* A column of the table: its heading and alignment. A list of them ends with { NULL }. */
struct list_col {
        const char *head;
        enum table_align align;
};

/* Fills one row (a cell per column) from one item of the list. */
typedef void (*list_row_fn)(struct table *t, const json_t *item);

/* Prints the list at path. 0, or -1 after reporting the failure. */
int list_print(struct ctl *ctl, const struct args *a, const char *path, const struct list_col *cols,
               list_row_fn row) PREFD_MUSTCHECK;

#endif
