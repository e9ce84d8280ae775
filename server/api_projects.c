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
#include "markdown.h"
#include "voteparts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const project_fields[] = { "slug",           "title",
                                              "guidelines",     "outcomes",
                                              "flags",          "rationale",
                                              "overlap",        "lease_seconds",
                                              "raters",         "reviewers",
                                              "gold_rate",      "status",
                                              "qc_min_seconds", "qc_min_gold_accuracy",
                                              "schedule",       "strength",
                                              "criteria",       "rewrite",
                                              "reveal",         "explicit",
                                              "qualification",  NULL };
static const char *const outcome_names[] = { "a", "b", "tie", "both_bad", NULL };
static const char *const rationale_names[] = { "off", "optional", "required", NULL };
static const char *const schedule_names[] = { "coverage", "active", NULL };
static const char *const status_names[] = { "active", "paused", "closed", NULL };
static const char *const rewrite_names[] = { "off", "optional", "required_when_both_bad", NULL };

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
        jv_enum(&v, "schedule", JV_OPTIONAL, schedule_names);
        bool on;
        jv_bool(&v, "strength", JV_OPTIONAL, &on);
        jv_bool(&v, "reveal", JV_OPTIONAL, &on);
        jv_bool(&v, "explicit", JV_OPTIONAL, &on);
        jv_enum(&v, "rewrite", JV_OPTIONAL, rewrite_names);
        voteparts_criteria(&v);
        json_t *qual = json_object_get(r->json, "qualification");
        if (qual && !json_is_null(qual)) {
                /* issue 17: {"gold", "min_accuracy"?, "retry_after_hours"?}, or null for none */
                if (!json_is_object(qual)) {
                        jv_fail(&v, "qualification",
                                "\"qualification\" must be null or an object {\"gold\", "
                                "\"min_accuracy\", \"retry_after_hours\"}");
                } else {
                        struct jv qv = JV_INIT(qual);
                        jv_keys(&qv, (const char *const[]){ "gold", "min_accuracy",
                                                            "retry_after_hours", NULL });
                        jv_int(&qv, "gold", JV_REQUIRED, 1, 1000, &n);
                        jv_number(&qv, "min_accuracy", JV_OPTIONAL, 0, 1, &d);
                        jv_number(&qv, "retry_after_hours", JV_OPTIONAL, 0, 8760, &d);
                        if (qv.failed)
                                jv_fail(&v, "qualification", "qualification: %s", qv.message);
                }
        }
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

/* Replies with the project JSON text json (from prefd_project_for) and "guidelines_html", its
 * guidelines rendered by markdown.c as answers are: O(length), on the loop thread like answers, a
 * few milliseconds at the 200,000-character limit. */
static void reply_project(struct req *r, int status, const char *json, size_t len)
{
        json_t *p = json_loadb(json, len, 0, NULL);
        json_t *text = json_object_get(p, "guidelines");
        char *html = json_is_string(text)
                         ? markdown_to_html(json_string_value(text), json_string_length(text))
                         : NULL;
        if (!html || json_object_set_new(p, "guidelines_html", json_string(html)) != 0) {
                free(html);
                json_decref(p);
                req_reply_oom(r);
                return;
        }
        free(html);
        req_reply_json(r, status, p);
}

static const struct req_status save_status[] = {
        { "ok", 0, NULL, NULL },
        { "exists", 409, "conflict", "a project \"{}\" already exists" },
        { "not_found", 404, "not_found", "no project \"{}\"" },
        { NULL, 0, NULL, NULL },
};

/* $1 the slug (NULL: a new project), $2 the fields, $3 the caller. */
static const char save_sql[] = "SELECT * "
                               "FROM prefd_project_save($1, $2::jsonb, $3)";

static void saved(struct req *r, const struct db_res *res)
{
        bool create = r->method == REQ_POST;
        /* prefd_project_save raises no_data_found for a model or rater it does not know, and
         * the table's checks guard the rest: both are the client's to fix. */
        if (db_res_failed_with(res, DB_NO_DATA_FOUND) ||
            db_res_failed_with(res, DB_CHECK_VIOLATION)) {
                req_reply_error(r, 422, "validation_failed", NULL, "%s", db_res_message(res));
                return;
        }
        if (req_db_failed(r, res))
                return;
        const char *slug =
            create ? json_string_value(json_object_get(r->json, "slug")) : req_param(r, 0);
        if (req_reply_status(r, save_status, db_res_value(res, 0, 0), slug))
                return;
        log_info(r->id, "msg=%s slug=%s by=%s", create ? "project_created" : "project_updated",
                 LOGQ(slug), LOGQ(r->user.name));
        reply_project(r, create ? 201 : 200, db_res_value(res, 0, 2), db_res_length(res, 0, 2));
}

static void save(struct req *r, const char *slug, bool create)
{
        char *fields = json_dumps(r->json, JSON_COMPACT);
        if (!fields) {
                req_reply_oom(r);
                return;
        }
        const char *params[] = { slug, fields, create ? "true" : "false" };
        req_db(r, save_sql, 3, params, saved);
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

/* Raters see the open projects they may rate or review. */
static const char list_sql[] = "SELECT p.id, prefd_project_for(p, $3, $4, $5) "
                               "|| jsonb_build_object('progress', prefd_rater_progress(p, $3)) "
                               "FROM projects p "
                               "WHERE p.id > $1 "
                               "AND p.deleted_at IS NULL "
                               "AND prefd_may_see(p, $3, $4) "
                               "ORDER BY p.id "
                               "LIMIT $2::int + 1";

void api_projects_list(struct req *r)
{
        if (req_page(r) != 0)
                return;
        bool staff = r->user.role != ROLE_RATER;
        const char *params[] = { r->page.after_text, r->page.limit_text, r->user.id_text,
                                 staff ? "true" : "false",
                                 r->user.role == ROLE_ADMIN ? "true" : "false" };
        req_db(r, list_sql, 5, params, req_reply_page_rows);
}

static void project_read(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no project \"%s\"", req_param(r, 0));
                return;
        }
        reply_project(r, 200, db_res_value(res, 0, 0), db_res_length(res, 0, 0));
}

static const char get_sql[] = "SELECT prefd_project_for(p, $2, $3, $4) "
                              "FROM projects p "
                              "WHERE p.slug = $1 "
                              "AND prefd_may_see(p, $2, $3)";

void api_projects_get(struct req *r)
{
        bool staff = r->user.role != ROLE_RATER;
        const char *params[] = { req_param(r, 0), r->user.id_text, staff ? "true" : "false",
                                 r->user.role == ROLE_ADMIN ? "true" : "false" };
        req_db(r, get_sql, 4, params, project_read);
}

static const char progress_sql[] = "SELECT prefd_project_progress(p) "
                                   "FROM projects p "
                                   "WHERE p.slug = $1";

void api_projects_progress(struct req *r)
{
        const char *params[] = { req_param(r, 0) };
        req_db(r, progress_sql, 1, params, req_reply_project_json);
}
