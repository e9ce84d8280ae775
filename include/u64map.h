/*
 * u64map.h - a small open-addressing hash map from 64-bit keys to 32-bit values (indices into
 * the owner's arrays). Linear probing, grows at 70% load. The key UINT64_MAX is reserved.
 */
#ifndef U64MAP_H
#define U64MAP_H

#include "prefd.h"

struct u64map {
        uint64_t *keys;
        uint32_t *vals;
        size_t cap, used; /* cap is a power of two */
};

/* True and *val set when key is present. */
bool u64map_get(const struct u64map *m, uint64_t key, uint32_t *val);
/* Sets key to val (adding or replacing). -1 when out of memory. */
int u64map_put(struct u64map *m, uint64_t key, uint32_t val) PREFD_MUSTCHECK;
/* Removes key (a no-op when absent). */
void u64map_del(struct u64map *m, uint64_t key);
/* Frees the map's memory; it is empty and usable again. */
void u64map_fini(struct u64map *m);
/* Bytes held. */
size_t u64map_bytes(const struct u64map *m);

#endif
