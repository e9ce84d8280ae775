/*
 * api_votes.c - votes in bulk: POST .../votes/import (historical votes, streamed through bulk.h).
 *
 * An import line is {"model_a", "model_b", "winner", "prompt_id"?, "rater"?, "created_at"?,
 * "category"?, "language"?}. The Chatbot Arena names "question_id", "judge" and "tstamp" (Unix
 * seconds) are accepted for prompt_id, rater and created_at, and "tie (bothbad)" for both_bad,
 * so that the arena layout of our own export imports again. Models are created on first sight;
 * a prompt_id naming an uploaded item links the vote to it (its category and language apply
 * unless given).
 */
#include "api.h"

#include "app.h"
#include "buf.h"
#include "bulk.h"
#include "db.h"
#include "log.h"
#include "jsonv.h"
#include "u64map.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const import_fields[] = { "model_a",     "model_b",    "winner",   "prompt_id",
                                             "rater",       "created_at", "category", "language",
                                             "question_id", "judge",      "tstamp",   NULL };

static const struct {
        const char *label;
        const char *choice;
} winners[] = {
        { "model_a", "a" },
        { "model_b", "b" },
        { "tie", "tie" },
        { "both_bad", "both_bad" },
        { "tie (bothbad)", "both_bad" },
};

static bool plain_text(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* One of two alternative names, not both; NULL when neither. */
static const char *either(struct jv *v, const char *a, const char *b, size_t maxlen)
{
        if (jv_has(v, a) && jv_has(v, b)) {
                jv_fail(v, b, "give \"%s\" or \"%s\", not both", a, b);
                return NULL;
        }
        return jv_string(v, jv_has(v, b) ? b : a, JV_OPTIONAL, 0, maxlen);
}

/* Writes n decimal digits of x (zero-padded) at p; returns the end. */
static char *digits(char *p, long x, int n)
{
        for (int i = n - 1; i >= 0; i--, x /= 10)
                p[i] = (char)('0' + x % 10);
        return p + n;
}

/*
 * A Unix time in seconds (0 to year 9999) as RFC 3339 UTC with microseconds into out (at least
 * 28 bytes). By hand rather than snprintf: imports format one per vote.
 */
static void utc_text(double secs, char *out)
{
        double whole = floor(secs);
        time_t t = (time_t)whole;
        struct tm tm;
        gmtime_r(&t, &tm);
        char *p = digits(out, tm.tm_year + 1900, 4);
        *p++ = '-';
        p = digits(p, tm.tm_mon + 1, 2);
        *p++ = '-';
        p = digits(p, tm.tm_mday, 2);
        *p++ = 'T';
        p = digits(p, tm.tm_hour, 2);
        *p++ = ':';
        p = digits(p, tm.tm_min, 2);
        *p++ = ':';
        p = digits(p, tm.tm_sec, 2);
        *p++ = '.';
        p = digits(p, (long)((secs - whole) * 1e6) % 1000000, 6);
        *p++ = 'Z';
        *p = '\0';
}

static json_t *vote_of(struct jv *v, json_t *o, unsigned long line, const struct config *cfg)
{
        /* An optional field given as null is absent (the arena layout writes null judges). */
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(o, tmp, key, val)
        {
                if (json_is_null(val) && strcmp(key, "model_a") != 0 &&
                    strcmp(key, "model_b") != 0 && strcmp(key, "winner") != 0)
                        json_object_del(o, key);
        }
        jv_keys(v, import_fields);
        const char *ma = jv_string(v, "model_a", JV_REQUIRED, 1, 200);
        const char *mb = jv_string(v, "model_b", JV_REQUIRED, 1, 200);
        const char *winner = jv_string(v, "winner", JV_REQUIRED, 1, 64);
        const char *prompt = either(v, "prompt_id", "question_id", 200);
        const char *rater = either(v, "rater", "judge", 200);
        jv_string(v, "category", JV_OPTIONAL, 0, 100);
        jv_string(v, "language", JV_OPTIONAL, 0, 35);
        const char *created = jv_string(v, "created_at", JV_OPTIONAL, 1, 64);
        double tstamp = 0;
        bool has_tstamp = jv_number(v, "tstamp", JV_OPTIONAL, 0, 32503680000.0, &tstamp);
        if (v->failed)
                return NULL;
        if (!plain_text(ma) || !plain_text(mb)) {
                jv_fail(v, "model_a", "model names must not contain control characters");
                return NULL;
        }
        if (strcmp(ma, mb) == 0) {
                jv_fail(v, "model_b", "model_a and model_b are both \"%s\"", ma);
                return NULL;
        }
        const char *choice = NULL;
        for (size_t i = 0; i < ARRAY_LEN(winners) && !choice; i++)
                if (strcmp(winners[i].label, winner) == 0)
                        choice = winners[i].choice;
        if (!choice) {
                jv_fail(v, "winner",
                        "unknown winner \"%s\" (model_a, model_b, tie, both_bad or \"tie "
                        "(bothbad)\")",
                        winner);
                return NULL;
        }
        if (created && has_tstamp) {
                jv_fail(v, "tstamp", "give \"created_at\" or \"tstamp\", not both");
                return NULL;
        }
        if (created && !jv_is_timestamp(created, false)) {
                jv_fail(v, "created_at",
                        "\"created_at\" must be an RFC 3339 timestamp such as "
                        "2024-05-01T12:00:00Z");
                return NULL;
        }
        char when[32];
        if (has_tstamp) {
                utc_text(tstamp, when);
                created = when;
        }
        /* The record goes to the batch as parsed, with canonical names added. */
        if (json_object_set_new(o, "choice", json_string(choice)) != 0 ||
            (has_tstamp && json_object_set_new(o, "created_at", json_string(created)) != 0) ||
            (jv_has(v, "question_id") &&
             json_object_set_new(o, "prompt_id", json_string(prompt)) != 0) ||
            (jv_has(v, "judge") && json_object_set_new(o, "rater", json_string(rater)) != 0)) {
                jv_fail(v, NULL, "out of memory");
                return NULL;
        }
        return json_incref(o);
}

/* --- storing: COPY into imported_votes --- */

/* Outcome counts of one model pair over the whole import (lower model id first). */
struct pair_tally {
        int64_t lo, hi;
        long lo_wins, hi_wins, ties, both_bad, left_wins, right_wins;
};

struct import {
        char id[24];         /* the imports row */
        json_t *models;      /* model name -> id */
        json_t *items;       /* item ext_id -> [id, category, language] */
        struct u64map dense; /* model id -> dense index */
        size_t ndense;
        struct u64map pair_index; /* dense lo << 32 | dense hi -> index in pairs */
        struct pair_tally *pairs;
        size_t npairs, cap;
        int64_t first_id, last_id;
        long votes;
        json_t *batch; /* borrowed: the batch being stored */
};

static void import_free(void *p)
{
        struct import *im = p;
        json_decref(im->models);
        json_decref(im->items);
        u64map_fini(&im->dense);
        u64map_fini(&im->pair_index);
        free(im->pairs);
        free(im);
}

static int dense_of(struct import *im, int64_t id, uint32_t *out)
{
        if (u64map_get(&im->dense, (uint64_t)id, out))
                return 0;
        *out = (uint32_t)im->ndense++;
        return u64map_put(&im->dense, (uint64_t)id, *out);
}

static struct pair_tally *pair_of(struct import *im, int64_t lo, int64_t hi)
{
        uint32_t a, b, at;
        if (dense_of(im, lo, &a) != 0 || dense_of(im, hi, &b) != 0)
                return NULL;
        uint64_t key = (uint64_t)a << 32 | b;
        if (u64map_get(&im->pair_index, key, &at))
                return &im->pairs[at];
        if (im->npairs == im->cap) {
                size_t cap = im->cap ? im->cap * 2 : 256;
                struct pair_tally *p = realloc(im->pairs, cap * sizeof(*p));
                if (!p)
                        return NULL;
                im->pairs = p;
                im->cap = cap;
        }
        if (u64map_put(&im->pair_index, key, (uint32_t)im->npairs) != 0)
                return NULL;
        struct pair_tally *t = &im->pairs[im->npairs++];
        *t = (struct pair_tally){ .lo = lo, .hi = hi };
        return t;
}

static void count(struct pair_tally *t, int64_t left, int64_t right, const char *choice)
{
        bool left_lo = left < right;
        if (strcmp(choice, "a") == 0) {
                t->left_wins++;
                *(left_lo ? &t->lo_wins : &t->hi_wins) += 1;
        } else if (strcmp(choice, "b") == 0) {
                t->right_wins++;
                *(left_lo ? &t->hi_wins : &t->lo_wins) += 1;
        } else if (strcmp(choice, "tie") == 0) {
                t->ties++;
        } else {
                t->both_bad++;
        }
}

static void copied(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (db_res_status(res) == DB_OK) {
                long n = (long)json_array_size(im->batch);
                im->votes += n;
                bulk_accepted(b, n);
        }
        im->batch = NULL;
        bulk_step_done(b, res);
}

/* The batch's rows, with model ids, item links and ids from the vote sequence. */
static void got_ids(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return;
        }
        char now[40];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
        struct buf out = { 0 };
        size_t i;
        json_t *v;
        json_array_foreach(im->batch, i, v)
        {
                const char *id = db_res_value(res, (int)i, 0);
                int64_t vid = strtoll(id, NULL, 10);
                if (!im->first_id || vid < im->first_id)
                        im->first_id = vid;
                if (vid > im->last_id)
                        im->last_id = vid;
                int64_t left = json_integer_value(
                    json_object_get(im->models, json_string_value(json_object_get(v, "model_a"))));
                int64_t right = json_integer_value(
                    json_object_get(im->models, json_string_value(json_object_get(v, "model_b"))));
                const char *choice = json_string_value(json_object_get(v, "choice"));
                const char *prompt = json_string_value(json_object_get(v, "prompt_id"));
                json_t *item = prompt ? json_object_get(im->items, prompt) : NULL;
                const char *category = json_string_value(json_object_get(v, "category"));
                const char *language = json_string_value(json_object_get(v, "language"));
                const char *created = json_string_value(json_object_get(v, "created_at"));
                buf_str(&out, id);
                buf_put(&out, "\t", 1);
                buf_str(&out, bulk_project_id(b));
                buf_put(&out, "\t", 1);
                buf_str(&out, im->id);
                buf_put(&out, "\t", 1);
                buf_uint(&out, (uint64_t)left);
                buf_put(&out, "\t", 1);
                buf_uint(&out, (uint64_t)right);
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, choice);
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, prompt);
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, item ? json_string_value(json_array_get(item, 0)) : NULL);
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, json_string_value(json_object_get(v, "rater")));
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, category ? category
                                     : item   ? json_string_value(json_array_get(item, 1))
                                              : "");
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, language ? language
                                     : item   ? json_string_value(json_array_get(item, 2))
                                              : "");
                buf_put(&out, "\t", 1);
                buf_copy_field(&out, created ? created : now);
                buf_put(&out, "\n", 1);
                struct pair_tally *pt =
                    pair_of(im, left < right ? left : right, left < right ? right : left);
                if (!pt || !left || !right) {
                        out.oom = true;
                        break;
                }
                count(pt, left, right, choice);
        }
        if (out.oom) {
                free(out.data);
                bulk_step_failed(b, 503, "unavailable", "out of memory");
                bulk_step_done(b, NULL);
                return;
        }
        db_pin_copy(bulk_pin(b),
                    "COPY imported_votes (id, project_id, import_id, model_left, model_right, "
                    "choice, prompt_ext, item_id, rater_label, category, language, created_at) "
                    "FROM STDIN",
                    out.data, out.len, copied, b);
}

static void take_ids(struct bulk *b)
{
        struct import *im = bulk_state(b);
        char n[24];
        snprintf(n, sizeof(n), "%zu", json_array_size(im->batch));
        const char *params[] = { n };
        db_pin_query(bulk_pin(b), "SELECT nextval('votes_id_seq') FROM generate_series(1, $1)", 1,
                     params, got_ids, b);
}

static void models_made(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(im->models, db_res_value(res, i, 1),
                                    json_integer((json_int_t)db_res_int(res, i, 0)));
        take_ids(b);
}

static void import_store(struct bulk *b, json_t *batch)
{
        struct import *im = bulk_state(b);
        im->batch = batch;
        json_t *missing = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(batch, i, v)
        {
                const char *names[] = { json_string_value(json_object_get(v, "model_a")),
                                        json_string_value(json_object_get(v, "model_b")) };
                for (int k = 0; k < 2; k++)
                        if (!json_object_get(im->models, names[k])) {
                                json_object_set_new(im->models, names[k], json_integer(0));
                                json_array_append_new(missing, json_string(names[k]));
                        }
        }
        if (json_array_size(missing) == 0) {
                json_decref(missing);
                take_ids(b);
                return;
        }
        /* Models seen for the first time are made now (their ids come back). */
        char *names = json_dumps(missing, JSON_COMPACT);
        json_decref(missing);
        const char *params[] = { bulk_project_id(b), names };
        db_pin_query(bulk_pin(b), "SELECT id, name FROM prefd_models_ensure($1, $2::jsonb)", 2,
                     params, models_made, b);
        free(names);
}

static void items_known(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(im->items, db_res_value(res, i, 1),
                                    json_pack("[s, s, s]", db_res_value(res, i, 0),
                                              db_res_value(res, i, 2), db_res_value(res, i, 3)));
        bulk_step_done(b, res);
}

static void models_known(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return;
        }
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(im->models, db_res_value(res, i, 1),
                                    json_integer((json_int_t)db_res_int(res, i, 0)));
        const char *params[] = { bulk_project_id(b) };
        db_pin_query(bulk_pin(b),
                     "SELECT id, ext_id, category, language FROM items WHERE project_id = $1", 1,
                     params, items_known, b);
}

static void import_made(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return;
        }
        snprintf(im->id, sizeof(im->id), "%s", db_res_value(res, 0, 0));
        const char *params[] = { bulk_project_id(b) };
        db_pin_query(bulk_pin(b), "SELECT id, name FROM models WHERE project_id = $1", 1, params,
                     models_known, b);
}

/* Opens the import: its row, and the project's models and items by name. */
static void import_open(struct bulk *b)
{
        struct import *im = calloc(1, sizeof(*im));
        if (im) {
                im->models = json_object();
                im->items = json_object();
        }
        if (!im || !im->models || !im->items) {
                if (im)
                        import_free(im);
                bulk_step_failed(b, 503, "unavailable", "out of memory");
                bulk_step_done(b, NULL);
                return;
        }
        bulk_set_state(b, im);
        const char *params[] = { bulk_project_id(b), bulk_user_id(b) };
        db_pin_query(bulk_pin(b),
                     "INSERT INTO imports (project_id, user_id) VALUES ($1, $2) RETURNING id", 2,
                     params, import_made, b);
}

static void finished(const struct db_res *res, void *arg)
{
        bulk_step_done(arg, res);
}

/* Records the import's id range and adds its pair totals, once. */
static void import_close(struct bulk *b)
{
        struct import *im = bulk_state(b);
        json_t *pairs = json_array();
        for (size_t i = 0; i < im->npairs; i++) {
                const struct pair_tally *t = &im->pairs[i];
                json_array_append_new(
                    pairs,
                    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "lo", (json_int_t)t->lo,
                              "hi", (json_int_t)t->hi, "lo_wins", (json_int_t)t->lo_wins, "hi_wins",
                              (json_int_t)t->hi_wins, "ties", (json_int_t)t->ties, "both_bad",
                              (json_int_t)t->both_bad, "left_wins", (json_int_t)t->left_wins,
                              "right_wins", (json_int_t)t->right_wins));
        }
        char *text = json_dumps(pairs, JSON_COMPACT);
        json_decref(pairs);
        char first[24], last[24], votes[24];
        snprintf(first, sizeof(first), "%lld", (long long)im->first_id);
        snprintf(last, sizeof(last), "%lld", (long long)im->last_id);
        snprintf(votes, sizeof(votes), "%ld", im->votes);
        const char *params[] = { im->id, im->votes ? first : NULL, im->votes ? last : NULL, votes,
                                 text ? text : "[]" };
        db_pin_query(bulk_pin(b), "SELECT prefd_import_finish($1, $2, $3, $4, $5::jsonb)", 5,
                     params, finished, b);
        free(text);
}

static const struct bulk_kind imports = {
        .what = "votes",
        .batch_records = 2000, /* smaller: freeing a big batch makes malloc consolidate */
        .check = vote_of,
        .open = import_open,
        .store = import_store,
        .close = import_close,
        .state_free = import_free,
};

void api_votes_import(struct req *r)
{
        bulk_run(r, &imports);
}

/* --- export: GET .../votes?format=jsonl|csv|arena|dpo --- */

/*
 * Every counted vote (rated votes on ordinary comparisons and imported votes; not control pairs),
 * oldest id first, filtered like the leaderboard. The rows come from a cursor inside a
 * repeatable-read, read-only transaction (one consistent snapshot however long the download),
 * EXPORT_FETCH at a time, and each fetch is written only once the client has taken the previous
 * ones: memory stays the same whatever the number of votes.
 */

enum export_format { EXPORT_JSONL, EXPORT_CSV, EXPORT_ARENA, EXPORT_DPO };

#define EXPORT_FETCH 2000

static const char *const format_names[] = { "jsonl", "csv", "arena", "dpo", NULL };

struct export
{
        struct req *req;
        enum export_format format;
        struct db_pin *pin;
        char slug[72];
        char category[128], language[64], since[64], until[64];
        unsigned long rows;
        bool streaming; /* the reply has begun */
        struct buf out; /* one fetch's formatted rows */
};

enum export_col {
        X_ID,
        X_CREATED,
        X_PROMPT_ID,
        X_CATEGORY,
        X_LANGUAGE,
        X_MODEL_A,
        X_MODEL_B,
        X_CHOICE,
        X_FLAGS_A, /* labels joined by ';' */
        X_FLAGS_B,
        X_RATIONALE,
        X_ELAPSED,
        X_RATER,
        X_GUIDELINES,
        X_SOURCE,
        X_EPOCH, /* created_at in Unix seconds */
        X_PROMPT,
        X_TEXT_A,
        X_TEXT_B,
};

static const char *const csv_header =
    "vote_id,created_at,prompt_id,category,language,model_a,model_b,winner,flags_a,flags_b,"
    "rationale,elapsed_ms,rater,guidelines_version,source\r\n";

static void export_free(void *p)
{
        struct export *x = p;
        if (x->pin)
                db_unpin(x->pin); /* rolls back the read-only transaction */
        free(x->out.data);
        free(x);
}

/* A CSV field per RFC 4180: quoted when it holds a comma, quote or line break. */
static void put_csv(struct buf *b, const char *s)
{
        if (!strpbrk(s, ",\"\r\n")) {
                buf_str(b, s);
                return;
        }
        buf_put(b, "\"", 1);
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        buf_put(b, "\"", 1);
                buf_put(b, p, 1);
        }
        buf_put(b, "\"", 1);
}

static const char *winner_of(const char *choice, bool arena)
{
        if (strcmp(choice, "a") == 0)
                return "model_a";
        if (strcmp(choice, "b") == 0)
                return "model_b";
        if (strcmp(choice, "tie") == 0)
                return "tie";
        return arena ? "tie (bothbad)" : "both_bad";
}

static json_t *text_or_null(const struct db_res *r, int row, int col)
{
        return db_res_isnull(r, row, col) ? json_null() : json_string(db_res_value(r, row, col));
}

static json_t *int_or_null(const struct db_res *r, int row, int col)
{
        return db_res_isnull(r, row, col) ? json_null()
                                          : json_integer((json_int_t)db_res_int(r, row, col));
}

static json_t *flags_array(const char *joined)
{
        json_t *a = json_array();
        const char *p = joined;
        while (*p) {
                const char *end = strchr(p, ';');
                size_t n = end ? (size_t)(end - p) : strlen(p);
                json_array_append_new(a, json_stringn(p, n));
                p += n + (end ? 1 : 0);
        }
        return a;
}

/* One row in the export's format (DPO rows without both texts or without a winner are left out). */
static void format_row(struct export *x, const struct db_res *r, int i)
{
        const char *choice = db_res_value(r, i, X_CHOICE);
        json_t *o = NULL;
        if (x->format == EXPORT_CSV) {
                for (int c = X_ID; c <= X_SOURCE; c++) {
                        if (c > X_ID)
                                buf_put(&x->out, ",", 1);
                        put_csv(&x->out,
                                c == X_CHOICE ? winner_of(choice, false) : db_res_value(r, i, c));
                }
                buf_put(&x->out, "\r\n", 2);
                x->rows++;
                return;
        }
        if (x->format == EXPORT_JSONL) {
                o = json_pack(
                    "{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, "
                    "s:o, s:s}",
                    "vote_id", (json_int_t)db_res_int(r, i, X_ID), "created_at",
                    db_res_value(r, i, X_CREATED), "prompt_id", text_or_null(r, i, X_PROMPT_ID),
                    "category", db_res_value(r, i, X_CATEGORY), "language",
                    db_res_value(r, i, X_LANGUAGE), "model_a", db_res_value(r, i, X_MODEL_A),
                    "model_b", db_res_value(r, i, X_MODEL_B), "winner", winner_of(choice, false),
                    "flags_a", flags_array(db_res_value(r, i, X_FLAGS_A)), "flags_b",
                    flags_array(db_res_value(r, i, X_FLAGS_B)), "rationale",
                    db_res_value(r, i, X_RATIONALE), "elapsed_ms", int_or_null(r, i, X_ELAPSED),
                    "rater", text_or_null(r, i, X_RATER), "guidelines_version",
                    int_or_null(r, i, X_GUIDELINES), "source", db_res_value(r, i, X_SOURCE));
        } else if (x->format == EXPORT_ARENA) {
                o = json_pack(
                    "{s:s, s:s, s:s, s:f, s:o, s:o, s:s}", "model_a", db_res_value(r, i, X_MODEL_A),
                    "model_b", db_res_value(r, i, X_MODEL_B), "winner", winner_of(choice, true),
                    "tstamp", db_res_double(r, i, X_EPOCH), "judge", text_or_null(r, i, X_RATER),
                    "question_id", text_or_null(r, i, X_PROMPT_ID), "language",
                    db_res_value(r, i, X_LANGUAGE));
        } else {
                bool decided = strcmp(choice, "a") == 0 || strcmp(choice, "b") == 0;
                if (!decided || db_res_isnull(r, i, X_PROMPT) || db_res_isnull(r, i, X_TEXT_A) ||
                    db_res_isnull(r, i, X_TEXT_B))
                        return;
                bool a = choice[0] == 'a';
                o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "prompt", db_res_value(r, i, X_PROMPT),
                              "chosen", db_res_value(r, i, a ? X_TEXT_A : X_TEXT_B), "rejected",
                              db_res_value(r, i, a ? X_TEXT_B : X_TEXT_A), "chosen_model",
                              db_res_value(r, i, a ? X_MODEL_A : X_MODEL_B), "rejected_model",
                              db_res_value(r, i, a ? X_MODEL_B : X_MODEL_A));
        }
        char *line = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(16)) : NULL;
        json_decref(o);
        if (!line) {
                x->out.oom = true;
                return;
        }
        buf_str(&x->out, line);
        buf_put(&x->out, "\n", 1);
        free(line);
        x->rows++;
}

static void fetch(struct export *x);

/* The connection is dead or the database failed after the stream began: cut it short. */
static void export_abort(struct export *x, const char *why)
{
        log_warn(x->req->id, "msg=export_aborted rows=%lu reason=%s", x->rows, LOGQ(why));
        req_stream_abort(x->req);
}

static void drained(struct req *r)
{
        fetch(r->state);
}

static void fetched(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        struct req *r = x->req;
        if (db_res_status(res) != DB_OK) {
                if (x->streaming)
                        export_abort(x, db_res_message(res));
                else if (!req_db_failed(r, res))
                        req_reply_error(r, 500, "internal", NULL, "the export failed");
                return;
        }
        if (!x->streaming) {
                static const char *const types[] = { "application/x-ndjson",
                                                     "text/csv; charset=utf-8",
                                                     "application/x-ndjson",
                                                     "application/x-ndjson" };
                char disposition[160];
                snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s-%s.%s\"",
                         x->slug, format_names[x->format],
                         x->format == EXPORT_CSV ? "csv" : "jsonl");
                req_add_header(r, "Content-Disposition", disposition);
                req_stream_begin(r, 200, types[x->format]);
                x->streaming = true;
                if (x->format == EXPORT_CSV)
                        buf_str(&x->out, csv_header);
        }
        int rows = db_res_nrows(res);
        for (int i = 0; i < rows && !x->out.oom; i++)
                format_row(x, res, i);
        if (x->out.oom) {
                export_abort(x, "out of memory");
                return;
        }
        if (x->out.len && req_stream_write(r, x->out.data, x->out.len) != 0) {
                export_abort(x, "the client went away");
                return;
        }
        x->out.len = 0;
        if (rows < EXPORT_FETCH) {
                log_info(r->id, "msg=exported format=%s votes=%lu", format_names[x->format],
                         x->rows);
                req_stream_end(r);
                return;
        }
        /* Fetch more once the client has taken most of what is queued. */
        if (req_stream_congested(r))
                req_stream_on_drain(r, drained);
        else
                fetch(x);
}

static void fetch(struct export *x)
{
        if (!x->req->conn) {
                export_abort(x, "the client went away");
                return;
        }
        db_pin_query(x->pin, "FETCH FORWARD " PREFD_STR(EXPORT_FETCH) " FROM export", 0, NULL,
                     fetched, x);
}

static void declared(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        if (req_db_failed(x->req, res))
                return;
        fetch(x);
}

static void export_begun(const struct db_res *res, void *arg)
{
        struct export *x = arg;
        if (req_db_failed(x->req, res))
                return;
        bool dpo = x->format == EXPORT_DPO;
        const char *params[] = { x->slug,
                                 x->category[0] ? x->category : NULL,
                                 x->language[0] ? x->language : NULL,
                                 x->since[0] ? x->since : NULL,
                                 x->until[0] ? x->until : NULL,
                                 dpo ? "true" : "false" };
        db_pin_query(
            x->pin,
            "DECLARE export NO SCROLL CURSOR FOR "
            "SELECT v.id, prefd_ts(v.created_at), v.prompt_ext, v.category, v.language, "
            "ml.name, mr.name, v.choice, array_to_string(v.flags_left, ';'), "
            "array_to_string(v.flags_right, ';'), v.rationale, v.elapsed_ms, "
            "coalesce(u.pseudonym, 'x-' || substr(md5(v.project_id || ':' || v.rater_label), "
            "1, 12)), v.guidelines_version, v.source, extract(epoch FROM v.created_at), "
            "i.prompt, ra.text, rb.text "
            "FROM prefd_all_votes v "
            "JOIN models ml ON ml.id = v.model_left JOIN models mr ON mr.id = v.model_right "
            "LEFT JOIN users u ON u.id = v.rater_id "
            "LEFT JOIN items i ON $6 AND i.id = v.item_id "
            "LEFT JOIN responses ra ON $6 AND ra.item_id = v.item_id AND ra.model_id = "
            "v.model_left "
            "LEFT JOIN responses rb ON $6 AND rb.item_id = v.item_id AND rb.model_id = "
            "v.model_right "
            "WHERE v.project_id = (SELECT id FROM projects WHERE slug = $1) AND NOT v.is_gold "
            "AND ($2::text IS NULL OR v.category = $2) AND ($3::text IS NULL OR v.language = "
            "$3) AND ($4::timestamptz IS NULL OR v.created_at >= $4) "
            "AND ($5::timestamptz IS NULL OR v.created_at < $5) "
            "ORDER BY v.id",
            6, params, declared, x);
}

static void export_pinned(struct db_pin *pin, void *arg)
{
        struct export *x = arg;
        if (!pin) {
                req_reply_error(x->req, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
                return;
        }
        x->pin = pin;
        db_pin_script(pin, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", export_begun, x);
}

static void export_project(struct req *r, const struct db_res *res)
{
        struct export *x = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", x->slug);
                return;
        }
        db_pin(req_db_pool(r), export_pinned, x);
}

void api_votes_export(struct req *r)
{
        struct export *x = calloc(1, sizeof(*x));
        if (!x) {
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        x->req = r;
        req_set_state(r, x, export_free);
        req_db_may_lag(r); /* one snapshot of a standby's copy will do */
        snprintf(x->slug, sizeof(x->slug), "%s", req_param(r, 0));
        char format[16] = "jsonl";
        struct {
                const char *name;
                char *out;
                size_t len;
        } text[] = { { "category", x->category, sizeof(x->category) },
                     { "language", x->language, sizeof(x->language) },
                     { "since", x->since, sizeof(x->since) },
                     { "until", x->until, sizeof(x->until) } };
        for (size_t i = 0; i < ARRAY_LEN(text); i++) {
                if (req_query(r, text[i].name, text[i].out, text[i].len) < 0) {
                        req_reply_error(r, 400, "bad_request", NULL, "%s is malformed or too long",
                                        text[i].name);
                        return;
                }
        }
        if (req_query(r, "format", format, sizeof(format)) < 0) {
                req_reply_error(r, 400, "bad_request", NULL,
                                "format must be jsonl, csv, arena or dpo");
                return;
        }
        int f = -1;
        for (int i = 0; format_names[i]; i++)
                if (strcmp(format, format_names[i]) == 0)
                        f = i;
        if (f < 0) {
                req_reply_error(r, 400, "bad_request", NULL,
                                "format must be jsonl, csv, arena or dpo");
                return;
        }
        x->format = (enum export_format)f;
        const char *bad = x->since[0] && !jv_is_timestamp(x->since, true)   ? "since"
                          : x->until[0] && !jv_is_timestamp(x->until, true) ? "until"
                                                                            : NULL;
        if (bad) {
                req_reply_error(r, 400, "bad_request", NULL,
                                "%s must be an RFC 3339 timestamp (2024-05-01T12:00:00Z) or a date "
                                "(2024-05-01)",
                                bad);
                return;
        }
        int64_t since_us, until_us;
        if (x->since[0] && x->until[0] && jv_parse_timestamp(x->since, true, &since_us) &&
            jv_parse_timestamp(x->until, true, &until_us) && since_us > until_us) {
                req_reply_error(
                    r, 400, "bad_request",
                    json_pack("{s:s, s:[s, s]}", "parameter", "since", "parameters", "since",
                              "until"),
                    "since (%s) is after until (%s): since must not be later than until", x->since,
                    x->until);
                return;
        }
        const char *params[] = { x->slug };
        req_db(r, "SELECT 1 FROM projects WHERE slug = $1", 1, params, export_project);
}
