/* test_netaddr.c - addresses, CIDR lists, connection keys and X-Forwarded-For. */
#include "netaddr.h"
#include "t.h"

#include <stdlib.h>

static const char *fmt(const struct netaddr *a)
{
        static char buf[NETADDR_STRLEN];
        netaddr_format(a, buf, sizeof(buf));
        return buf;
}

static struct netaddr addr(const char *s)
{
        struct netaddr a;
        if (!netaddr_parse(s, strlen(s), &a))
                fprintf(stderr, "cannot parse %s\n", s);
        return a;
}

static void test_parse(void)
{
        struct netaddr a;
        CHECK(netaddr_parse("192.0.2.1", 9, &a));
        CHECK_INT(a.family, 4);
        CHECK_STR(fmt(&a), "192.0.2.1");
        CHECK(netaddr_parse("[2001:db8::1]", 13, &a));
        CHECK_INT(a.family, 6);
        CHECK_STR(fmt(&a), "2001:db8::1");
        CHECK(netaddr_parse("::ffff:10.1.2.3", 15, &a)); /* IPv4-mapped reads as IPv4 */
        CHECK_INT(a.family, 4);
        CHECK_STR(fmt(&a), "10.1.2.3");
        CHECK(!netaddr_parse("", 0, &a));
        CHECK(!netaddr_parse("300.1.1.1", 9, &a));
        CHECK(!netaddr_parse("1.2.3", 5, &a));
        CHECK(!netaddr_parse("example.com", 11, &a));
        CHECK(!netaddr_parse("1.2.3.4 ", 8, &a));
        CHECK(!netaddr_parse("::1::2", 6, &a));
}

static void test_cidrs(void)
{
        struct netaddr_cidr *v = NULL;
        size_t n = 9;
        char err[200];
        REQUIRE(netaddr_cidrs_parse("", &v, &n, err, sizeof(err)) == 0);
        CHECK_INT(n, 0);
        free(v);
        REQUIRE(netaddr_cidrs_parse("10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1", &v, &n, err,
                                    sizeof(err)) == 0);
        CHECK_INT(n, 4);
        struct netaddr a = addr("10.200.3.4");
        CHECK(netaddr_in(&a, v, n));
        a = addr("11.0.0.1");
        CHECK(!netaddr_in(&a, v, n));
        a = addr("192.0.2.7");
        CHECK(netaddr_in(&a, v, n));
        a = addr("192.0.2.8");
        CHECK(!netaddr_in(&a, v, n));
        a = addr("2001:db8:ffff::5");
        CHECK(netaddr_in(&a, v, n));
        a = addr("2001:db9::5");
        CHECK(!netaddr_in(&a, v, n));
        a = addr("::1");
        CHECK(netaddr_in(&a, v, n));
        free(v);
        /* host bits are cleared; /0 takes everything of its family */
        REQUIRE(netaddr_cidrs_parse("10.1.2.3/16 0.0.0.0/0", &v, &n, err, sizeof(err)) == 0);
        CHECK_STR(fmt(&v[0].addr), "10.1.0.0");
        a = addr("8.8.8.8");
        CHECK(netaddr_in(&a, v, n));
        a = addr("::2");
        CHECK(!netaddr_in(&a, v, n));
        free(v);
        const char *bad[] = { "10.0.0.0/33", "::/129", "10.0.0.0/",
                              "10.0.0.0/8x", "host",   "1.2.3.4/-1" };
        for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
                v = NULL;
                CHECK_INT(netaddr_cidrs_parse(bad[i], &v, &n, err, sizeof(err)), -1);
                CHECK(v == NULL);
        }
}

static void test_keys(void)
{
        struct netaddr a = addr("192.0.2.1"), b = addr("192.0.2.2");
        CHECK(netaddr_key(&a) != netaddr_key(&b));
        /* one IPv6 subscriber: its /64 */
        a = addr("2001:db8:1:2::1");
        b = addr("2001:db8:1:2:ffff::9");
        CHECK(netaddr_key(&a) == netaddr_key(&b));
        b = addr("2001:db8:1:3::1");
        CHECK(netaddr_key(&a) != netaddr_key(&b));
        /* IPv4 never collides with IPv6 keys of ::/64 */
        a = addr("0.0.0.1");
        b = addr("::1");
        CHECK(netaddr_key(&a) != netaddr_key(&b));
        CHECK(netaddr_key(&b) != UINT64_MAX);
}

static const char *client(const char *peer, const char *const *xff, size_t n, const char *trusted)
{
        struct netaddr_cidr *v;
        size_t nv;
        char err[100];
        if (netaddr_cidrs_parse(trusted, &v, &nv, err, sizeof(err)) != 0)
                return "bad list";
        struct netaddr p = addr(peer), c;
        netaddr_client(&p, xff, n, v, nv, &c);
        free(v);
        return fmt(&c);
}

static void test_forwarded(void)
{
        const char *one[] = { "203.0.113.9" };
        /* believed only from a trusted proxy */
        CHECK_STR(client("198.51.100.1", one, 1, ""), "198.51.100.1");
        CHECK_STR(client("198.51.100.1", one, 1, "10.0.0.0/8"), "198.51.100.1");
        CHECK_STR(client("10.0.0.2", one, 1, "10.0.0.0/8"), "203.0.113.9");
        /* the rightmost address that is not a trusted proxy: what a client prepends is ignored */
        const char *spoof[] = { "1.1.1.1, 203.0.113.9" };
        CHECK_STR(client("10.0.0.2", spoof, 1, "10.0.0.0/8"), "203.0.113.9");
        const char *chain[] = { "1.1.1.1, 203.0.113.9, 10.0.0.7" };
        CHECK_STR(client("10.0.0.2", chain, 1, "10.0.0.0/8"), "203.0.113.9");
        /* several headers read as one list, in order */
        const char *headers[] = { "1.1.1.1", "203.0.113.9", "10.0.0.7" };
        CHECK_STR(client("10.0.0.2", headers, 3, "10.0.0.0/8"), "203.0.113.9");
        /* ports, brackets and blanks */
        const char *ports[] = { " [2001:db8::5]:443 " };
        CHECK_STR(client("10.0.0.2", ports, 1, "10.0.0.0/8"), "2001:db8::5");
        const char *port4[] = { "203.0.113.9:5555" };
        CHECK_STR(client("10.0.0.2", port4, 1, "10.0.0.0/8"), "203.0.113.9");
        /* junk stops the walk at the last good address */
        const char *junk[] = { "203.0.113.9, garbage, 10.0.0.7" };
        CHECK_STR(client("10.0.0.2", junk, 1, "10.0.0.0/8"), "10.0.0.7");
        const char *junk2[] = { "garbage" };
        CHECK_STR(client("10.0.0.2", junk2, 1, "10.0.0.0/8"), "10.0.0.2");
        /* all trusted: the leftmost */
        const char *inner[] = { "10.0.0.9, 10.0.0.8" };
        CHECK_STR(client("10.0.0.2", inner, 1, "10.0.0.0/8"), "10.0.0.9");
        /* empty entries and no header */
        const char *empty[] = { " , ,203.0.113.9,," };
        CHECK_STR(client("10.0.0.2", empty, 1, "10.0.0.0/8"), "203.0.113.9");
        CHECK_STR(client("10.0.0.2", NULL, 0, "10.0.0.0/8"), "10.0.0.2");
}

int main(void)
{
        RUN(parse);
        RUN(cidrs);
        RUN(keys);
        RUN(forwarded);
        T_DONE();
}
