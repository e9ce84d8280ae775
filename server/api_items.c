/*
 * api_items.c - POST /api/v1/projects/{slug}/items: prompts with the responses to compare, as
 * JSON Lines (or one JSON array), streamed through bulk.h.
 *
 * Each line is one prompt with two or more responses from different models, or one explicit
 * pair (model_a/response_a/model_b/response_b, optionally a control pair with "gold"). A line
 * already stored with the same content is "unchanged" (the content digest ignores key order and
 * spacing); the same id with other content is rejected with code "conflict". Each answer's style
 * features (style.h) are counted while its line is checked, on the worker pool, and stored with
 * it. GET /api/v1/projects/{slug}/items/{id} (staff) shows one item with its answers' features.
 *
 * Also the admin's view of a project's items: the paged list with search, the deletion of an
 * item or of a whole project (rows kept, see sql/functions/prefd_item_delete.sql and
 * prefd_project_delete.sql), and the facets (categories, languages) anyone who sees it may read.
 */
#include "api.h"

#include "bulk.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "itemstore.h"
#include "jsonv.h"
#include "qv.h"
#include "style.h"
#include "voteparts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- validation of one record --- */

static bool valid_id(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static bool valid_language(const char *s)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
                        return false;
        return true;
}

static const char *const item_fields[] = { "id",        "prompt",     "category", "language",
                                           "responses", "metadata",   "model_a",  "response_a",
                                           "model_b",   "response_b", "gold",     "gold_reason",
                                           "messages",  "sensitive",  NULL };
static const char *const gold_names[] = { "model_a", "model_b", "tie", NULL };

static size_t characters(const char *s, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += ((unsigned char)s[i] & 0xC0) != 0x80;
        return n;
}

/* Only whitespace (ASCII, and the Unicode spaces a model may emit: NBSP, ideographic space,
 * zero-width space and friends). */
static bool blank(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
                        p++;
                } else if (p[0] == 0xC2 && p[1] == 0xA0) {
                        p += 2;
                } else if (p[0] == 0xE2 && p[1] == 0x80 &&
                           ((p[2] >= 0x80 && p[2] <= 0x8B) || p[2] == 0xAF || p[2] == 0xA8 ||
                            p[2] == 0xA9)) {
                        p += 3;
                } else if ((p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) ||
                           (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) ||
                           (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)) {
                        p += 3;
                } else {
                        return false;
                }
        }
        return true;
}

/* Reads one response {model, text} (or the pair fields) into `responses`. */
static void add_response(struct jv *v, json_t *responses, json_t *model, json_t *text,
                         const char *where, size_t max_text)
{
        if (v->failed)
                return;
        if (!json_is_string(model) || json_string_length(model) < 1 ||
            json_string_length(model) > 200 || !valid_id(json_string_value(model))) {
                jv_fail(v, where, "%s: the model must be a name of 1 to 200 characters", where);
                return;
        }
        if (!text) {
                jv_fail(v, where, "%s: \"%s\" is missing (it may be empty, \"\")", where,
                        strcmp(where, "model_a") == 0   ? "response_a"
                        : strcmp(where, "model_b") == 0 ? "response_b"
                                                        : "text");
                return;
        }
        if (!json_is_string(text)) {
                jv_fail(v, where, "%s: the text must be a string (it may be empty)", where);
                return;
        }
        size_t chars = characters(json_string_value(text), json_string_length(text));
        if (chars > max_text) {
                jv_fail(v, where, "%s: the text is longer than %zu characters (%zu)", where,
                        max_text, chars);
                return;
        }
        if (chars > 0 && blank(json_string_value(text))) {
                jv_fail(v, where,
                        "%s: the text is only whitespace (an answer may be empty, \"\", but not "
                        "blank)",
                        where);
                return;
        }
        size_t i;
        json_t *e;
        json_array_foreach(responses, i, e)
        {
                if (json_equal(json_object_get(e, "model"), model)) {
                        jv_fail(v, where,
                                "model \"%s\" answers twice; the responses of a prompt "
                                "must come from different models",
                                json_string_value(model));
                        return;
                }
        }
        /* Its style features, counted here (on a worker, see bulk.h) and stored with it. */
        struct style st;
        char features[STYLE_TEXT_MAX];
        if (style_of(json_string_value(text), json_string_length(text), &st) != 0) {
                jv_fail(v, NULL, "out of memory");
                return;
        }
        style_text(&st, features);
        json_array_append_new(responses, json_pack("{s:O, s:O, s:s}", "model", model, "text", text,
                                                   "style", features));
}

/*
 * Validates a parsed record and builds the item sent to the database. Returns NULL with v
 * failed when the record is invalid.
 */
static json_t *item_of(struct jv *v, json_t *o, unsigned long line, const struct config *cfg)
{
        size_t max_text = (size_t)cfg->max_text;
        jv_keys(v, item_fields);
        const char *id = jv_string(v, "id", JV_REQUIRED, 1, 200);
        if (id && !valid_id(id))
                jv_fail(v, "id", "\"id\" must not contain control characters");
        /* A conversation ("messages") instead of a prompt: the prompt is its last user turn. */
        const char *prompt = NULL;
        if (jv_has(v, "messages") && jv_has(v, "prompt")) {
                jv_fail(v, "messages", "give \"prompt\" or \"messages\", not both");
        } else if (jv_has(v, "messages")) {
                prompt = voteparts_messages(v, max_text);
        } else {
                prompt = jv_string(v, "prompt", JV_REQUIRED, 1, max_text);
                if (prompt && blank(prompt))
                        jv_fail(v, "prompt", "\"prompt\" is only whitespace");
        }
        bool sensitive = false;
        jv_bool(v, "sensitive", JV_OPTIONAL, &sensitive);
        const char *category = jv_string(v, "category", JV_OPTIONAL, 0, 100);
        const char *language = jv_string(v, "language", JV_OPTIONAL, 0, 35);
        if (language && !valid_language(language))
                jv_fail(v, "language", "\"language\" must be a language tag such as en or zh-CN");
        json_t *metadata = json_object_get(o, "metadata");
        if (metadata && !json_is_object(metadata) && !json_is_null(metadata))
                jv_fail(v, "metadata", "\"metadata\" must be an object");
        const char *gold = jv_enum(v, "gold", JV_OPTIONAL, gold_names);
        const char *gold_reason = jv_string(v, "gold_reason", JV_OPTIONAL, 0, 10000);
        if (gold_reason && !gold)
                jv_fail(v, "gold_reason", "\"gold_reason\" needs \"gold\"");
        if (v->failed)
                return NULL;

        json_t *responses = json_array();
        json_t *list = json_object_get(o, "responses");
        bool pair = jv_has(v, "model_a") || jv_has(v, "model_b") || jv_has(v, "response_a") ||
                    jv_has(v, "response_b");
        if (list && pair) {
                jv_fail(v, "responses",
                        "give either \"responses\" or model_a/response_a/model_b/"
                        "response_b, not both");
        } else if (list) {
                if (!json_is_array(list) || json_array_size(list) < 2) {
                        jv_fail(v, "responses",
                                "\"responses\" must be an array of at least two {\"model\", "
                                "\"text\"} objects");
                } else if (gold) {
                        jv_fail(v, "gold",
                                "\"gold\" is only allowed on an explicit pair "
                                "(model_a/response_a/model_b/response_b)");
                } else if (json_array_size(list) > 64) {
                        jv_fail(v, "responses", "\"responses\" may hold at most 64 answers");
                }
                size_t i;
                json_t *e;
                json_array_foreach(list, i, e)
                {
                        char where[48];
                        snprintf(where, sizeof(where), "responses[%zu]", i);
                        if (v->failed)
                                break;
                        const char *key;
                        json_t *val;
                        if (!json_is_object(e)) {
                                jv_fail(v, where, "%s must be an object {\"model\", \"text\"}",
                                        where);
                                break;
                        }
                        json_object_foreach(e, key, val)
                        {
                                if (strcmp(key, "model") != 0 && strcmp(key, "text") != 0) {
                                        jv_fail(v, where, "%s: unknown field \"%s\"", where, key);
                                        break;
                                }
                        }
                        add_response(v, responses, json_object_get(e, "model"),
                                     json_object_get(e, "text"), where, max_text);
                }
        } else if (pair) {
                static const char *const need[] = { "model_a", "response_a", "model_b",
                                                    "response_b" };
                for (size_t i = 0; i < ARRAY_LEN(need) && !v->failed; i++)
                        if (!jv_has(v, need[i]))
                                jv_fail(v, need[i], "\"%s\" is required for an explicit pair",
                                        need[i]);
                add_response(v, responses, json_object_get(o, "model_a"),
                             json_object_get(o, "response_a"), "model_a", max_text);
                add_response(v, responses, json_object_get(o, "model_b"),
                             json_object_get(o, "response_b"), "model_b", max_text);
        } else {
                jv_fail(v, "responses",
                        "a line needs \"responses\" (two or more) or an explicit pair "
                        "model_a/response_a/model_b/response_b");
        }
        if (v->failed) {
                json_decref(responses);
                return NULL;
        }

        /* The digest of the line's content, independent of key order and spacing. */
        char *canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        unsigned char h[CRYPTO_SHA256_LEN];
        char digest[65];
        if (!canon) {
                json_decref(responses);
                jv_fail(v, NULL, "out of memory");
                return NULL;
        }
        crypto_sha256(canon, strlen(canon), h);
        crypto_hex(h, sizeof(h), digest);
        free(canon);
        char *messages =
            jv_has(v, "messages") ? json_dumps(json_object_get(o, "messages"), JSON_COMPACT) : NULL;
        json_t *item =
            json_pack("{s:I, s:O, s:s, s:s, s:s, s:O?, s:s?, s:s?, s:s, s:o, s:s?, s:s}", "line",
                      (json_int_t)line, "id", json_object_get(o, "id"), "prompt", prompt,
                      "category", category ? category : "", "language", language ? language : "",
                      "metadata", json_is_null(metadata) ? NULL : metadata, "gold", gold,
                      "gold_reason", gold_reason, "digest", digest, "responses", responses,
                      "messages", messages, "sensitive", sensitive ? "t" : "f");
        free(messages);
        return item;
}

static const struct bulk_kind items = {
        .what = "items",
        .batch_records = 5000,
        .check = item_of,
        .open = itemstore_open,
        .store = itemstore_store,
        .close = itemstore_close,
        .state_free = itemstore_free,
};

void api_items_upload(struct req *r)
{
        bulk_run(r, &items);
}

/* --- GET .../facets --- */

/* Anyone who may see the project: the answer is the same 404 as a missing one otherwise. */
static const char facets_sql[] = "SELECT prefd_facets(p.id) "
                                 "FROM projects p "
                                 "WHERE p.slug = $1 "
                                 "AND prefd_may_see(p, $2::bigint, $3::boolean)";

void api_items_facets(struct req *r)
{
        const char *params[] = { req_param(r, 0), r->user.id_text,
                                 r->user.role != ROLE_RATER ? "true" : "false" };
        req_db(r, facets_sql, 3, params, req_reply_project_json);
}

/* --- GET .../items --- */

/* One row with a NULL item when the project has no items in the page, none when it does not
 * exist. */
static const char items_sql[] =
    "SELECT x.page_key, x.item "
    "FROM projects p "
    "LEFT JOIN LATERAL prefd_items_page(p.id, $2::bigint, $3::integer, $4) x "
    "ON true "
    "WHERE p.slug = $1";

void api_items_list(struct req *r)
{
        static const char *const known[] = { "limit", "cursor", "q", NULL };
        char q[512];
        struct qv v;
        qv_init(&v, r, known);
        qv_page(&v);
        bool search = qv_text(&v, "q", q, sizeof(q));
        if (qv_reply(&v))
                return;
        const char *params[] = { req_param(r, 0), r->page.after_text, r->page.limit_text,
                                 search ? q : NULL };
        req_db(r, items_sql, 4, params, req_reply_project_page);
}

/* --- DELETE /api/v1/projects/{slug} --- */

static void project_deleted(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        req_reply_json(
            r, 200,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "slug", db_res_value(res, 0, 0),
                      "deleted_at", db_res_value(res, 0, 1), "deleted_by", r->user.name,
                      "votes_kept", (json_int_t)db_res_int(res, 0, 2), "imported_votes_kept",
                      (json_int_t)db_res_int(res, 0, 3), "message",
                      "the project is closed and listed nowhere; its votes are kept in the "
                      "database (no longer in rankings or exports), and its name is free"));
}

static const char project_delete_sql[] = "SELECT slug, deleted_at, votes, imported "
                                         "FROM prefd_project_delete($1, $2::bigint)";

void api_items_delete_project(struct req *r)
{
        const char *params[] = { req_param(r, 0), r->user.id_text };
        req_db(r, project_delete_sql, 2, params, project_deleted);
}

/* --- DELETE /api/v1/projects/{slug}/items/{id} --- */

static void item_deleted(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        if (strcmp(db_res_value(res, 0, 0), "ok") != 0) {
                req_reply_error(r, 404, "not_found", NULL, "no item \"%s\" in project \"%s\"",
                                req_param(r, 1), req_param(r, 0));
                return;
        }
        req_reply_json(
            r, 200,
            json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "id", req_param(r, 1), "deleted_at",
                      db_res_value(res, 0, 1), "deleted_by", r->user.name, "votes_kept",
                      (json_int_t)db_res_int(res, 0, 2), "votes_excluded",
                      (json_int_t)db_res_int(res, 0, 3), "message",
                      "the item's comparisons are no longer given out; its votes are kept "
                      "(rater statistics still count them) and excluded from rankings and "
                      "exports"));
}

static const char item_delete_sql[] = "SELECT d.status, d.deleted_at, d.votes, d.excluded "
                                      "FROM projects p, prefd_item_delete(p.id, $2, $3::bigint) d "
                                      "WHERE p.slug = $1";

void api_items_delete(struct req *r)
{
        const char *params[] = { req_param(r, 0), req_param(r, 1), r->user.id_text };
        req_db(r, item_delete_sql, 3, params, item_deleted);
}

/* --- GET .../items/{id}: one item with its answers and their style features --- */

static void item_got(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        if (db_res_isnull(res, 0, 0)) {
                req_reply_error(r, 404, "not_found", NULL, "no item \"%s\" in project \"%s\"",
                                req_param(r, 1), req_param(r, 0));
                return;
        }
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

static const char item_get_sql[] = "SELECT item FROM prefd_item_get($1, $2, $3, $4)";

void api_items_get(struct req *r)
{
        const char *params[] = { req_param(r, 0), req_param(r, 1), r->user.id_text, "true" };
        req_db(r, item_get_sql, 4, params, item_got);
}
