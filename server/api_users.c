/*
 * api_users.c - accounts: create (with a first API token), list, change, and new tokens.
 */
#include "api.h"

#include "app.h"
#include "auth.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = { "admin", "analyst", "rater", NULL };

struct user_new {
        char name[72];
        char role[16];
        char token[AUTH_TOKEN_MAX];
        char token_hash[65];
};

static void created(struct req *r, const struct db_res *res)
{
        struct user_new *u = r->state;
        if (db_res_status(res) == DB_FAILED &&
            strcmp(db_res_sqlstate(res), DB_UNIQUE_VIOLATION) == 0) {
                req_reply_error(r, 409, "conflict", NULL, "a user named \"%s\" already exists",
                                u->name);
                return;
        }
        if (req_db_failed(r, res))
                return;
        log_info(r->id, "msg=user_created name=%s role=%s by=%s", LOGQ(u->name), u->role,
                 LOGQ(r->user.name));
        req_reply_json(r, 201,
                       json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)db_res_int(res, 0, 0),
                                 "name", u->name, "role", u->role, "token", u->token));
}

static void insert_user(struct req *r, const char *hash)
{
        struct user_new *u = r->state;
        const char *params[] = { u->name, u->role, hash, u->token_hash };
        req_db(r, users_add_sql, 4, params, created);
}

static void hashed(struct req *r, const char *hash)
{
        if (!hash) {
                req_reply_error(r, 500, "internal", NULL, "the password could not be hashed");
                return;
        }
        insert_user(r, hash);
}

void api_users_create(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "name", "role", "password", NULL });
        const char *name = jv_string(&v, "name", JV_REQUIRED, 1, 64);
        const char *role = jv_enum(&v, "role", JV_REQUIRED, role_names);
        const char *password =
            jv_string(&v, "password", JV_OPTIONAL, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
        if (name && !users_valid_name(name))
                jv_fail(&v, "name",
                        "\"name\" may hold letters, digits and _ . @ - (starting with a letter or "
                        "digit), up to 64");
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        struct user_new *u = calloc(1, sizeof(*u));
        if (!u) {
                req_reply_oom(r);
                return;
        }
        snprintf(u->name, sizeof(u->name), "%s", name);
        snprintf(u->role, sizeof(u->role), "%s", role);
        req_set_state(r, u, free);
        if (auth_new_token(u->token, u->token_hash) != 0) {
                req_reply_error(r, 500, "internal", NULL, "no random numbers available");
                return;
        }
        if (password)
                auth_hash_password(r, password, hashed);
        else
                insert_user(r, NULL);
}

static const char list_sql[] = "SELECT id, json_build_object('id', id, 'name', name, "
                               "'role', role, 'disabled', disabled, "
                               "'created_at', prefd_ts(created_at)) "
                               "FROM users "
                               "WHERE id > $1 "
                               "ORDER BY id "
                               "LIMIT $2::int + 1";

void api_users_list(struct req *r)
{
        if (req_page(r) != 0)
                return;
        const char *params[] = { r->page.after_text, r->page.limit_text };
        req_db(r, list_sql, 2, params, req_reply_page_rows);
}

struct user_patch {
        char name[72];
        const char *role;
        int disabled; /* -1 unchanged */
};

static const char update_sql[] = "SELECT * "
                                 "FROM prefd_user_update($1, $2, $3, $4)";

static void updated(struct req *r, const struct db_res *res)
{
        struct user_patch *p = r->state;
        if (req_db_failed(r, res))
                return;
        static const struct req_status map[] = {
                { "ok", 0, NULL, NULL },
                { "not_found", 404, "not_found", "no user named \"{}\"" },
                { "last_admin", 409, "conflict",
                  "\"{}\" is the last enabled admin; make another admin first" },
                { NULL, 0, NULL, NULL },
        };
        if (req_reply_status(r, map, db_res_value(res, 0, 0), p->name))
                return;
        log_info(r->id, "msg=user_updated name=%s by=%s", LOGQ(p->name), LOGQ(r->user.name));
        req_reply_json(r, 200,
                       json_pack("{s:I, s:s, s:s, s:b, s:s}", "id",
                                 (json_int_t)db_res_int(res, 0, 1), "name", db_res_value(res, 0, 2),
                                 "role", db_res_value(res, 0, 3), "disabled",
                                 db_res_bool(res, 0, 4), "created_at", db_res_value(res, 0, 5)));
}

static void update_user(struct req *r, const char *hash)
{
        struct user_patch *p = r->state;
        const char *disabled = p->disabled < 0 ? NULL : p->disabled ? "true" : "false";
        const char *params[] = { p->name, p->role, hash, disabled };
        req_db_retry(r, update_sql, 4, params, updated);
}

static void patch_hashed(struct req *r, const char *hash)
{
        if (!hash) {
                req_reply_error(r, 500, "internal", NULL, "the password could not be hashed");
                return;
        }
        update_user(r, hash);
}

void api_users_update(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "role", "password", "disabled", NULL });
        const char *role = jv_enum(&v, "role", JV_OPTIONAL, role_names);
        const char *password =
            jv_string(&v, "password", JV_OPTIONAL, AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
        bool disabled = false;
        bool has_disabled = jv_bool(&v, "disabled", JV_OPTIONAL, &disabled);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        struct user_patch *p = calloc(1, sizeof(*p));
        if (!p) {
                req_reply_oom(r);
                return;
        }
        snprintf(p->name, sizeof(p->name), "%s", req_param(r, 0));
        p->role = role; /* borrowed from r->json, which lives as long as the request */
        p->disabled = has_disabled ? disabled : -1;
        req_set_state(r, p, free);
        if (password)
                auth_hash_password(r, password, patch_hashed);
        else
                update_user(r, NULL);
}

struct token_new {
        char name[72];
        char token[AUTH_TOKEN_MAX];
};

static void token_stored(struct req *r, const struct db_res *res)
{
        struct token_new *t = r->state;
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                req_reply_error(r, 404, "not_found", NULL, "no user named \"%s\"", t->name);
                return;
        }
        log_info(r->id, "msg=token_issued name=%s by=%s", LOGQ(t->name), LOGQ(r->user.name));
        req_reply_json(r, 201, json_pack("{s:s}", "token", t->token));
}

void api_users_token(struct req *r)
{
        const char *name = req_param(r, 0);
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ NULL });
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        if (r->user.role != ROLE_ADMIN && strcmp(name, r->user.name) != 0) {
                req_reply_error(r, 403, "forbidden", NULL,
                                "only an admin may issue tokens for other users");
                return;
        }
        struct token_new *t = calloc(1, sizeof(*t));
        char hash[65];
        if (!t || auth_new_token(t->token, hash) != 0) {
                free(t);
                req_reply_error(r, 500, "internal", NULL, "no random numbers available");
                return;
        }
        snprintf(t->name, sizeof(t->name), "%s", name);
        req_set_state(r, t, free);
        const char *params[] = { name, hash };
        req_db(r, users_token_sql, 2, params, token_stored);
}
