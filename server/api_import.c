/*
 * api_import.c - POST .../votes/import: historical votes, streamed through the bulk pipeline
 * (bulk.h), one COPY into imported_votes per batch.
 *
 * An import line is {"model_a", "model_b", "winner", "prompt_id"?, "rater"?, "created_at"?,
 * "category"?, "language"?}. The Chatbot Arena names "question_id", "judge" and "tstamp" (Unix
 * seconds) are accepted for prompt_id, rater and created_at, and "tie (bothbad)" for both_bad,
 * so that the arena layout of our own export imports again. Models are created on first sight;
 * a prompt_id naming an uploaded item links the vote to it (its category and language apply
 * unless given).
 */
#include "api.h"

#include "buf.h"
#include "bulk.h"
#include "db.h"
#include "jsonv.h"
#include "u64map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The import's row; every id its votes take from the sequence is above the one taken here. */
static const char import_insert_sql[] = "INSERT INTO imports (project_id, user_id) "
                                        "VALUES ($1, $2) "
                                        "RETURNING id, nextval('votes_id_seq')";
static const char models_sql[] = "SELECT id, name "
                                 "FROM models "
                                 "WHERE project_id = $1";
static const char items_sql[] = "SELECT id, ext_id, category, language "
                                "FROM items "
                                "WHERE project_id = $1";
/* Models seen for the first time ($2: a JSON array of names); rows like models_sql's. */
static const char models_ensure_sql[] = "SELECT id, name "
                                        "FROM prefd_models_ensure($1, $2::jsonb)";
static const char copy_sql[] = "COPY imported_votes (project_id, import_id, model_left, "
                               "model_right, choice, prompt_ext, item_id, rater_label, category, "
                               "language, created_at) "
                               "FROM STDIN";
/* The range ends at the last id this session took: the import's last vote. */
static const char finish_sql[] = "SELECT prefd_import_finish($1, $2, "
                                 "CASE WHEN $3::bigint > 0 THEN currval('votes_id_seq') END, "
                                 "$3, $4::jsonb)";

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
        int64_t first_id; /* below every id of the import's votes (taken at open) */
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

/* A step that cannot go on for want of memory. */
static void step_oom(struct bulk *b)
{
        bulk_step_failed(b, 503, "unavailable", "out of memory");
        bulk_step_done(b, NULL);
}

/*
 * Whether a statement of the import's went well; if not (or the import has failed already),
 * ends the step.
 */
static bool step_ok(struct bulk *b, const struct db_res *res)
{
        if (bulk_failed(b) || db_res_status(res) != DB_OK) {
                bulk_step_done(b, res);
                return false;
        }
        return true;
}

/* Rows of (id, name) into the import's map of models by name. */
static void models_read(struct import *im, const struct db_res *res)
{
        for (int i = 0; i < db_res_nrows(res); i++)
                json_object_set_new(im->models, db_res_value(res, i, 1),
                                    json_integer((json_int_t)db_res_int(res, i, 0)));
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

/*
 * The batch's rows, with model ids and item links, in one COPY; their ids come from the vote
 * sequence as the column's default, so no round trip asks for them.
 */
static void copy_batch(struct bulk *b)
{
        struct import *im = bulk_state(b);
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
                step_oom(b);
                return;
        }
        db_pin_copy(bulk_pin(b), copy_sql, out.data, out.len, copied, b);
}

static void models_made(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        if (!step_ok(b, res))
                return;
        models_read(bulk_state(b), res);
        copy_batch(b);
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
                copy_batch(b);
                return;
        }
        /* Models seen for the first time are made now (their ids come back). */
        char *names = json_dumps(missing, JSON_COMPACT);
        json_decref(missing);
        const char *params[] = { bulk_project_id(b), names };
        db_pin_query(bulk_pin(b), models_ensure_sql, 2, params, models_made, b);
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
        if (!step_ok(b, res))
                return;
        models_read(bulk_state(b), res);
        const char *params[] = { bulk_project_id(b) };
        db_pin_query(bulk_pin(b), items_sql, 1, params, items_known, b);
}

static void import_made(const struct db_res *res, void *arg)
{
        struct bulk *b = arg;
        struct import *im = bulk_state(b);
        if (!step_ok(b, res))
                return;
        snprintf(im->id, sizeof(im->id), "%s", db_res_value(res, 0, 0));
        im->first_id = db_res_int(res, 0, 1);
        const char *params[] = { bulk_project_id(b) };
        db_pin_query(bulk_pin(b), models_sql, 1, params, models_known, b);
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
                step_oom(b);
                return;
        }
        bulk_set_state(b, im);
        const char *params[] = { bulk_project_id(b), bulk_user_id(b) };
        db_pin_query(bulk_pin(b), import_insert_sql, 2, params, import_made, b);
}

static void finished(const struct db_res *res, void *arg)
{
        bulk_step_done(arg, res);
}

/*
 * Records the import's id range (first_id, then the last id this session took from the vote
 * sequence) and adds its pair totals, once.
 */
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
        char first[24], votes[24];
        snprintf(first, sizeof(first), "%lld", (long long)im->first_id);
        snprintf(votes, sizeof(votes), "%ld", im->votes);
        const char *params[] = { im->id, im->votes ? first : NULL, votes, text ? text : "[]" };
        db_pin_query(bulk_pin(b), finish_sql, 4, params, finished, b);
        free(text);
}

static const struct bulk_kind imports = {
        .what = "votes",
        .batch_records = 5000, /* fewer, larger COPYs; parsed off the loop (bulk.h) */
        .check = vote_of,
        .open = import_open,
        .store = import_store,
        .close = import_close,
        .state_free = import_free,
};

void api_import_votes(struct req *r)
{
        bulk_run(r, &imports);
}
