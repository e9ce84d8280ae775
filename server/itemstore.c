/*
 * itemstore.c - how checked item lines become items, responses and comparisons; see itemstore.h.
 *
 * Per batch: which ids are known already (one query), models seen for the first time made
 * (one query, only when there are some), ids for the new items and responses (one query), then
 * COPY of the items, the responses, the comparisons with their turns (turns.h) and the lines
 * into upload_seen. Everything else is computed here, so that PostgreSQL only appends rows; the
 * next batch is parsed while this one is in the database (bulk.h).
 */
#include "itemstore.h"

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "rng.h"
#include "turns.h"
#include "u64map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of a batch go in by COPY, one statement per table. */
static const char copy_items[] = "COPY items (id, project_id, ext_id, prompt, category, language, "
                                 "metadata, gold, gold_reason, messages, sensitive, digest) "
                                 "FROM STDIN";
static const char copy_responses[] = "COPY responses (id, item_id, model_id, position, text, "
                                     "style) "
                                     "FROM STDIN";
static const char copy_comparisons[] = "COPY comparisons (project_id, item_id, resp_lo, resp_hi, "
                                       "model_lo, model_hi, gold, turn, rnd) "
                                       "FROM STDIN";
static const char copy_seen[] = "COPY upload_seen (ext_id, line, digest) "
                                "FROM STDIN";

/* Starts the upload of project $1: its models and its model pairs' counts so far. */
static const char begin_sql[] = "SELECT kind, a, b, n, name "
                                "FROM prefd_upload_begin($1)";
/* The ids of the models a batch names ($2, JSON), made in project $1 when new. */
static const char models_sql[] = "SELECT id, name "
                                 "FROM prefd_models_ensure($1, $2::jsonb)";
/* Which of a batch's ids ($2, JSON) project $1 knows already, from this upload or before. */
static const char known_sql[] = "SELECT ext_id, line, digest "
                                "FROM prefd_upload_known($1, "
                                "ARRAY(SELECT jsonb_array_elements_text($2::jsonb)))";
/* Ids for a batch's items ($1 how many) and responses ($2). */
static const char ids_sql[] = "SELECT kind, first, n, list "
                              "FROM prefd_upload_ids($1, $2)";
/* Completes the upload of project $1: the model pairs' new comparisons ($2, JSON). */
static const char end_sql[] = "SELECT prefd_upload_end($1, $2::jsonb)";

/* A model pair: its comparisons before the upload, and those the upload adds. */
struct pair {
        int64_t lo, hi;
        int64_t base;
        long added;
};

/* What the database said of one line of the batch. */
enum fate { NEW, UNCHANGED, REJECTED };

enum copy_step { C_ITEMS, C_RESPONSES, C_COMPARISONS, C_SEEN, C_DONE };

struct store {
        json_t *models;      /* name -> id */
        struct u64map dense; /* model id -> dense index */
        size_t ndense;
        struct u64map pair_map; /* dense lo << 32 | dense hi -> index in pairs */
        struct pair *pairs;
        size_t npairs, pairs_cap;
        struct rng rng;
        /* the batch being stored */
        json_t *batch;                   /* borrowed from bulk */
        enum fate *fates;                /* per record */
        long new_items;                  /* records that are new items */
        int64_t *ids;                    /* ids for the batch's items, then its responses */
        long want_items, want_responses; /* ids asked for: every record might be new */
        struct buf rows[C_DONE];         /* COPY rows per table */
        int pending;                     /* statements of the batch in the database */
        bool failed;                     /* one of them failed */
};

void itemstore_free(void *p)
{
        struct store *s = p;
        if (!s)
                return;
        json_decref(s->models);
        u64map_fini(&s->dense);
        u64map_fini(&s->pair_map);
        free(s->pairs);
        free(s->fates);
        free(s->ids);
        for (int i = 0; i < C_DONE; i++)
                buf_fini(&s->rows[i]);
        free(s);
}

/* The pair of models lo < hi, made when first seen (base 0 unless given). NULL: out of memory. */
static struct pair *pair_of(struct store *s, int64_t lo, int64_t hi)
{
        uint32_t d[2], at;
        int64_t ids[2] = { lo, hi };
        for (int k = 0; k < 2; k++) {
                if (u64map_get(&s->dense, (uint64_t)ids[k], &d[k]))
                        continue;
                d[k] = (uint32_t)s->ndense++;
                if (u64map_put(&s->dense, (uint64_t)ids[k], d[k]) != 0)
                        return NULL;
        }
        uint64_t key = (uint64_t)d[0] << 32 | d[1];
        if (u64map_get(&s->pair_map, key, &at))
                return &s->pairs[at];
        if (s->npairs == s->pairs_cap) {
                size_t cap = s->pairs_cap ? s->pairs_cap * 2 : 64;
                struct pair *p = realloc(s->pairs, cap * sizeof(*p));
                if (!p)
                        return NULL;
                s->pairs = p;
                s->pairs_cap = cap;
        }
        if (u64map_put(&s->pair_map, key, (uint32_t)s->npairs) != 0)
                return NULL;
        s->pairs[s->npairs] = (struct pair){ .lo = lo, .hi = hi };
        return &s->pairs[s->npairs++];
}

static void fail_oom(struct bulk *b)
{
        bulk_step_failed(b, 503, "unavailable", "out of memory");
        bulk_step_done(b, NULL);
}

/* --- open: the project's models and pair counts --- */

enum begin_col { B_KIND, B_A, B_B, B_N, B_NAME };

static void begun(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct store *s = bulk_state(b);
        for (int i = 0; db_res_status(res) == DB_OK && i < db_res_nrows(res); i++) {
                if (strcmp(db_res_value(res, i, B_KIND), "model") == 0) {
                        if (json_object_set_new(s->models, db_res_value(res, i, B_NAME),
                                                json_integer(db_res_int(res, i, B_A))) != 0) {
                                fail_oom(b);
                                return;
                        }
                        continue;
                }
                struct pair *p = pair_of(s, db_res_int(res, i, B_A), db_res_int(res, i, B_B));
                if (!p) {
                        fail_oom(b);
                        return;
                }
                p->base = db_res_int(res, i, B_N);
        }
        bulk_step_done(b, res);
}

void itemstore_open(struct bulk *b)
{
        struct store *s = calloc(1, sizeof(*s));
        uint64_t seed;
        if (!s || !(s->models = json_object()) || crypto_random(&seed, sizeof(seed)) != 0) {
                itemstore_free(s);
                fail_oom(b);
                return;
        }
        rng_seed(&s->rng, seed, 0);
        bulk_set_state(b, s);
        const char *params[] = { bulk_project_id(b) };
        db_pin_query(bulk_pin(b), begin_sql, 1, params, begun, b);
}

/* --- a batch --- */

/*
 * A statement of the batch failed: the upload ends with its error (the step still ends once,
 * when the batch's last statement is back).
 */
static void batch_failed(struct bulk *b, const struct db_res *res)
{
        struct store *s = bulk_state(b);
        if (s->failed || bulk_failed(b)) {
                s->failed = true;
                return;
        }
        s->failed = true;
        if (db_res_status(res) == DB_UNAVAILABLE) {
                bulk_step_failed(b, 503, "unavailable",
                                 "the database became unavailable; nothing was stored");
                return;
        }
        log_error(NULL, "msg=upload_failed kind=items sqlstate=%s detail=%s", db_res_sqlstate(res),
                  LOGQ(db_res_message(res)));
        bulk_step_failed(b, 500, "internal",
                         "the upload failed in the database; nothing was stored");
}

static void copied(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct store *s = bulk_state(b);
        if (db_res_status(res) != DB_OK)
                batch_failed(b, res);
        if (--s->pending > 0)
                return;
        bulk_step_done(b, NULL);
}

/* Queues the COPY of one table's rows (steals them) on the upload's connection. */
static void copy_rows(struct bulk *b, const char *sql, struct buf *rows)
{
        struct store *s = bulk_state(b);
        size_t len = rows->len;
        s->pending++;
        db_pin_copy(bulk_pin(b), sql, buf_take(rows), len, copied, b);
}

static void tab(struct buf *o)
{
        buf_put(o, "\t", 1);
}

/* The responses and item of one ordinary comparison, until its turn is known. */
struct cmp_row {
        int64_t item, resp_lo, resp_hi;
};

static int by_turn(const void *x, const void *y)
{
        const struct turns_cmp *a = x, *c = y;
        if (a->turn != c->turn)
                return a->turn < c->turn ? -1 : 1;
        return (a->rank > c->rank) - (a->rank < c->rank);
}

/* The new items' rows (ids from s->ids, in record order). 0, or -1 when out of memory. */
static int format_items(struct bulk *b)
{
        struct store *s = bulk_state(b);
        struct buf *items = &s->rows[C_ITEMS];
        const char *project = bulk_project_id(b);
        size_t i, at = 0;
        json_t *rec;
        json_array_foreach(s->batch, i, rec)
        {
                if (s->fates[i] != NEW)
                        continue;
                json_t *metadata = json_object_get(rec, "metadata");
                char *meta = json_is_object(metadata) ? json_dumps(metadata, JSON_COMPACT) : NULL;
                if (json_is_object(metadata) && !meta)
                        return -1;
                buf_uint(items, (uint64_t)s->ids[at++]);
                tab(items);
                buf_str(items, project);
                static const char *const fields[] = { "id",          "prompt",   "category",
                                                      "language",    NULL,       "gold",
                                                      "gold_reason", "messages", "sensitive" };
                for (size_t f = 0; f < ARRAY_LEN(fields); f++) {
                        tab(items);
                        buf_copy_field(
                            items,
                            fields[f] ? json_string_value(json_object_get(rec, fields[f])) : meta);
                }
                free(meta);
                tab(items);
                buf_str(items, "\\\\x"); /* bytea in hex, its backslash escaped for COPY */
                buf_str(items, json_string_value(json_object_get(rec, "digest")));
                buf_put(items, "\n", 1);
        }
        return items->oom ? -1 : 0;
}

/* One comparison row; turn < 0 for a control pair (its gold given). */
static void comparison_row(struct buf *o, const char *project, const struct cmp_row *row,
                           int64_t lo, int64_t hi, const char *gold, int64_t turn, uint64_t rnd)
{
        buf_str(o, project);
        tab(o);
        buf_uint(o, (uint64_t)row->item);
        tab(o);
        buf_uint(o, (uint64_t)row->resp_lo);
        tab(o);
        buf_uint(o, (uint64_t)row->resp_hi);
        tab(o);
        buf_uint(o, (uint64_t)lo);
        tab(o);
        buf_uint(o, (uint64_t)hi);
        tab(o);
        buf_str(o, gold ? gold : "\\N");
        tab(o);
        buf_uint(o, turn < 0 ? 0 : (uint64_t)turn);
        tab(o);
        buf_uint(o, rnd);
        buf_put(o, "\n", 1);
}

/*
 * The new responses and the comparisons of every pair of them, with their turns, in queue
 * order (so that the queue's index is written in one sweep). 0, or -1 when out of memory.
 */
static int format_answers(struct bulk *b)
{
        struct store *s = bulk_state(b);
        struct buf *resps = &s->rows[C_RESPONSES], *cmps = &s->rows[C_COMPARISONS];
        const char *project = bulk_project_id(b);
        const int64_t *item_ids = s->ids, *resp_ids = s->ids + s->want_items;
        size_t ncmp_max = 0, nitems = (size_t)s->new_items, i, k;
        json_t *rec;
        json_array_foreach(s->batch, i, rec)
        {
                size_t n = json_array_size(json_object_get(rec, "responses"));
                if (s->fates[i] == NEW)
                        ncmp_max += n * (n - 1) / 2;
        }
        struct turns_cmp *tc = malloc((ncmp_max + 1) * sizeof(*tc));
        struct cmp_row *cr = malloc((ncmp_max + 1) * sizeof(*cr));
        uint64_t *ranks = malloc((nitems + 1) * sizeof(*ranks));
        int rc = -1;
        if (!tc || !cr || !ranks)
                goto out;
        /* the batch's prompts in a random order (Fisher-Yates) */
        for (size_t r = 0; r < nitems; r++)
                ranks[r] = r;
        for (size_t r = nitems; r > 1; r--) {
                size_t j = (size_t)rng_below(&s->rng, r);
                uint64_t t = ranks[r - 1];
                ranks[r - 1] = ranks[j];
                ranks[j] = t;
        }
        size_t item_at = 0, resp_at = 0, ncmp = 0;
        json_array_foreach(s->batch, i, rec)
        {
                if (s->fates[i] != NEW)
                        continue;
                int64_t item = item_ids[item_at];
                uint64_t rank = ranks[item_at++];
                json_t *answers = json_object_get(rec, "responses"), *resp;
                size_t n = json_array_size(answers);
                int64_t model[64], rid[64];
                json_array_foreach(answers, k, resp)
                {
                        const char *name = json_string_value(json_object_get(resp, "model"));
                        model[k] = json_integer_value(json_object_get(s->models, name));
                        rid[k] = resp_ids[resp_at++];
                        buf_uint(resps, (uint64_t)rid[k]);
                        tab(resps);
                        buf_uint(resps, (uint64_t)item);
                        tab(resps);
                        buf_uint(resps, (uint64_t)model[k]);
                        tab(resps);
                        buf_uint(resps, k);
                        tab(resps);
                        buf_copy_field(resps, json_string_value(json_object_get(resp, "text")));
                        tab(resps);
                        buf_copy_field(resps, json_string_value(json_object_get(resp, "style")));
                        buf_put(resps, "\n", 1);
                }
                const char *gold = json_string_value(json_object_get(rec, "gold"));
                for (size_t x = 0; x < n; x++)
                        for (size_t y = x + 1; y < n; y++) {
                                size_t l = model[x] < model[y] ? x : y, h = l == x ? y : x;
                                struct cmp_row row = { item, rid[l], rid[h] };
                                if (gold) {
                                        /* an explicit pair: model_a is position 0 */
                                        size_t winner = strcmp(gold, "model_a") == 0 ? 0 : 1;
                                        comparison_row(cmps, project, &row, model[l], model[h],
                                                       strcmp(gold, "tie") == 0 ? "tie"
                                                       : winner == l            ? "lo"
                                                                                : "hi",
                                                       -1, rng_below(&s->rng, 2147483646));
                                        continue;
                                }
                                struct pair *p = pair_of(s, model[l], model[h]);
                                if (!p)
                                        goto out;
                                p->added++;
                                tc[ncmp] = (struct turns_cmp){ .lo = model[l],
                                                               .hi = model[h],
                                                               .rank = rank,
                                                               .base = p->base,
                                                               .payload = (uint32_t)ncmp };
                                cr[ncmp++] = row;
                        }
        }
        if (turns_assign(tc, ncmp) != 0)
                goto out; /* cannot happen: a prompt's models are distinct */
        for (size_t c = 0; c < ncmp; c++)
                tc[c].rank = rng_below(&s->rng, 2147483646); /* the queue's random key */
        qsort(tc, ncmp, sizeof(*tc), by_turn);
        for (size_t c = 0; c < ncmp; c++)
                comparison_row(cmps, project, &cr[tc[c].payload], tc[c].lo, tc[c].hi, NULL,
                               tc[c].turn, tc[c].rank);
        rc = resps->oom || cmps->oom ? -1 : 0;
out:
        free(tc);
        free(cr);
        free(ranks);
        return rc;
}

/*
 * Everything is known: the new lines' rows go to the database table by table, each COPY
 * formatted while the one before it is being stored, and the lines to upload_seen.
 */
static void copy_batch(struct bulk *b, bool store)
{
        struct store *s = bulk_state(b);
        if (store) {
                if (format_items(b) != 0)
                        goto oom;
                copy_rows(b, copy_items, &s->rows[C_ITEMS]);
                if (format_answers(b) != 0)
                        goto oom;
                copy_rows(b, copy_responses, &s->rows[C_RESPONSES]);
                copy_rows(b, copy_comparisons, &s->rows[C_COMPARISONS]);
        }
        copy_rows(b, copy_seen, &s->rows[C_SEEN]);
        return;
oom:
        for (int i = 0; i < C_DONE; i++)
                buf_fini(&s->rows[i]);
        if (s->pending == 0) {
                fail_oom(b);
                return;
        }
        bulk_step_failed(b, 503, "unavailable", "out of memory");
        s->failed = true; /* the step ends when the statements in flight are back */
}

static void models_made(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct store *s = bulk_state(b);
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++)
                if (json_object_set_new(s->models, db_res_value(res, i, 1),
                                        json_integer(db_res_int(res, i, 0))) != 0) {
                        fail_oom(b);
                        return;
                }
        copy_batch(b, true);
}

/* The new lines are to be stored: models first seen are made first. */
static void store_new(struct bulk *b)
{
        struct store *s = bulk_state(b);
        json_t *missing = json_array();
        size_t i, k;
        json_t *rec, *resp;
        json_array_foreach(s->batch, i, rec)
        {
                if (s->fates[i] != NEW)
                        continue;
                json_array_foreach(json_object_get(rec, "responses"), k, resp)
                {
                        json_t *name = json_object_get(resp, "model");
                        if (!json_object_get(s->models, json_string_value(name))) {
                                json_object_set_new(s->models, json_string_value(name),
                                                    json_integer(0));
                                json_array_append(missing, name);
                        }
                }
        }
        if (json_array_size(missing) == 0) {
                json_decref(missing);
                copy_batch(b, true);
                return;
        }
        char *names = json_dumps(missing, JSON_COMPACT);
        json_decref(missing);
        if (!names) {
                fail_oom(b);
                return;
        }
        const char *params[] = { bulk_project_id(b), names };
        db_pin_query(bulk_pin(b), models_sql, 2, params, models_made, b);
        free(names);
}

enum ids_col { I_KIND, I_FIRST, I_COUNT, I_LIST };

/* One kind of ids: a first id and a count when they form one run (the usual case), else a list. */
static int read_ids(const struct db_res *res, int row, long want, int64_t *out)
{
        if (db_res_int(res, row, I_COUNT) != want)
                return -1;
        if (db_res_isnull(res, row, I_LIST)) {
                int64_t first = db_res_int(res, row, I_FIRST);
                for (long i = 0; i < want; i++)
                        out[i] = first + i;
                return 0;
        }
        const char *p = db_res_value(res, row, I_LIST);
        for (long i = 0; i < want; i++) {
                while (*p == '{' || *p == ',')
                        p++;
                char *end;
                out[i] = strtoll(p, &end, 10);
                if (end == p)
                        return -1;
                p = end;
        }
        return 0;
}

/* The ids (asked for with the known lines, so they come right after them). */
static void ids_read(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct store *s = bulk_state(b);
        if (db_res_status(res) != DB_OK)
                batch_failed(b, res);
        if (s->failed) {
                bulk_step_done(b, NULL);
                return;
        }
        int irow = strcmp(db_res_value(res, 0, I_KIND), "items") == 0 ? 0 : 1;
        if (db_res_nrows(res) != 2 || read_ids(res, irow, s->want_items, s->ids) != 0 ||
            read_ids(res, 1 - irow, s->want_responses, s->ids + s->want_items) != 0) {
                log_error(NULL, "msg=upload_ids_unreadable");
                bulk_step_failed(b, 500, "internal", "the database gave no ids for the upload");
                bulk_step_done(b, NULL);
                return;
        }
        if (bulk_committing(b) && s->new_items > 0) {
                store_new(b);
                return;
        }
        /* Nothing to store (or the upload will be rolled back): only the lines are recorded. */
        copy_batch(b, false);
}

enum known_col { K_ID, K_LINE, K_DIGEST };

/* Sorts each line of the batch into new, unchanged or rejected, in line order. */
static void known_read(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct store *s = bulk_state(b);
        if (db_res_status(res) != DB_OK) {
                batch_failed(b, res);
                return; /* the ids' answer ends the step */
        }
        /* id -> [line (0: stored before), digest]: the database's, then this batch's */
        json_t *known = json_object();
        if (!known) {
                bulk_step_failed(b, 503, "unavailable", "out of memory");
                s->failed = true;
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(known, db_res_value(res, i, K_ID),
                                    json_pack("[I, s]", (json_int_t)db_res_int(res, i, K_LINE),
                                              db_res_value(res, i, K_DIGEST)));
        struct buf *seen = &s->rows[C_SEEN];
        size_t i;
        json_t *rec;
        s->new_items = 0;
        json_array_foreach(s->batch, i, rec)
        {
                const char *id = json_string_value(json_object_get(rec, "id"));
                const char *digest = json_string_value(json_object_get(rec, "digest"));
                json_int_t line = json_integer_value(json_object_get(rec, "line"));
                json_t *k = json_object_get(known, id);
                if (!k) {
                        s->fates[i] = NEW;
                        s->new_items++;
                        json_object_set_new(known, id, json_pack("[I, s]", line, digest));
                        buf_copy_field(seen, id);
                        tab(seen);
                        buf_uint(seen, (uint64_t)line);
                        tab(seen);
                        buf_str(seen, digest);
                        buf_put(seen, "\n", 1);
                        continue;
                }
                json_int_t first = json_integer_value(json_array_get(k, 0));
                if (strcmp(json_string_value(json_array_get(k, 1)), digest) == 0) {
                        s->fates[i] = UNCHANGED;
                        bulk_unchanged(b, 1);
                        continue;
                }
                char msg[400];
                s->fates[i] = REJECTED;
                if (first > 0) {
                        snprintf(msg, sizeof(msg),
                                 "id \"%.200s\" is on line %lld of this upload already, with "
                                 "different content",
                                 id, (long long)first);
                        bulk_reject(b, (unsigned long)line, id, "duplicate", msg);
                } else {
                        snprintf(msg, sizeof(msg),
                                 "an item with id \"%.200s\" was uploaded before with different "
                                 "content",
                                 id);
                        bulk_reject(b, (unsigned long)line, id, "conflict", msg);
                }
        }
        json_decref(known);
        bulk_accepted(b, s->new_items); /* stored once the upload commits */
        if (seen->oom) {
                bulk_step_failed(b, 503, "unavailable", "out of memory");
                s->failed = true;
        }
}

/*
 * A batch: which ids are known, and ids for every record that may be new, in one round trip
 * (unused ids are gaps in the sequences, as after any rollback).
 */
void itemstore_store(struct bulk *b, json_t *batch)
{
        struct store *s = bulk_state(b);
        size_t n = json_array_size(batch), i;
        json_t *rec;
        s->batch = batch;
        s->failed = false;
        s->want_items = (long)n;
        s->want_responses = 0;
        json_array_foreach(batch, i, rec) s->want_responses +=
            (long)json_array_size(json_object_get(rec, "responses"));
        free(s->fates);
        free(s->ids);
        s->fates = calloc(n + 1, sizeof(*s->fates));
        s->ids = malloc(((size_t)(s->want_items + s->want_responses) + 1) * sizeof(*s->ids));
        json_t *ids = json_array();
        json_array_foreach(batch, i, rec) json_array_append(ids, json_object_get(rec, "id"));
        char *text = ids ? json_dumps(ids, JSON_COMPACT) : NULL;
        json_decref(ids);
        if (!s->fates || !s->ids || !text) {
                free(text);
                fail_oom(b);
                return;
        }
        char ni[24], nr[24];
        snprintf(ni, sizeof(ni), "%ld", s->want_items);
        snprintf(nr, sizeof(nr), "%ld", s->want_responses);
        const char *known_params[] = { bulk_project_id(b), text };
        const char *id_params[] = { ni, nr };
        db_pin_query(bulk_pin(b), known_sql, 2, known_params, known_read, b);
        db_pin_query(bulk_pin(b), ids_sql, 2, id_params, ids_read, b);
        free(text);
}

/* --- close: the pairs' new counts --- */

static void ended(const struct db_res *res, void *arg)
{
        bulk_step_done(arg, res);
}

void itemstore_close(struct bulk *b)
{
        struct store *s = bulk_state(b);
        json_t *pairs = json_array();
        for (size_t i = 0; pairs && i < s->npairs; i++)
                if (s->pairs[i].added)
                        json_array_append_new(pairs, json_pack("{s:I, s:I, s:I}", "lo",
                                                               (json_int_t)s->pairs[i].lo, "hi",
                                                               (json_int_t)s->pairs[i].hi, "n",
                                                               (json_int_t)s->pairs[i].added));
        char *text = pairs ? json_dumps(pairs, JSON_COMPACT) : NULL;
        json_decref(pairs);
        if (!text) {
                fail_oom(b);
                return;
        }
        const char *params[] = { bulk_project_id(b), text };
        db_pin_query(bulk_pin(b), end_sql, 2, params, ended, b);
        free(text);
}
