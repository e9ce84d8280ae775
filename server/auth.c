/*
 * auth.c - tokens, sessions and password hashing on workers; see auth.h.
 */
#include "auth.h"

#include "app.h"
#include "authcache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "router.h"
#include "work.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int auth_new_token(char token[AUTH_TOKEN_MAX], char hash_hex[65])
{
        if (crypto_token(token, AUTH_TOKEN_MAX, AUTH_TOKEN_PREFIX, 32) != 0)
                return -1;
        auth_hash_token(token, hash_hex);
        return 0;
}

void auth_hash_token(const char *token, char hash_hex[65])
{
        unsigned char h[CRYPTO_SHA256_LEN];
        crypto_sha256(token, strlen(token), h);
        crypto_hex(h, sizeof(h), hash_hex);
}

/* The enabled user of an API token: $1 the token's hex SHA-256. */
static const char token_user_sql[] = "SELECT u.id, u.name, u.role "
                                     "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                                     "WHERE t.hash = decode($1, 'hex') "
                                     "AND NOT u.disabled";

/* The enabled user of a live browser session, with its CSRF token: $1 the cookie's SHA-256. */
static const char session_user_sql[] = "SELECT u.id, u.name, u.role, s.csrf "
                                       "FROM sessions s JOIN users u ON u.id = s.user_id "
                                       "WHERE s.hash = decode($1, 'hex') "
                                       "AND s.expires_at > now() "
                                       "AND NOT u.disabled";

static void unauthorized(struct req *r, const char *message)
{
        req_add_header(r, "WWW-Authenticate", "Bearer realm=\"prefd\"");
        req_reply_error(r, 401, "unauthorized", NULL, "%s", message);
}

static const char *refused_message(const struct req *r)
{
        return r->user.via_cookie ? "the session has expired; log in again"
                                  : "unknown or revoked API token";
}

void auth_recheck_failed(struct req *r, const char *role)
{
        authcache_drop(r->app->authcache, r->user.cred);
        if (!role) {
                unauthorized(r, refused_message(r));
                return;
        }
        req_reply_error(r, 403, "forbidden", NULL, "%s %s is not open to the %s role",
                        router_method_name(r->route->method), r->route->path, role);
}

static void auth_found(struct req *r, const struct db_res *res)
{
        if (req_db_failed(r, res))
                return;
        if (db_res_nrows(res) != 1) {
                unauthorized(r, refused_message(r));
                return;
        }
        r->user.id = db_res_int(res, 0, 0);
        snprintf(r->user.id_text, sizeof(r->user.id_text), "%lld", (long long)r->user.id);
        snprintf(r->user.name, sizeof(r->user.name), "%s", db_res_value(res, 0, 1));
        int role = req_role_parse(db_res_value(res, 0, 2));
        if (role < 0) {
                unauthorized(r, "the account has an unknown role");
                return;
        }
        r->user.role = (enum user_role)role;
        if (r->user.via_cookie)
                snprintf(r->user.csrf, sizeof(r->user.csrf), "%s", db_res_value(res, 0, 3));
        r->authed = true;
        authcache_put(r->app->authcache, r->user.cred, &r->user);
        req_fn next = r->next;
        r->next = NULL;
        next(r);
}

/* A route whose statement checks the credential itself takes the caller from the cache. */
static bool from_cache(struct req *r, req_fn next)
{
        if (!(r->route->flags & ROUTE_CRED_IN_QUERY) ||
            !authcache_get(r->app->authcache, r->user.cred, &r->user))
                return false;
        r->user.cached = true;
        r->authed = true;
        r->next = NULL;
        next(r);
        return true;
}

void auth_request(struct req *r, req_fn next)
{
        char *hash = r->user.cred;
        const char *h = req_header(r, "Authorization");
        r->next = next;
        if (h) {
                if (strncasecmp(h, "Bearer ", 7) != 0) {
                        unauthorized(r, "the Authorization header must be \"Bearer <token>\"");
                        return;
                }
                const char *token = h + 7;
                while (*token == ' ')
                        token++;
                if (!*token || strlen(token) >= AUTH_TOKEN_MAX) {
                        unauthorized(r, "unknown or revoked API token");
                        return;
                }
                auth_hash_token(token, hash);
                if (from_cache(r, next))
                        return;
                const char *params[] = { hash };
                req_db(r, token_user_sql, 1, params, auth_found);
                return;
        }
        const char *cookies = req_header(r, "Cookie");
        char value[AUTH_TOKEN_MAX];
        if (cookies && httpparse_cookie(cookies, AUTH_COOKIE, value, sizeof(value)) == 1 &&
            value[0]) {
                r->user.via_cookie = true;
                auth_hash_token(value, hash);
                if (from_cache(r, next))
                        return;
                const char *params[] = { hash };
                req_db(r, session_user_sql, 1, params, auth_found);
                return;
        }
        unauthorized(r, "authentication required: send \"Authorization: Bearer <token>\" or log "
                        "in at POST /api/v1/session");
}

bool auth_csrf_ok(const struct req *r, const char *csrf)
{
        return r->user.via_cookie && r->user.csrf[0] && crypto_equal(r->user.csrf, csrf);
}

/* --- passwords on workers --- */

struct pw_job {
        struct req *req;
        char *password;
        char *stored;
        long cost;
        char hash[160];
        int result;
        auth_hash_fn hash_fn;
        auth_verify_fn verify_fn;
};

static void pw_job_free(struct pw_job *j)
{
        if (!j)
                return;
        if (j->password) {
                explicit_bzero(j->password, strlen(j->password));
                free(j->password);
        }
        free(j->stored);
        free(j);
}

static void hash_run(void *arg)
{
        struct pw_job *j = arg;
        j->result = crypto_password_hash(j->password, j->cost, j->hash, sizeof(j->hash));
}

static void hash_done(void *arg)
{
        struct pw_job *j = arg;
        struct req *r = j->req;
        auth_hash_fn fn = j->hash_fn;
        char hash[160];
        bool ok = j->result == 0;
        if (ok)
                memcpy(hash, j->hash, sizeof(hash));
        pw_job_free(j);
        if (!ok)
                log_error(r->id, "msg=password_hash_failed");
        fn(r, ok ? hash : NULL);
}

void auth_hash_password(struct req *r, const char *password, auth_hash_fn fn)
{
        struct pw_job *j = calloc(1, sizeof(*j));
        if (j && (j->password = strdup(password))) {
                j->req = r;
                j->cost = r->app->cfg->scrypt_n;
                j->hash_fn = fn;
                if (work_submit(r->app->work, hash_run, hash_done, j) == 0)
                        return;
        }
        pw_job_free(j);
        fn(r, NULL);
}

static void verify_run(void *arg)
{
        struct pw_job *j = arg;
        if (j->stored) {
                j->result = crypto_password_verify(j->password, j->stored);
        } else {
                /* Same work as a real check, so that response times do not reveal names. */
                if (crypto_password_hash(j->password, j->cost, j->hash, sizeof(j->hash)) != 0)
                        log_warn(NULL, "msg=password_hash_failed");
                j->result = 0;
        }
}

static void verify_done(void *arg)
{
        struct pw_job *j = arg;
        struct req *r = j->req;
        auth_verify_fn fn = j->verify_fn;
        int result = j->result;
        if (result < 0)
                log_warn(r->id, "msg=malformed_password_hash");
        pw_job_free(j);
        fn(r, result == 1);
}

void auth_verify_password(struct req *r, const char *password, const char *stored,
                          auth_verify_fn fn)
{
        struct pw_job *j = calloc(1, sizeof(*j));
        if (j && (j->password = strdup(password)) && (!stored || (j->stored = strdup(stored)))) {
                j->req = r;
                j->cost = r->app->cfg->scrypt_n;
                j->verify_fn = fn;
                if (work_submit(r->app->work, verify_run, verify_done, j) == 0)
                        return;
        }
        pw_job_free(j);
        fn(r, 0);
}
