/*
 * auth.h - who is calling: API tokens (Authorization: Bearer) and browser sessions (an HttpOnly
 * SameSite=Strict cookie plus a CSRF token for state changes) and password hashing off the
 * event loop. Login attempts are counted in PostgreSQL (api_session.c, prefd_login_attempt).
 *
 * Tokens and session cookies are 32 random bytes; the database keeps only their SHA-256.
 */
#ifndef AUTH_H
#define AUTH_H

#include "req.h"

#define AUTH_COOKIE       "prefd_session"
#define AUTH_TOKEN_PREFIX "pfd_"
#define AUTH_TOKEN_MAX    128 /* longest token text accepted */
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 1024

/*
 * Authenticates r from its Authorization header or session cookie, fills r->user and calls
 * next(r); otherwise replies 401 (or 503 when the database is unavailable).
 */
void auth_request(struct req *r, req_fn next);

/*
 * The database refused the credential of a request authenticated from the cache (the statement
 * of a ROUTE_CRED_IN_QUERY route said so): forgets it and replies 401, or 403 when role (the
 * caller's current role) is given and the route is not open to it.
 */
void auth_recheck_failed(struct req *r, const char *role);

/* True when csrf matches the CSRF token of r's cookie session. */
bool auth_csrf_ok(const struct req *r, const char *csrf);

/* A new API token (shown once) and the hex SHA-256 to store. 0 or -1. */
int auth_new_token(char token[AUTH_TOKEN_MAX], char hash_hex[65]) PREFD_MUSTCHECK;

/* The hex SHA-256 of a token or cookie value, as stored. */
void auth_hash_token(const char *token, char hash_hex[65]);

/* Hashes a password on a worker; fn gets the hash, or NULL when it could not be made. */
typedef void (*auth_hash_fn)(struct req *r, const char *hash);
void auth_hash_password(struct req *r, const char *password, auth_hash_fn fn);

/*
 * Checks a password on a worker; fn gets 1 for a match, 0 otherwise. With stored NULL (no such
 * user, or no password) it still spends the same time and answers 0.
 */
typedef void (*auth_verify_fn)(struct req *r, int match);
void auth_verify_password(struct req *r, const char *password, const char *stored,
                          auth_verify_fn fn);

#endif
