/*
 * netaddr.h - client addresses: IPv4 and IPv6 addresses (IPv4-mapped IPv6 read as IPv4), CIDR
 * lists such as PREFD_TRUSTED_PROXIES, the key prefd counts a client's connections under, and
 * the client address of a request that came through trusted proxies (X-Forwarded-For). Pure.
 */
#ifndef NETADDR_H
#define NETADDR_H

#include "prefd.h"

struct sockaddr;

#define NETADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct netaddr {
        int family;          /* 4 or 6; 0 for none */
        unsigned char a[16]; /* 4 bytes for IPv4 */
};

struct netaddr_cidr {
        struct netaddr addr; /* the network, host bits cleared */
        int bits;            /* prefix length */
};

/* Reads an address from len bytes of s: "1.2.3.4", "::1", "[::1]"; false when malformed. */
bool netaddr_parse(const char *s, size_t len, struct netaddr *out);
/* From a socket address (AF_INET, AF_INET6); false for other families. */
bool netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out);
/* Writes the canonical text form into out (at least NETADDR_STRLEN bytes). */
void netaddr_format(const struct netaddr *a, char *out, size_t outlen);

/*
 * Parses a comma- or blank-separated list of addresses and networks ("10.0.0.0/8, ::1") into
 * *out (malloc'd, owned by caller, free() it), *n entries. "" is the empty list. On a bad entry
 * writes a message into err and returns -1.
 */
int netaddr_cidrs_parse(const char *list, struct netaddr_cidr **out, size_t *n, char *err,
                        size_t errlen) PREFD_MUSTCHECK;
/* True when a lies in one of the n networks. */
bool netaddr_in(const struct netaddr *a, const struct netaddr_cidr *list, size_t n);

/*
 * The key a client's connections are counted under: the whole address for IPv4, its /64 for
 * IPv6 (one subscriber's network). Never UINT64_MAX.
 */
uint64_t netaddr_key(const struct netaddr *a);

/*
 * The client behind `peer`, the TCP peer: when the peer is a trusted proxy, the X-Forwarded-For
 * values (nvalues header values in order, each a comma list) are read from the right, skipping
 * trusted proxies; the first address that is not one is the client. A malformed entry stops
 * the walk at the last good address; an empty or all-trusted list gives the leftmost. When the
 * peer is not trusted the header is ignored: *client is the peer.
 */
void netaddr_client(const struct netaddr *peer, const char *const *values, size_t nvalues,
                    const struct netaddr_cidr *trusted, size_t ntrusted, struct netaddr *client);

#endif
