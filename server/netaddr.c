/*
 * netaddr.c - addresses, CIDR lists, connection keys and X-Forwarded-For; see netaddr.h.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* IPv4-mapped IPv6 (::ffff:1.2.3.4, what a dual-stack socket reports) becomes IPv4. */
static void unmap(struct netaddr *a)
{
        if (a->family == 6 && memcmp(a->a, v4_mapped, 12) == 0) {
                memmove(a->a, a->a + 12, 4);
                memset(a->a + 4, 0, 12);
                a->family = 4;
        }
}

bool netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
        char buf[NETADDR_STRLEN + 2];
        memset(out, 0, sizeof(*out));
        if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
                s++, len -= 2;
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (memchr(buf, ':', len)) {
                if (inet_pton(AF_INET6, buf, out->a) != 1)
                        return false;
                out->family = 6;
                unmap(out);
                return true;
        }
        if (inet_pton(AF_INET, buf, out->a) != 1)
                return false;
        out->family = 4;
        return true;
}

bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
        memset(out, 0, sizeof(*out));
        if (sa->sa_family == AF_INET) {
                memcpy(out->a, &((const struct sockaddr_in *)sa)->sin_addr, 4);
                out->family = 4;
                return true;
        }
        if (sa->sa_family == AF_INET6) {
                memcpy(out->a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
                out->family = 6;
                unmap(out);
                return true;
        }
        return false;
}

void netaddr_format(const struct netaddr *a, char *out, size_t outlen)
{
        if (a->family == 0 ||
            !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, out, (socklen_t)outlen))
                snprintf(out, outlen, "?");
}

static void mask(struct netaddr *a, int bits)
{
        int total = a->family == 4 ? 32 : 128;
        for (int i = bits; i < total; i++)
                a->a[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
}

int netaddr_cidrs_parse(const char *list, struct netaddr_cidr **out, size_t *n, char *err,
                        size_t errlen)
{
        size_t cap = 0, used = 0;
        struct netaddr_cidr *v = NULL;
        const char *p = list;
        for (;;) {
                while (*p == ',' || *p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                size_t len = strcspn(p, ", \t");
                const char *slash = memchr(p, '/', len);
                struct netaddr_cidr c;
                size_t alen = slash ? (size_t)(slash - p) : len;
                bool ok = netaddr_parse(p, alen, &c.addr);
                int max = c.addr.family == 4 ? 32 : 128;
                c.bits = max;
                if (ok && slash) {
                        char *end;
                        long b = strtol(slash + 1, &end, 10);
                        ok = end == p + len && slash + 1 < end && b >= 0 && b <= max;
                        c.bits = (int)b;
                }
                if (!ok) {
                        snprintf(err, errlen,
                                 "\"%.*s\" is not an address or a network "
                                 "(192.0.2.1, 10.0.0.0/8, 2001:db8::/32)",
                                 (int)MIN(len, 64), p);
                        free(v);
                        return -1;
                }
                mask(&c.addr, c.bits);
                if (used == cap) {
                        cap = cap ? cap * 2 : 8;
                        struct netaddr_cidr *bigger = realloc(v, cap * sizeof(*v));
                        if (!bigger) {
                                snprintf(err, errlen, "out of memory");
                                free(v);
                                return -1;
                        }
                        v = bigger;
                }
                v[used++] = c;
                p += len;
        }
        *out = v;
        *n = used;
        return 0;
}

bool netaddr_in(const struct netaddr *a, const struct netaddr_cidr *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (list[i].addr.family != a->family)
                        continue;
                struct netaddr m = *a;
                mask(&m, list[i].bits);
                if (memcmp(m.a, list[i].addr.a, 16) == 0)
                        return true;
        }
        return false;
}

uint64_t netaddr_key(const struct netaddr *a)
{
        uint64_t k = 0;
        if (a->family == 4) {
                for (int i = 0; i < 4; i++)
                        k = k << 8 | a->a[i];
                return k | (1ULL << 62); /* apart from every IPv6 key */
        }
        for (int i = 0; i < 8; i++)
                k = k << 8 | a->a[i];
        return k == UINT64_MAX ? k - 1 : k;
}

/* One X-Forwarded-For entry: an address, maybe with a port ("1.2.3.4:80", "[::1]:80"). */
static bool forwarded_entry(const char *s, size_t len, struct netaddr *out)
{
        while (len && (*s == ' ' || *s == '\t'))
                s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len && s[0] == '[') {
                const char *close = memchr(s, ']', len);
                if (close)
                        len = (size_t)(close - s) + 1;
        } else {
                const char *colon = memchr(s, ':', len);
                if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)))
                        len = (size_t)(colon - s); /* IPv4 with a port */
        }
        return netaddr_parse(s, len, out);
}

void netaddr_client(const struct netaddr *peer, const char *const *values, size_t nvalues,
                    const struct netaddr_cidr *trusted, size_t ntrusted, struct netaddr *client)
{
        *client = *peer;
        if (!netaddr_in(peer, trusted, ntrusted))
                return;
        /* Right to left over all the values, as if they were one list. */
        for (size_t i = nvalues; i-- > 0;) {
                const char *v = values[i];
                size_t end = strlen(v);
                for (;;) {
                        size_t start = end;
                        while (start > 0 && v[start - 1] != ',')
                                start--;
                        struct netaddr a;
                        bool blank = strspn(v + start, " \t") >= end - start;
                        if (!blank) {
                                if (!forwarded_entry(v + start, end - start, &a))
                                        return; /* keep the last good address */
                                *client = a;
                                if (!netaddr_in(&a, trusted, ntrusted))
                                        return;
                        }
                        if (start == 0)
                                break;
                        end = start - 1;
                }
        }
}
