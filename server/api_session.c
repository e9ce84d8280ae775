/*
 * api_session.c - password login into a browser session, logout, and GET /me.
 *
 * Login counts the attempt in PostgreSQL first (prefd_login_attempt: per user name and client
 * address, shared by every prefd process and kept across restarts; 429 beyond
 * PREFD_LOGIN_ATTEMPTS a minute), checks the password on a worker thread (scrypt), and answers
 * with an HttpOnly, SameSite=Strict cookie (Secure over TLS) and the session's CSRF token. The
 * client address is the TCP peer, or X-Forwarded-For from a trusted proxy (req->client). Every
 * step is an asynchronous query or a worker job: the loop never waits.
 */
#include "api.h"

#include "app.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonv.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct login {
        char name[72];
        char *password;
        int64_t user_id;
        char role[16];
        char cookie[AUTH_TOKEN_MAX];
        char csrf[64];
};

/* Counts an attempt before the password is checked: $1 name, $2 client, $3 limit -> wait. */
static const char login_attempt_sql[] = "SELECT prefd_login_attempt($1, $2::inet, $3)";
/* A new session: $1 its cookie's hex SHA-256, $2 the user, $3 the CSRF token, $4 seconds to
 * live. Expired sessions are cleared on the way, so the table does not grow without bound. */
static const char session_insert_sql[] =
    "WITH gone AS (DELETE FROM sessions WHERE expires_at < now() - interval '1 day') "
    "INSERT INTO sessions (hash, user_id, csrf, expires_at) "
    "VALUES (decode($1, 'hex'), $2, $3, now() + make_interval(secs => $4::double precision))";

/* Who is logging in: $1 the name. */
static const char login_user_sql[] = "SELECT id, name, role, password_hash "
                                     "FROM users "
                                     "WHERE name = $1 AND NOT disabled";

/* Forgets the attempts of a name and client after a correct password. */
static const char login_succeeded_sql[] = "SELECT prefd_login_succeeded($1, $2::inet)";

/* Ends the session whose cookie's hex SHA-256 is $1. */
static const char logout_sql[] = "DELETE FROM sessions "
                                 "WHERE hash = decode($1, 'hex')";

static void login_free(void *p)
{
        struct login *l = p;
        if (l->password) {
                explicit_bzero(l->password, strlen(l->password));
                free(l->password);
        }
        free(l);
}

static void login_stored(struct req *r, const struct db_res *res)
{
        struct login *l = r->state;
        if (req_db_failed(r, res))
                return;
        char max_age[32];
        snprintf(max_age, sizeof(max_age), "%ld", (long)r->app->cfg->session_ttl);
        char cookie[AUTH_TOKEN_MAX + 128];
        snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%s; HttpOnly; SameSite=Strict%s",
                 AUTH_COOKIE, l->cookie, max_age, r->tls ? "; Secure" : "");
        req_add_header(r, "Set-Cookie", cookie);
        log_info(r->id, "msg=login user=%s", LOGQ(l->name));
        req_reply_json(r, 200,
                       json_pack("{s:{s:I, s:s, s:s}, s:s}", "user", "id", (json_int_t)l->user_id,
                                 "name", l->name, "role", l->role, "csrf_token", l->csrf));
}

static void login_session(struct req *r, const struct db_res *res)
{
        struct login *l = r->state;
        if (req_db_failed(r, res))
                return;
        char hash[65], ttl[32], uid[32];
        if (crypto_token(l->cookie, sizeof(l->cookie), "pfs_", 32) != 0 ||
            crypto_token(l->csrf, sizeof(l->csrf), "", 32) != 0) {
                req_reply_error(r, 500, "internal", NULL, "no random numbers available");
                return;
        }
        auth_hash_token(l->cookie, hash);
        snprintf(ttl, sizeof(ttl), "%ld", (long)r->app->cfg->session_ttl);
        snprintf(uid, sizeof(uid), "%lld", (long long)l->user_id);
        const char *params[] = { hash, uid, l->csrf, ttl };
        req_db(r, session_insert_sql, 4, params, login_stored);
}

/* The client address as the limiter keys it, or NULL when unknown (then all such share one). */
static const char *client_of(const struct req *r)
{
        return r->client[0] ? r->client : NULL;
}

static void login_checked(struct req *r, int match)
{
        struct login *l = r->state;
        if (!match) {
                /* The attempt was counted before the check: nothing more to record. */
                log_warn(r->id, "msg=login_failed user=%s peer=%s client=%s", LOGQ(l->name),
                         r->peer, r->client);
                req_reply_error(r, 401, "unauthorized", NULL, "wrong user name or password");
                return;
        }
        const char *params[] = { l->name, client_of(r) };
        req_db(r, login_succeeded_sql, 2, params, login_session);
}

static void login_user(struct req *r, const struct db_res *res)
{
        struct login *l = r->state;
        if (req_db_failed(r, res))
                return;
        const char *stored = NULL;
        if (db_res_nrows(res) == 1 && !db_res_isnull(res, 0, 3)) {
                l->user_id = db_res_int(res, 0, 0);
                snprintf(l->role, sizeof(l->role), "%s", db_res_value(res, 0, 2));
                stored = db_res_value(res, 0, 3);
        }
        auth_verify_password(r, l->password, stored, login_checked);
}

static void login_counted(struct req *r, const struct db_res *res)
{
        struct login *l = r->state;
        if (req_db_failed(r, res))
                return;
        long wait = db_res_int(res, 0, 0);
        if (wait > 0) {
                char ra[24];
                snprintf(ra, sizeof(ra), "%ld", wait);
                req_add_header(r, "Retry-After", ra);
                log_warn(r->id, "msg=login_limited user=%s client=%s", LOGQ(l->name), r->client);
                req_reply_error(r, 429, "rate_limited", NULL,
                                "too many failed logins for this user; try again in %ld seconds",
                                wait);
                return;
        }
        const char *params[] = { l->name };
        req_db(r, login_user_sql, 1, params, login_user);
}

void api_session_login(struct req *r)
{
        struct jv v = JV_INIT(r->json);
        jv_keys(&v, (const char *const[]){ "username", "password", NULL });
        const char *name = jv_string(&v, "username", JV_REQUIRED, 1, 64);
        const char *password = jv_string(&v, "password", JV_REQUIRED, 1, AUTH_PASSWORD_MAX);
        if (v.failed) {
                jv_reply(r, &v);
                return;
        }
        struct login *l = calloc(1, sizeof(*l));
        if (!l || !(l->password = strdup(password))) {
                free(l);
                req_reply_oom(r);
                return;
        }
        snprintf(l->name, sizeof(l->name), "%s", name);
        req_set_state(r, l, login_free);
        char max[32];
        snprintf(max, sizeof(max), "%ld", r->app->cfg->login_attempts);
        const char *params[] = { name, client_of(r), max };
        req_db(r, login_attempt_sql, 3, params, login_counted);
}

static void logout_done(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        req_add_header(r, "Set-Cookie",
                       AUTH_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
        req_reply_empty(r, 204);
}

void api_session_logout(struct req *r)
{
        char value[AUTH_TOKEN_MAX], hash[65];
        const char *cookies = req_header(r, "Cookie");
        if (!r->user.via_cookie || !cookies ||
            httpparse_cookie(cookies, AUTH_COOKIE, value, sizeof(value)) != 1) {
                /* A token caller has no session; tokens are revoked by issuing a new one. */
                req_reply_empty(r, 204);
                return;
        }
        auth_hash_token(value, hash);
        const char *params[] = { hash };
        req_db(r, logout_sql, 1, params, logout_done);
}

void api_session_me(struct req *r)
{
        json_t *me = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)r->user.id, "name",
                               r->user.name, "role", req_role_name(r->user.role));
        /* A page reloaded in the browser recovers its CSRF token here. */
        if (me && r->user.via_cookie)
                json_object_set_new(me, "csrf_token", json_string(r->user.csrf));
        req_reply_json(r, 200, me);
}
