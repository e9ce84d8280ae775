/*
 * router.h - the route table (server/router.c), prefd's HTTP API at a glance, and the steps
 * every request goes through before its handler runs:
 *
 *   match path and method (404 not_found, 405 method_not_allowed with Allow; 400 bad_request
 *   naming a path parameter, or the path, that is not UTF-8 once decoded)
 *   -> the query string decodes to UTF-8, Content-Type is UTF-8 (400 bad_request naming them)
 *   -> check the body's framing and type (413 payload_too_large, 415 unsupported_media_type)
 *   -> database ready? (503 unavailable)
 *   -> authenticate (401 unauthorized) -> role (403 forbidden) -> CSRF for cookie sessions (403)
 *   -> read the body: a JSON object into req->json (400 invalid_json), or stream it to the handler
 *   -> handler
 */
#ifndef ROUTER_H
#define ROUTER_H

#include "req.h"

#define ROLE_BIT(role) (1u << (role))
#define ROLES_ANY      (ROLE_BIT(ROLE_RATER) | ROLE_BIT(ROLE_ANALYST) | ROLE_BIT(ROLE_ADMIN))
#define ROLES_STAFF    (ROLE_BIT(ROLE_ANALYST) | ROLE_BIT(ROLE_ADMIN))
#define ROLES_RATING   (ROLE_BIT(ROLE_RATER) | ROLE_BIT(ROLE_ADMIN))
#define ROLES_ADMIN    ROLE_BIT(ROLE_ADMIN)

enum route_flag {
        ROUTE_PUBLIC = 1u << 0,        /* no authentication */
        ROUTE_BODY_JSON = 1u << 1,     /* a JSON object body, parsed into req->json */
        ROUTE_BODY_OPTIONAL = 1u << 2, /* with BODY_JSON: an empty body reads as {} */
        ROUTE_BODY_STREAM = 1u << 3,   /* JSON Lines streamed to the handler (max_upload) */
        ROUTE_NO_DB = 1u << 4,         /* served even while the database is unavailable */
        /*
         * The handler's one statement checks the credential again in the database (SQL
         * prefd_cred_role), so the caller may be taken from the process's cache (authcache.h):
         * one round trip fewer on the rating loop's hot path.
         */
        ROUTE_CRED_IN_QUERY = 1u << 5,
};

struct route {
        enum req_method method;
        const char *path; /* pattern: literal segments, {name} for one segment, {*} for the rest */
        req_fn handler;
        unsigned roles; /* ROLE_BIT set allowed; ignored for ROUTE_PUBLIC */
        unsigned flags; /* enum route_flag */
};

/* Runs a request through the steps above; always leads to exactly one reply. */
void router_dispatch(struct req *r);

enum router_match {
        ROUTER_FOUND,
        ROUTER_NOT_FOUND,
        ROUTER_BAD_METHOD, /* the path exists; detail lists its methods (for Allow) */
        ROUTER_BAD_PATH,   /* a parameter is malformed or not UTF-8 decoded; detail names it */
};

/*
 * Matches a method and raw (still percent-encoded) path against the table. On ROUTER_FOUND the
 * decoded parameters are stored in params (owned by caller, free each). HEAD matches GET routes.
 * Parameters must decode to UTF-8 without NUL bytes; {*} is named "path".
 */
enum router_match router_match(enum req_method method, const char *path, const struct route **out,
                               char **params, size_t *nparams, char *detail, size_t detaillen);

/* The table, for metrics labels and tests. */
size_t router_count(void);
const struct route *router_route(size_t i);
const char *router_method_name(enum req_method m);

#endif
