/*
 * authcache.h - the callers this process authenticated recently, by the SHA-256 of their
 * credential (API token or session cookie), so that the rating loop's requests skip the lookup.
 *
 * A cached entry alone never admits anyone: only routes whose one statement checks the
 * credential again inside the database (router.h ROUTE_CRED_IN_QUERY, SQL prefd_cred_role) use
 * it, so a token revoked or a user disabled through any process is refused at once, and a
 * changed role takes effect at once. An entry that such a check refused is dropped.
 *
 * Bounded (AUTHCACHE_SLOTS entries, the oldest replaced) and entries expire after
 * AUTHCACHE_TTL seconds. Loop thread only.
 */
#ifndef AUTHCACHE_H
#define AUTHCACHE_H

#include "req.h"

#define AUTHCACHE_SLOTS 4096
#define AUTHCACHE_TTL   300

struct authcache;

struct authcache *authcache_new(void);
void authcache_free(struct authcache *c);

/* Fills *user from a fresh entry for hash_hex (a 64-digit hex SHA-256); false when none. */
bool authcache_get(struct authcache *c, const char *hash_hex, struct req_user *user);
/* Remembers who hash_hex authenticated as. */
void authcache_put(struct authcache *c, const char *hash_hex, const struct req_user *user);
/* Forgets hash_hex (the database refused it). */
void authcache_drop(struct authcache *c, const char *hash_hex);

#endif
