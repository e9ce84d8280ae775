/*
 * batch.c - requests whose statements run as one; see batch.h.
 */
#include "batch.h"

#include "db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
        struct req *req;
        json_t *elem; /* owned */
        char key[72];
        batch_fn fn;
        int attempts; /* times sent alone */
        struct item *next;
};

struct batch {
        struct db *db;
        char *sql;
        char *shared;
        int inflight, max_inflight;
        size_t max;
        struct item *head, *tail; /* waiting */
        size_t waiting;
};

/* One statement in the database: its items, in the order of their "i". */
struct sent {
        struct batch *b;
        struct item **items;
        size_t n;
        bool alone; /* a resend of one item: failures go to its callback */
};

static void send_items(struct batch *b, struct item **items, size_t n, bool alone);

struct batch *batch_new(struct db *db, const char *sql, const char *shared, int inflight,
                        size_t max)
{
        struct batch *b = calloc(1, sizeof(*b));
        if (!b || !(b->sql = strdup(sql)) || !(b->shared = strdup(shared))) {
                batch_free(b);
                return NULL;
        }
        b->db = db;
        b->max_inflight = inflight > 0 ? inflight : 1;
        b->max = max > 0 ? max : 1;
        return b;
}

void batch_free(struct batch *b)
{
        if (!b)
                return;
        /* Waiting items belong to requests still open: they cannot be answered from here. */
        free(b->sql);
        free(b->shared);
        free(b);
}

static void item_free(struct item *it)
{
        json_decref(it->elem);
        free(it);
}

/* Gives r its answer and frees the item. */
static void answer(struct item *it, const struct db_res *res, int row)
{
        struct req *r = it->req;
        batch_fn fn = it->fn;
        r->pending_db--;
        r->db_ms += db_res_ms(res);
        item_free(it);
        fn(r, res, row);
}

/* Takes the item after prev (NULL: the first) out of the waiting list. */
static struct item *unlink_after(struct batch *b, struct item *prev)
{
        struct item *it = prev ? prev->next : b->head;
        if (prev)
                prev->next = it->next;
        else
                b->head = it->next;
        if (b->tail == it)
                b->tail = prev;
        it->next = NULL;
        b->waiting--;
        return it;
}

static bool key_taken(struct item **items, size_t n, const char *key)
{
        for (size_t k = 0; k < n; k++)
                if (strcmp(items[k]->key, key) == 0)
                        return true;
        return false;
}

static void fail_oom(struct item *it)
{
        struct req *r = it->req;
        r->pending_db--;
        item_free(it);
        req_reply_oom(r);
}

/* Sends what waits, while there is room. */
static void pump(struct batch *b)
{
        while (b->head && b->inflight < b->max_inflight) {
                size_t n = b->waiting < b->max ? b->waiting : b->max;
                struct item **items = malloc(n * sizeof(*items));
                if (!items) {
                        fail_oom(unlink_after(b, NULL)); /* the others wait for memory */
                        continue;
                }
                /* In arrival order, passing over keys the batch has already. */
                size_t got = 0;
                struct item *prev = NULL;
                while (got < n && (prev ? prev->next : b->head)) {
                        struct item *it = prev ? prev->next : b->head;
                        if (it->key[0] && key_taken(items, got, it->key)) {
                                prev = it;
                                continue;
                        }
                        items[got++] = unlink_after(b, prev);
                }
                send_items(b, items, got, false);
        }
}

static void done(const struct db_res *res, void *arg)
{
        struct sent *s = arg;
        struct batch *b = s->b;
        b->inflight--;
        if (db_res_status(res) != DB_OK) {
                if (db_res_status(res) == DB_FAILED && (!s->alone || db_res_lost_race(res))) {
                        /* One element may be the cause: each goes again alone. */
                        for (size_t k = 0; k < s->n; k++) {
                                struct item *it = s->items[k];
                                if (s->alone && ++it->attempts > BATCH_RETRIES) {
                                        answer(it, res, -1);
                                        continue;
                                }
                                if (s->alone)
                                        log_warn(it->req->id, "msg=retry sqlstate=%s attempt=%d",
                                                 db_res_sqlstate(res), it->attempts);
                                struct item **one = malloc(sizeof(*one));
                                if (!one) {
                                        answer(it, res, -1);
                                        continue;
                                }
                                one[0] = it;
                                send_items(b, one, 1, true);
                        }
                } else {
                        for (size_t k = 0; k < s->n; k++)
                                answer(s->items[k], res, -1);
                }
                free(s->items);
                free(s);
                pump(b);
                return;
        }
        /* The next batch goes first: the database works on it while these are answered. */
        pump(b);
        /* Rows carry their element's place; an element without a row gets the failure. */
        int *row_of = malloc((s->n + 1) * sizeof(*row_of));
        for (size_t k = 0; row_of && k < s->n; k++)
                row_of[k] = -1;
        for (int row = 0; row_of && row < db_res_nrows(res); row++) {
                int64_t i = db_res_int(res, row, 0);
                if (i >= 0 && (size_t)i < s->n)
                        row_of[i] = row;
        }
        for (size_t k = 0; k < s->n; k++) {
                int row = row_of ? row_of[k] : -1;
                if (row < 0)
                        log_error(s->items[k]->req->id, "msg=batch_row_missing");
                answer(s->items[k], res, row);
        }
        free(row_of);
        free(s->items);
        free(s);
}

static void send_items(struct batch *b, struct item **items, size_t n, bool alone)
{
        struct sent *s = malloc(sizeof(*s));
        json_t *arr = json_array();
        for (size_t k = 0; arr && k < n; k++) {
                json_object_set_new(items[k]->elem, "i", json_integer((json_int_t)k));
                json_array_append(arr, items[k]->elem);
        }
        char *text = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
        json_decref(arr);
        if (!s || !text) {
                free(s);
                free(text);
                for (size_t k = 0; k < n; k++)
                        fail_oom(items[k]);
                free(items);
                return;
        }
        *s = (struct sent){ .b = b, .items = items, .n = n, .alone = alone };
        b->inflight++;
        const char *params[] = { text, b->shared };
        db_query(b->db, b->sql, 2, params, done, s);
        free(text);
}

void batch_add(struct batch *b, struct req *r, json_t *elem, const char *key, batch_fn fn)
{
        struct item *it = calloc(1, sizeof(*it));
        if (!it || !elem) {
                free(it);
                json_decref(elem);
                req_reply_oom(r);
                return;
        }
        *it = (struct item){ .req = r, .elem = elem, .fn = fn };
        snprintf(it->key, sizeof(it->key), "%s", key ? key : "");
        r->pending_db++;
        if (b->tail)
                b->tail->next = it;
        else
                b->head = it;
        b->tail = it;
        b->waiting++;
        pump(b);
}
