/*
 * u64map.c - open-addressing hash map, 64-bit keys to 32-bit values; see u64map.h.
 */
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY UINT64_MAX

static size_t slot_of(uint64_t key, size_t cap)
{
        key ^= key >> 33;
        key *= 0xff51afd7ed558ccdULL;
        key ^= key >> 33;
        return (size_t)key & (cap - 1);
}

bool u64map_get(const struct u64map *m, uint64_t key, uint32_t *val)
{
        if (!m->cap)
                return false;
        for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == key) {
                        *val = m->vals[i];
                        return true;
                }
                if (m->keys[i] == EMPTY)
                        return false;
        }
}

static int grow(struct u64map *m)
{
        struct u64map bigger = { .cap = m->cap ? m->cap * 2 : 64 };
        bigger.keys = malloc(bigger.cap * sizeof(uint64_t));
        bigger.vals = malloc(bigger.cap * sizeof(uint32_t));
        if (!bigger.keys || !bigger.vals) {
                free(bigger.keys);
                free(bigger.vals);
                return -1;
        }
        memset(bigger.keys, 0xff, bigger.cap * sizeof(uint64_t));
        for (size_t i = 0; i < m->cap; i++)
                if (m->keys[i] != EMPTY && u64map_put(&bigger, m->keys[i], m->vals[i]) != 0)
                        return -1; /* cannot happen: bigger has room */
        free(m->keys);
        free(m->vals);
        *m = bigger;
        return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
        if ((m->used + 1) * 10 > m->cap * 7 && grow(m) != 0)
                return -1;
        for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == key) {
                        m->vals[i] = val;
                        return 0;
                }
                if (m->keys[i] == EMPTY) {
                        m->keys[i] = key;
                        m->vals[i] = val;
                        m->used++;
                        return 0;
                }
        }
}

void u64map_del(struct u64map *m, uint64_t key)
{
        if (!m->cap)
                return;
        size_t mask = m->cap - 1, i = slot_of(key, m->cap);
        while (m->keys[i] != key) {
                if (m->keys[i] == EMPTY)
                        return;
                i = (i + 1) & mask;
        }
        /* Backward-shift deletion: later entries of the run move up, so probes stay unbroken. */
        for (size_t j = (i + 1) & mask; m->keys[j] != EMPTY; j = (j + 1) & mask) {
                size_t home = slot_of(m->keys[j], m->cap);
                /* j's entry may fill the hole at i when its home is not cyclically in (i, j]. */
                if (((j - home) & mask) >= ((j - i) & mask)) {
                        m->keys[i] = m->keys[j];
                        m->vals[i] = m->vals[j];
                        i = j;
                }
        }
        m->keys[i] = EMPTY;
        m->used--;
}

void u64map_fini(struct u64map *m)
{
        free(m->keys);
        free(m->vals);
        memset(m, 0, sizeof(*m));
}

size_t u64map_bytes(const struct u64map *m)
{
        return m->cap * (sizeof(uint64_t) + sizeof(uint32_t));
}
