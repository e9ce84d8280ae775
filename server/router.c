/*
 * router.c - the route table and the steps before a handler; see router.h.
 */
#include "router.h"

#include "api.h"
#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "utf8.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole HTTP API. Order matters only for readability. */
static const struct route routes[] = {
        /* Operations */
        { REQ_GET, "/healthz", api_health_live, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/readyz", api_health_ready, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/metrics", api_health_metrics, 0, ROUTE_PUBLIC | ROUTE_NO_DB },

        /* Accounts */
        { REQ_POST, "/api/v1/session", api_session_login, 0, ROUTE_PUBLIC | ROUTE_BODY_JSON },
        { REQ_DELETE, "/api/v1/session", api_session_logout, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/me", api_session_me, ROLES_ANY, 0 },
        { REQ_PATCH, "/api/v1/me", api_prefs_update, ROLES_ANY, ROUTE_BODY_JSON },
        { REQ_POST, "/api/v1/users", api_users_create, ROLES_ADMIN, ROUTE_BODY_JSON },
        { REQ_GET, "/api/v1/users", api_users_list, ROLES_ADMIN, 0 },
        { REQ_PATCH, "/api/v1/users/{name}", api_users_update, ROLES_ADMIN, ROUTE_BODY_JSON },
        { REQ_POST, "/api/v1/users/{name}/token", api_users_token, ROLES_ANY,
          ROUTE_BODY_JSON | ROUTE_BODY_OPTIONAL },

        /* Projects */
        { REQ_POST, "/api/v1/projects", api_projects_create, ROLES_ADMIN, ROUTE_BODY_JSON },
        { REQ_GET, "/api/v1/projects", api_projects_list, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/projects/{slug}", api_projects_get, ROLES_ANY, 0 },
        { REQ_PATCH, "/api/v1/projects/{slug}", api_projects_update, ROLES_ADMIN, ROUTE_BODY_JSON },
        { REQ_DELETE, "/api/v1/projects/{slug}", api_items_delete_project, ROLES_ADMIN, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/progress", api_projects_progress, ROLES_STAFF, 0 },

        /* Markdown rendered as raters see it (the guidelines preview) */
        { REQ_POST, "/api/v1/markdown", api_markdown_render, ROLES_ADMIN, ROUTE_BODY_JSON },

        /* Items */
        { REQ_POST, "/api/v1/projects/{slug}/items", api_items_upload, ROLES_ADMIN,
          ROUTE_BODY_STREAM },
        { REQ_GET, "/api/v1/projects/{slug}/items", api_items_list, ROLES_ADMIN, 0 },
        { REQ_DELETE, "/api/v1/projects/{slug}/items/{id}", api_items_delete, ROLES_ADMIN, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/facets", api_items_facets, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/items/{id}", api_items_get, ROLES_STAFF, 0 },

        /* Rankings and data */
        { REQ_GET, "/api/v1/projects/{slug}/leaderboard", api_rankings_leaderboard, ROLES_STAFF,
          0 },
        { REQ_GET, "/api/v1/projects/{slug}/matrix", api_rankings_matrix, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/scores", api_scores_get, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/votes", api_export_votes, ROLES_STAFF, 0 },
        { REQ_POST, "/api/v1/projects/{slug}/votes/import", api_import_votes, ROLES_ADMIN,
          ROUTE_BODY_STREAM },

        /* Quality control */
        { REQ_GET, "/api/v1/projects/{slug}/raters", api_quality_raters, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/agreement", api_quality_agreement, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/flags", api_quality_flags, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/exposure", api_exposure_get, ROLES_STAFF, 0 },
        { REQ_GET, "/api/v1/projects/{slug}/exclusions", api_exclusions_list, ROLES_STAFF, 0 },
        { REQ_POST, "/api/v1/projects/{slug}/exclusions", api_exclusions_add, ROLES_ADMIN,
          ROUTE_BODY_JSON },
        { REQ_DELETE, "/api/v1/projects/{slug}/exclusions/{id}", api_exclusions_undo, ROLES_ADMIN,
          0 },
        { REQ_GET, "/api/v1/projects/{slug}/review/next", api_reviews_next, ROLES_RATING, 0 },
        { REQ_POST, "/api/v1/votes/{id}/review", api_reviews_submit, ROLES_RATING,
          ROUTE_BODY_JSON },

        /* Raters learn (issue 17): qualification, feedback from review, own statistics,
         * guideline changes */
        { REQ_POST, "/api/v1/projects/{slug}/raters/{name}/qualification", api_qualification_set,
          ROLES_ADMIN, ROUTE_BODY_JSON },
        { REQ_GET, "/api/v1/me/reviews", api_feedback_mine, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/me/reviews/unread", api_feedback_unread, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/me/reviews/given", api_feedback_given, ROLES_ANY, 0 },
        { REQ_POST, "/api/v1/reviews/{id}/reply", api_feedback_reply, ROLES_ANY, ROUTE_BODY_JSON },
        { REQ_GET, "/api/v1/me/projects/{slug}/stats", api_me_stats, ROLES_ANY, 0 },
        { REQ_GET, "/api/v1/me/projects/{slug}/guidelines", api_me_guidelines, ROLES_ANY, 0 },
        { REQ_POST, "/api/v1/me/projects/{slug}/guidelines/ack", api_me_guidelines_ack, ROLES_ANY,
          ROUTE_BODY_JSON },

        /* Rating */
        { REQ_GET, "/api/v1/projects/{slug}/next", api_rating_next, ROLES_RATING,
          ROUTE_CRED_IN_QUERY },
        { REQ_POST, "/api/v1/assignments/{id}/vote", api_rating_vote, ROLES_RATING,
          ROUTE_BODY_JSON | ROUTE_CRED_IN_QUERY },
        { REQ_POST, "/api/v1/assignments/{id}/skip", api_rating_skip, ROLES_RATING,
          ROUTE_BODY_JSON | ROUTE_BODY_OPTIONAL | ROUTE_CRED_IN_QUERY },
        { REQ_POST, "/api/v1/assignments/{id}/renew", api_rating_renew, ROLES_RATING,
          ROUTE_BODY_JSON | ROUTE_BODY_OPTIONAL },
        { REQ_POST, "/api/v1/votes/{id}/undo", api_rating_undo, ROLES_RATING,
          ROUTE_BODY_JSON | ROUTE_BODY_OPTIONAL },

        /* The web client */
        { REQ_GET, "/", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/rate/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/leaderboard/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/quality/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/review/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/myreviews/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/mystats/{slug}", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/admin", api_web_page, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
        { REQ_GET, "/static/{*}", api_web_asset, 0, ROUTE_PUBLIC | ROUTE_NO_DB },
};

static const char *const method_names[] = { "GET",   "HEAD",   "POST",    "PUT",
                                            "PATCH", "DELETE", "OPTIONS", "?" };

const char *router_method_name(enum req_method m)
{
        return method_names[m <= REQ_OTHER ? m : REQ_OTHER];
}

size_t router_count(void)
{
        return ARRAY_LEN(routes);
}

const struct route *router_route(size_t i)
{
        return i < ARRAY_LEN(routes) ? &routes[i] : NULL;
}

/* Matches path against pattern; fills raw parameter spans. */
static bool match_pattern(const char *pattern, const char *path, const char **starts, size_t *lens,
                          size_t *n)
{
        const char *p = pattern, *s = path;
        *n = 0;
        while (*p && *s) {
                if (*p == '{') {
                        bool rest = strncmp(p, "{*}", 3) == 0;
                        const char *pe = strchr(p, '}');
                        const char *se = rest ? s + strlen(s) : strchr(s, '/');
                        if (!se)
                                se = s + strlen(s);
                        if (se == s || *n == 4)
                                return false;
                        starts[*n] = s;
                        lens[*n] = (size_t)(se - s);
                        (*n)++;
                        p = pe + 1;
                        s = se;
                        continue;
                }
                if (*p != *s)
                        return false;
                p++, s++;
        }
        return *p == '\0' && *s == '\0';
}

/* The name of parameter k of pattern ({slug} -> "slug"; {*} -> "path") into out. */
static void param_name(const char *pattern, size_t k, char *out, size_t outlen)
{
        const char *p = pattern;
        for (size_t i = 0; (p = strchr(p, '{')) != NULL; i++, p++) {
                size_t len = strcspn(p + 1, "}");
                if (i < k)
                        continue;
                if (len == 1 && p[1] == '*')
                        snprintf(out, outlen, "path");
                else
                        snprintf(out, outlen, "%.*s", (int)len, p + 1);
                return;
        }
        snprintf(out, outlen, "path");
}

enum router_match router_match(enum req_method method, const char *path, const struct route **out,
                               char **params, size_t *nparams, char *detail, size_t detaillen)
{
        const char *starts[4];
        size_t lens[4], n;
        bool path_known = false;
        char *allow = detail;
        size_t allowlen = detaillen;
        allow[0] = '\0';
        *nparams = 0;
        enum req_method want = method == REQ_HEAD ? REQ_GET : method;
        for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
                if (!match_pattern(routes[i].path, path, starts, lens, &n))
                        continue;
                path_known = true;
                if (routes[i].method != want) {
                        const char *m = method_names[routes[i].method];
                        if (!strstr(allow, m)) {
                                size_t used = strlen(allow);
                                snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
                                         m);
                                if (routes[i].method == REQ_GET && !strstr(allow, "HEAD")) {
                                        used = strlen(allow);
                                        snprintf(allow + used, allowlen - used, ", HEAD");
                                }
                        }
                        continue;
                }
                for (size_t k = 0; k < n; k++) {
                        params[k] = malloc(lens[k] + 1);
                        long len =
                            params[k] ? httpparse_decode(starts[k], lens[k], params[k], false) : -1;
                        if (len < 0 || !utf8_valid(params[k], (size_t)len)) {
                                free(params[k]);
                                for (size_t j = 0; j < k; j++)
                                        free(params[j]);
                                param_name(routes[i].path, k, detail, detaillen);
                                return ROUTER_BAD_PATH;
                        }
                }
                *nparams = n;
                *out = &routes[i];
                return ROUTER_FOUND;
        }
        return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

/* --- the steps --- */

static bool state_changing(enum req_method m)
{
        return m == REQ_POST || m == REQ_PUT || m == REQ_PATCH || m == REQ_DELETE;
}

static void json_body_done(struct req *r, enum req_body_status status)
{
        const struct config *cfg = r->app->cfg;
        if (status == REQ_BODY_TOO_LARGE) {
                req_reply_error(r, 413, "payload_too_large", NULL,
                                "the request body exceeds %ld bytes", cfg->max_body);
                return;
        }
        if (status == REQ_BODY_TIMEOUT) {
                req_reply_error(r, 408, "bad_request", NULL,
                                "the request body did not arrive in time");
                return;
        }
        if (status != REQ_BODY_OK) {
                req_reply_error(r, 400, "bad_request", NULL,
                                "the request body did not arrive completely");
                return;
        }
        size_t len = evbuffer_get_length(r->body);
        if (len == 0 && (r->route->flags & ROUTE_BODY_OPTIONAL)) {
                r->json = json_object();
        } else {
                json_error_t err;
                const char *text = (const char *)evbuffer_pullup(r->body, -1);
                r->json = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &err);
                if (!r->json) {
                        if (len == 0)
                                req_reply_error(r, 400, "invalid_json", NULL,
                                                "the request needs a JSON object body");
                        else
                                req_reply_error(r, 400, "invalid_json", NULL,
                                                "invalid JSON at line %d, column %d: %s", err.line,
                                                err.column, err.text);
                        return;
                }
        }
        if (!json_is_object(r->json)) {
                req_reply_error(r, 422, "validation_failed", NULL,
                                "the request body must be a JSON object");
                return;
        }
        r->route->handler(r);
}

static void after_auth(struct req *r)
{
        const struct route *rt = r->route;
        if (!(rt->flags & ROUTE_PUBLIC)) {
                if (!(rt->roles & ROLE_BIT(r->user.role))) {
                        req_reply_error(
                            r, 403, "forbidden", NULL, "%s %s is not open to the %s role",
                            router_method_name(rt->method), rt->path, req_role_name(r->user.role));
                        return;
                }
                if (r->user.via_cookie && state_changing(r->method)) {
                        const char *csrf = req_header(r, "X-CSRF-Token");
                        if (!csrf || !auth_csrf_ok(r, csrf)) {
                                req_reply_error(r, 403, "forbidden", NULL,
                                                "missing or wrong X-CSRF-Token header (the token "
                                                "comes with the login)");
                                return;
                        }
                }
        }
        if (rt->flags & ROUTE_BODY_JSON)
                req_body_read(r, r->app->cfg->max_body, NULL, json_body_done);
        else
                rt->handler(r);
}

static bool is_bulk_type(const char *ct)
{
        return httpparse_media_type(ct, "application/x-ndjson") ||
               httpparse_media_type(ct, "application/jsonl") ||
               httpparse_media_type(ct, "application/json") ||
               httpparse_media_type(ct, "application/x-jsonlines");
}

/* 400 naming a path or query parameter that is malformed or not UTF-8 once decoded. */
static void bad_parameter(struct req *r, const char *name, const char *what)
{
        req_reply_error(r, 400, "bad_request", json_pack("{s:s}", "parameter", name), "%s %s", name,
                        what);
}

/* The query string and the headers the API reads or echoes: 0, or -1 after a 400 reply. */
static int check_request(struct req *r)
{
        char bad[64];
        int q = httpparse_query_check(r->query, bad, sizeof(bad));
        if (q != 0) {
                bad_parameter(r, bad,
                              q == HTTPPARSE_NOT_UTF8
                                  ? "(a query parameter) is not valid UTF-8 once percent-decoded"
                                  : "(a query parameter) has malformed percent-encoding");
                return -1;
        }
        const char *ct = req_header(r, "Content-Type");
        if (ct && !utf8_valid(ct, strlen(ct))) {
                req_reply_error(r, 400, "bad_request", json_pack("{s:s}", "header", "Content-Type"),
                                "the Content-Type header is not valid UTF-8");
                return -1;
        }
        return 0;
}

void router_dispatch(struct req *r)
{
        const struct route *rt = NULL;
        char detail[96];
        enum router_match m = router_match(r->method, r->head.path, &rt, r->params, &r->nparams,
                                           detail, sizeof(detail));
        if (m != ROUTER_FOUND && m != ROUTER_BAD_PATH && !utf8_valid(r->path, strlen(r->path))) {
                bad_parameter(r, "path", "is not valid UTF-8 once percent-decoded");
                return;
        }
        switch (m) {
        case ROUTER_NOT_FOUND:
                req_reply_error(r, 404, "not_found", NULL, "no such resource: %s", r->path);
                return;
        case ROUTER_BAD_METHOD:
                req_add_header(r, "Allow", detail);
                req_reply_error(r, 405, "method_not_allowed", NULL,
                                "%s is not allowed on %s (allowed: %s)", r->method_name, r->path,
                                detail);
                return;
        case ROUTER_BAD_PATH:
                bad_parameter(r, detail,
                              "(a path parameter) is malformed or not valid UTF-8 once "
                              "percent-decoded");
                return;
        case ROUTER_FOUND:
                break;
        }
        r->route = rt;
        if (check_request(r) != 0)
                return;
        const struct config *cfg = r->app->cfg;
        bool has_body = r->chunked || r->content_length > 0;
        const char *ct = req_header(r, "Content-Type");
        if (rt->flags & ROUTE_BODY_JSON) {
                if (has_body && !httpparse_media_type(ct, "application/json")) {
                        req_reply_error(r, 415, "unsupported_media_type", NULL,
                                        "send the body as application/json (got %s)",
                                        ct ? ct : "no Content-Type");
                        return;
                }
                if (r->content_length > cfg->max_body) {
                        req_reply_error(r, 413, "payload_too_large", NULL,
                                        "the request body exceeds %ld bytes", cfg->max_body);
                        return;
                }
        } else if (rt->flags & ROUTE_BODY_STREAM) {
                if (!is_bulk_type(ct)) {
                        req_reply_error(r, 415, "unsupported_media_type", NULL,
                                        "send JSON Lines as application/x-ndjson, or a JSON array "
                                        "as application/json (got %s)",
                                        ct ? ct : "no Content-Type");
                        return;
                }
                if (r->content_length > cfg->max_upload) {
                        req_reply_error(r, 413, "payload_too_large", NULL,
                                        "the upload exceeds %ld bytes", cfg->max_upload);
                        return;
                }
        }
        if (!(rt->flags & ROUTE_NO_DB) && (!r->app->schema_ok || !db_available(r->app->db))) {
                req_add_header(r, "Retry-After", "2");
                req_reply_error(r, 503, "unavailable", NULL,
                                "the database is unavailable, try again shortly");
                return;
        }
        if (rt->flags & ROUTE_PUBLIC)
                after_auth(r);
        else
                auth_request(r, after_auth);
}
