/*
 * api_projects.c - projects: create, list, read, change (a new guidelines text gets a new
 * version), and progress. Raters see only the active or paused projects open to them, without
 * the lists of raters and reviewers.
 */
#include "api.h"

#include "app.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const project_fields[] = { "slug",
                                              "title",
                                              "guidelines",
                                              "outcomes",
                                              "flags",
                                              "rationale",
                                              "overlap",
                                              "lease_seconds",
                                              "raters",
                                              "reviewers",
                                              "gold_rate",
                                              "status",
                                              "qc_min_seconds",
                                              "qc_min_gold_accuracy",
                                              NULL };
static const char *const outcome_names[] = { "a", "b", "tie", "both_bad", NULL };
static const char *const rationale_names[] = { "off", "optional", "required", NULL };
static const char *const status_names[] = { "active", "paused", "closed", NULL };

static bool valid_slug(const char *s)
{
        size_t n = strlen(s);
        if (n < 1 || n > 64)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          (i > 0 && (c == '-' || c == '_'));
                if (!ok)
                        return false;
        }
        return true;
}

/* Validates the settable fields of a project body; false after replying 422. */
static bool validate_fields(struct req *r, bool create)
{
        struct jv v = JV_INIT(r->json);
        long long n;
        double d;
        jv_keys(&v, create ? project_fields : project_fields + 1);
        if (create) {
                const char *slug = jv_string(&v, "slug", JV_REQUIRED, 1, 64);
                if (slug && !valid_slug(slug))
                        jv_fail(&v, "slug",
                                "\"slug\" must be lower-case letters, digits, - and _, starting "
                                "with a letter or digit, up to 64");
        }
        jv_string(&v, "title", create, 1, 200);
        jv_string(&v, "guidelines", JV_OPTIONAL, 0, 200000);
        json_t *outcomes = jv_string_array(&v, "outcomes", JV_OPTIONAL, 4, true, 0);
        if (outcomes) {
                bool a = false, b = false;
                size_t i;
                json_t *e;
                json_array_foreach(outcomes, i, e)
                {
                        const char *s = json_string_value(e);
                        bool known = false;
                        for (const char *const *o = outcome_names; *o; o++)
                                known |= strcmp(*o, s) == 0;
                        if (!known)
                                jv_fail(&v, "outcomes",
                                        "\"outcomes\": \"%s\" is not one of a, b, tie, both_bad",
                                        s);
                        a |= strcmp(s, "a") == 0;
                        b |= strcmp(s, "b") == 0;
                }
                if (!a || !b)
                        jv_fail(&v, "outcomes", "\"outcomes\" must include a and b");
        }
        jv_string_array(&v, "flags", JV_OPTIONAL, 32, true, 0);
        jv_enum(&v, "rationale", JV_OPTIONAL, rationale_names);
        jv_int(&v, "overlap", JV_OPTIONAL, 1, 100, &n);
        jv_int(&v, "lease_seconds", JV_OPTIONAL, 10, 86400, &n);
        jv_number(&v, "gold_rate", JV_OPTIONAL, 0, 1, &d);
        jv_number(&v, "qc_min_seconds", JV_OPTIONAL, 0, 3600, &d);
        jv_number(&v, "qc_min_gold_accuracy", JV_OPTIONAL, 0, 1, &d);
        jv_enum(&v, "status", JV_OPTIONAL, status_names);
        json_t *raters = json_object_get(r->json, "raters");
        if (raters && !(json_is_string(raters) && strcmp(json_string_value(raters), "all") == 0))
                jv_string_array(&v, "raters", JV_OPTIONAL, 10000, false, 64);
        jv_string_array(&v, "reviewers", JV_OPTIONAL, 10000, false, 64);
        if (v.failed) {
                jv_reply(r, &v);
                return false;
        }
        return true;
}

static void saved(struct req *r, const struct db_res *res)
{
        bool create = r->method == REQ_POST;
        if (db_res_status(res) == DB_FAILED && strcmp(db_res_sqlstate(res), "P0002") == 0) {
                req_reply_error(r, 422, "validation_failed", NULL, "%s", db_res_message(res));
                return;
        }
        if (db_res_status(res) == DB_FAILED &&
            strcmp(db_res_sqlstate(res), DB_CHECK_VIOLATION) == 0) {
                req_reply_error(r, 422, "validation_failed", NULL, "%s", db_res_message(res));
                return;
        }
        if (req_db_failed(r, res))
                return;
        const char *status = db_res_value(res, 0, 0);
        if (strcmp(status, "exists") == 0) {
                req_reply_error(r, 409, "conflict", NULL, "a project \"%s\" already exists",
                                json_string_value(json_object_get(r->json, "slug")));
                return;
        }
        if (strcmp(status, "not_found") == 0) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        log_info(
            r->id, "msg=%s slug=%s by=%s", create ? "project_created" : "project_updated",
            LOGQ(create ? json_string_value(json_object_get(r->json, "slug")) : req_param(r, 0)),
            LOGQ(r->user.name));
        req_reply_json_text(r, create ? 201 : 200, db_res_value(res, 0, 2),
                            db_res_length(res, 0, 2));
}

static void save(struct req *r, const char *slug, bool create)
{
        char *fields = json_dumps(r->json, JSON_COMPACT);
        if (!fields) {
                req_reply_error(r, 503, "unavailable", NULL, "out of memory");
                return;
        }
        const char *params[] = { slug, fields, create ? "true" : "false" };
        req_db(r, "SELECT * FROM prefd_project_save($1, $2::jsonb, $3)", 3, params, saved);
        free(fields);
}

void api_projects_create(struct req *r)
{
        if (!validate_fields(r, true))
                return;
        save(r, json_string_value(json_object_get(r->json, "slug")), true);
}

void api_projects_update(struct req *r)
{
        if (!validate_fields(r, false))
                return;
        save(r, req_param(r, 0), false);
}

static void listed(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

void api_projects_list(struct req *r)
{
        long limit;
        long long after;
        if (req_page(r, &limit, &after) != 0)
                return;
        char a[32], l[32], uid[32];
        snprintf(a, sizeof(a), "%lld", after);
        snprintf(l, sizeof(l), "%ld", limit);
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        bool staff = r->user.role != ROLE_RATER;
        const char *params[] = { a, l, uid, staff ? "true" : "false",
                                 r->user.role == ROLE_ADMIN ? "true" : "false" };
        /* One page plus one row tells whether another page follows. Raters see the open
         * projects they may rate or review. */
        req_db(r,
               "WITH page AS (SELECT p.* FROM projects p WHERE p.id > $1 AND p.deleted_at IS NULL "
               "AND prefd_may_see(p, $3, "
               "$4) ORDER BY p.id LIMIT $2 + 1), "
               "shown AS (SELECT * FROM page ORDER BY id LIMIT $2) "
               "SELECT json_build_object('items', coalesce((SELECT json_agg(prefd_project_for(s, "
               "$3, $4, $5) || jsonb_build_object('progress', prefd_rater_progress(s, $3)) "
               "ORDER BY s.id) FROM shown s), '[]'), 'next_cursor', CASE WHEN (SELECT "
               "count(*) FROM page) > $2 THEN (SELECT max(id)::text FROM shown) END)",
               5, params, listed);
}

static void got(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        req_reply_json_text(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

void api_projects_get(struct req *r)
{
        char uid[32];
        snprintf(uid, sizeof(uid), "%lld", (long long)r->user.id);
        bool staff = r->user.role != ROLE_RATER;
        const char *params[] = { req_param(r, 0), uid, staff ? "true" : "false",
                                 r->user.role == ROLE_ADMIN ? "true" : "false" };
        req_db(r,
               "SELECT prefd_project_for(p, $2, $3, $4) FROM projects p WHERE p.slug = $1 AND "
               "prefd_may_see(p, $2, $3)",
               4, params, got);
}

void api_projects_progress(struct req *r)
{
        const char *params[] = { req_param(r, 0) };
        req_db(r,
               "SELECT json_build_object("
               "'prompts', (SELECT count(*) FROM items i WHERE i.project_id = p.id AND i.gold IS "
               "NULL), "
               "'control_prompts', (SELECT count(*) FROM items i WHERE i.project_id = p.id AND "
               "i.gold IS NOT NULL), "
               "'models', (SELECT count(*) FROM models m WHERE m.project_id = p.id), "
               "'comparisons', p.comparisons, "
               "'votes', (SELECT coalesce(sum(k.votes), 0) FROM project_counts k "
               "WHERE k.project_id = p.id), "
               "'target_votes', p.comparisons * p.overlap, "
               "'open_places', (SELECT coalesce(sum(k.open), 0) FROM project_counts k "
               "WHERE k.project_id = p.id), "
               "'imported_votes', (SELECT coalesce(sum(i.votes), 0) FROM imports i WHERE "
               "i.project_id = p.id), "
               "'active_assignments', (SELECT count(*) FROM assignments a WHERE a.project_id = "
               "p.id AND a.state = 'open' AND a.expires_at > now()), "
               "'raters', (SELECT count(*) FROM rater_votes r WHERE r.project_id = p.id)) "
               "FROM projects p WHERE p.slug = $1",
               1, params, got);
}
