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

#include "bulk.h"
#include "db.h"
#include "jsonv.h"

#include <math.h>
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

static json_t *vote_of(struct jv *v, json_t *o, unsigned long line, const struct config *cfg)
{
        jv_keys(v, import_fields);
        const char *ma = jv_string(v, "model_a", JV_REQUIRED, 1, 200);
        const char *mb = jv_string(v, "model_b", JV_REQUIRED, 1, 200);
        const char *winner = jv_string(v, "winner", JV_REQUIRED, 1, 64);
        const char *prompt = either(v, "prompt_id", "question_id", 200);
        const char *rater = either(v, "rater", "judge", 200);
        const char *category = jv_string(v, "category", JV_OPTIONAL, 0, 100);
        const char *language = jv_string(v, "language", JV_OPTIONAL, 0, 35);
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
        char when[64];
        if (has_tstamp) {
                time_t secs = (time_t)floor(tstamp);
                struct tm tm;
                gmtime_r(&secs, &tm);
                snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, (int)((tstamp - floor(tstamp)) * 1e6) % 1000000);
                created = when;
        }
        return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "model_a", ma, "model_b",
                         mb, "choice", choice, "prompt_id", prompt, "rater", rater, "created_at",
                         created, "category", category, "language", language);
}

static void votes_stored(struct bulk *b, const struct db_res *res)
{
        bulk_accepted(b, (long)db_res_int(res, 0, 0));
}

static const struct bulk_kind imports = {
        .what = "votes",
        .check = vote_of,
        .open_sql = "INSERT INTO imports (project_id, user_id) VALUES ($1, $2) RETURNING id",
        .batch_sql = "SELECT prefd_votes_import($1, $3, $2::jsonb)",
        .result = votes_stored,
        .batch_records = 5000,
};

void api_votes_import(struct req *r)
{
        bulk_run(r, &imports);
}
