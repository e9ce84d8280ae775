/*
 * list.c - listing commands (list.h).
 */
#include "list.h"

#include "args.h"
#include "net.h"

#include <jansson.h>
#include <stdio.h>

int list_print(struct ctl *ctl, const struct args *a, const char *path, const struct list_col *cols,
               list_row_fn row)
{
        json_t *items = NULL;
        struct table t;
        size_t i;
        const json_t *x;
        int rc = -1;
        table_init(&t);
        if (net_list(ctl, path, &items) != 0)
                goto out;
        if (args_has(a, "json")) {
                rc = ctl_print_json(ctl, items);
                goto out;
        }
        for (const struct list_col *c = cols; c->head; c++)
                table_col(&t, c->head, c->align);
        json_array_foreach(items, i, x)
        {
                row(&t, x);
        }
        rc = ctl_print_table(ctl, &t);
out:
        table_fini(&t);
        json_decref(items);
        return rc;
}
