/*
 * authcache.c - recently authenticated callers by credential hash; see authcache.h.
 */
#include "authcache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
        char hash[65]; /* "" when empty */
        time_t at;     /* when it was stored */
        struct req_user user;
};

struct authcache {
        struct entry slots[AUTHCACHE_SLOTS];
};

#define PROBES 8

static size_t slot_of(const char *hash)
{
        /* The hash is uniformly random: its first hex digits index the table. */
        size_t h = 0;
        for (int i = 0; i < 8 && hash[i]; i++)
                h = h * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
        return h % AUTHCACHE_SLOTS;
}

static struct entry *find(struct authcache *c, const char *hash)
{
        size_t i = slot_of(hash);
        for (int p = 0; p < PROBES; p++, i = (i + 1) % AUTHCACHE_SLOTS)
                if (strcmp(c->slots[i].hash, hash) == 0)
                        return &c->slots[i];
        return NULL;
}

struct authcache *authcache_new(void)
{
        return calloc(1, sizeof(struct authcache));
}

void authcache_free(struct authcache *c)
{
        free(c);
}

bool authcache_get(struct authcache *c, const char *hash_hex, struct req_user *user)
{
        struct entry *e = find(c, hash_hex);
        if (!e)
                return false;
        if (time(NULL) - e->at >= AUTHCACHE_TTL) {
                e->hash[0] = '\0';
                return false;
        }
        *user = e->user;
        return true;
}

/* Where hash goes: its slot when present, else an empty slot near home, else the oldest there. */
static struct entry *place(struct authcache *c, const char *hash)
{
        struct entry *e = find(c, hash);
        if (e)
                return e;
        size_t home = slot_of(hash);
        for (int p = 0; p < PROBES; p++) {
                struct entry *s = &c->slots[(home + (size_t)p) % AUTHCACHE_SLOTS];
                if (!s->hash[0])
                        return s;
                if (!e || s->at < e->at)
                        e = s;
        }
        return e;
}

void authcache_put(struct authcache *c, const char *hash_hex, const struct req_user *user)
{
        struct entry *e = place(c, hash_hex);
        memcpy(e->hash, hash_hex, 64);
        e->hash[64] = '\0';
        e->at = time(NULL);
        e->user = *user;
}

void authcache_drop(struct authcache *c, const char *hash_hex)
{
        struct entry *e = find(c, hash_hex);
        if (e)
                e->hash[0] = '\0';
}
