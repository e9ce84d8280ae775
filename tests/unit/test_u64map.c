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

int main(void)
{
        RUN(map);
        T_DONE();
}
