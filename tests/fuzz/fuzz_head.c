/*
 * fuzz_head.c - request heads: httpparse_head, then what http.c does with a parsed head
 * (httpparse_framing, header lookups, X-Forwarded-For through netaddr_client).
 * Properties: the parser never reads or writes outside the head; a parsed head's strings are
 * NUL-terminated inside the buffer; the method is a token; framing is consistent.
 */
#include "fuzz.h"
#include "httpparse.h"
#include "netaddr.h"

#include <string.h>
#include <strings.h>

static struct netaddr_cidr *trusted;
static size_t ntrusted;

static bool inside(const char *p, const char *buf, size_t len)
{
        return p >= buf && p + strlen(p) <= buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!trusted) {
                char err[128];
                if (netaddr_cidrs_parse("127.0.0.0/8, 10.0.0.0/8, ::1, 2001:db8::/32", &trusted,
                                        &ntrusted, err, sizeof(err)) != 0)
                        abort();
        }
        /* Exactly the head's bytes, as http.c hands them over (plus its NUL). */
        char *buf = fuzz_string(data, size);
        struct http_head h;
        const char *reason = NULL;
        if (httpparse_head(buf, size, &h, &reason) != 0) {
                FUZZ_CHECK(reason != NULL);
                free(buf);
                return 0;
        }
        FUZZ_CHECK(inside(h.method, buf, size) && *h.method);
        FUZZ_CHECK(inside(h.path, buf, size) && inside(h.query, buf, size) || *h.query == '\0');
        FUZZ_CHECK(h.minor == 0 || h.minor == 1);
        FUZZ_CHECK(h.nheaders <= HTTPPARSE_MAX_HEADERS);
        for (const char *m = h.method; *m; m++)
                FUZZ_CHECK((unsigned char)*m > ' ' && (unsigned char)*m < 0x7f);
        const char *xff[HTTPPARSE_MAX_HEADERS];
        size_t nxff = 0;
        for (size_t i = 0; i < h.nheaders; i++) {
                FUZZ_CHECK(inside(h.headers[i].name, buf, size) && *h.headers[i].name);
                FUZZ_CHECK(inside(h.headers[i].value, buf, size));
                for (const char *v = h.headers[i].value; *v; v++)
                        FUZZ_CHECK((unsigned char)*v >= 0x20 || *v == '\t');
                if (strcasecmp(h.headers[i].name, "X-Forwarded-For") == 0)
                        xff[nxff++] = h.headers[i].value;
        }
        int64_t cl = -2;
        bool chunked = false;
        if (httpparse_framing(&h, &cl, &chunked, &reason) == 0) {
                FUZZ_CHECK(cl >= -1);
                FUZZ_CHECK(!(chunked && cl >= 0)); /* never both */
                FUZZ_CHECK(!chunked || h.minor == 1);
        } else {
                FUZZ_CHECK(reason != NULL);
        }
        struct netaddr peers[2], client;
        FUZZ_CHECK(netaddr_parse("127.0.0.1", 9, &peers[0]));
        FUZZ_CHECK(netaddr_parse("192.0.2.1", 9, &peers[1]));
        for (int i = 0; i < 2; i++) {
                netaddr_client(&peers[i], xff, nxff, trusted, ntrusted, &client);
                FUZZ_CHECK(client.family == 4 || client.family == 6);
                if (i == 1) /* an untrusted peer is always the client */
                        FUZZ_CHECK(memcmp(&client, &peers[1], sizeof(client)) == 0);
                char text[NETADDR_STRLEN];
                netaddr_format(&client, text, sizeof(text));
                FUZZ_CHECK(text[0] != '?');
        }
        (void)httpparse_header(&h, "Content-Type");
        free(buf);
        return 0;
}
