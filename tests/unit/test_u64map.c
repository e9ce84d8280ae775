/* test_u64map.c - the integer hash map: put, get, replace, growth. */
#include "t.h"
#include "u64map.h"

static void test_map(void)
{
        struct u64map m = { 0 };
        uint32_t v = 0;
        CHECK(!u64map_get(&m, 42, &v));
        int failed = 0;
        for (uint64_t k = 0; k < 100000; k++)
                failed += u64map_put(&m, k * 2654435761ULL, (uint32_t)k) != 0;
        CHECK_INT(failed, 0);
        CHECK_INT(m.used, 100000);
        int wrong = 0;
        for (uint64_t k = 0; k < 100000; k++)
                wrong += !u64map_get(&m, k * 2654435761ULL, &v) || v != (uint32_t)k;
        CHECK_INT(wrong, 0);
        CHECK(!u64map_get(&m, 1, &v));
        REQUIRE(u64map_put(&m, 0, 7) == 0); /* replace */
        CHECK(u64map_get(&m, 0, &v) && v == 7);
        CHECK_INT(m.used, 100000);
        CHECK(u64map_bytes(&m) >= 100000 * 12);
        u64map_fini(&m);
        CHECK(!u64map_get(&m, 0, &v));
}

static void test_delete(void)
{
        /* Random puts and deletes against a plain array of the same keys (few distinct keys, so
         * that probe runs collide and wrap around the table). */
        struct u64map m = { 0 };
        enum { KEYS = 200 };
        int64_t ref[KEYS];
        for (int i = 0; i < KEYS; i++)
                ref[i] = -1;
        uint64_t x = 12345;
        int wrong = 0;
        for (int step = 0; step < 200000; step++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                int k = (int)((x >> 33) % KEYS);
                uint64_t key = (uint64_t)k * 0x9e3779b97f4a7c15ULL;
                if ((x >> 20) & 1) {
                        if (u64map_put(&m, key, (uint32_t)step) != 0)
                                wrong++;
                        ref[k] = step;
                } else {
                        u64map_del(&m, key);
                        ref[k] = -1;
                }
                if (step % 997 == 0) {
                        size_t live = 0;
                        for (int i = 0; i < KEYS; i++) {
                                uint32_t v;
                                bool got = u64map_get(&m, (uint64_t)i * 0x9e3779b97f4a7c15ULL, &v);
                                live += ref[i] >= 0;
                                wrong += got != (ref[i] >= 0) || (got && v != (uint32_t)ref[i]);
                        }
                        wrong += live != m.used;
                }
        }
        CHECK_INT(wrong, 0);
        u64map_del(&m, 1); /* absent */
        u64map_fini(&m);
        u64map_del(&m, 1); /* empty map */
}

int main(void)
{
        RUN(map);
        RUN(delete);
        T_DONE();
}
