/*
 * httpparse.h - pure parsing of HTTP/1.x request heads and the pieces of URLs and headers the
 * server reads (percent-decoding, query parameters, cookies, media types). No I/O, no allocation:
 * everything points into the caller's buffer, which the parser NUL-terminates in place.
 */
#ifndef HTTPPARSE_H
#define HTTPPARSE_H

#include "prefd.h"

#define HTTPPARSE_MAX_HEADERS 64

struct http_header {
        const char *name;  /* as sent; compare case-insensitively */
        const char *value; /* leading and trailing blanks removed */
};

struct http_head {
        const char *method; /* token, e.g. "GET" */
        const char *target; /* request-target as sent, e.g. "/api/v1/projects?limit=5" */
        const char *path;   /* target up to '?', still percent-encoded */
        const char *query;  /* after '?', or "" */
        int minor;          /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
        size_t nheaders;
        struct http_header headers[HTTPPARSE_MAX_HEADERS];
};

/* RFC 9110 token characters (methods, header names, codings). */
bool httpparse_is_tchar(unsigned char c);
/* The value of a hexadecimal digit, -1 for anything else. */
int httpparse_hexval(char c);

/*
 * Parses a request head of len bytes (request line and headers, through the blank line) in
 * place. Returns 0, or -1 with *reason set to a static description of what is malformed.
 */
int httpparse_head(char *buf, size_t len, struct http_head *h, const char **reason) PREFD_MUSTCHECK;

/*
 * The message framing of a parsed request head, strictly by RFC 9112 (sections 3.2, 6.1-6.3):
 * Content-Length is digits only (repeated only with the same value); every Transfer-Encoding
 * header is read and together they must name exactly one coding, chunked (prefd decodes no
 * other), and not with Content-Length nor in HTTP/1.0; HTTP/1.1 needs exactly one Host header,
 * HTTP/1.0 at most one, and its value must be a host[:port]. Returns 0 with *content_length (-1
 * when absent) and *chunked set, or -1 with *reason set to a static description.
 */
int httpparse_framing(const struct http_head *h, int64_t *content_length, bool *chunked,
                      const char **reason) PREFD_MUSTCHECK;

/* Value of the first header named `name` (case-insensitive), or NULL. */
const char *httpparse_header(const struct http_head *h, const char *name);

/*
 * Percent-decodes len bytes of `in` into out (at least len+1 bytes), '+' as space when asked.
 * Returns the decoded length, or -1 for a malformed escape or a decoded NUL byte (out then holds
 * the part decoded before it, NUL-terminated).
 */
long httpparse_decode(const char *in, size_t len, char *out, bool plus_is_space);

/*
 * Finds parameter `name` in a query string and decodes its value into out. Returns 1 when found,
 * 0 when absent, -1 when malformed, not UTF-8 once decoded, or longer than outlen-1.
 */
int httpparse_query(const char *query, const char *name, char *out, size_t outlen);

#define HTTPPARSE_MALFORMED (-1) /* a bad percent escape, or one that decodes to NUL */
#define HTTPPARSE_NOT_UTF8  (-2) /* decoded bytes that are not UTF-8 */

/*
 * Checks that every parameter name and value of a query string decodes (percent escapes, '+')
 * to UTF-8 without NUL bytes. Returns 0, or HTTPPARSE_MALFORMED / HTTPPARSE_NOT_UTF8 with the
 * offending parameter's name as sent (still encoded, cut to badlen-1) in bad.
 */
int httpparse_query_check(const char *query, char *bad, size_t badlen);

/* Calls fn for every parameter name (raw) of a query string; stops when fn returns false. */
void httpparse_query_names(const char *query, bool (*fn)(const char *name, size_t len, void *arg),
                           void *arg);

/* Finds cookie `name` in a Cookie header value. 1 found, 0 absent, -1 too long. */
int httpparse_cookie(const char *header, const char *name, char *out, size_t outlen);

/* True when a Content-Type value names media type `type` (parameters such as charset ignored). */
bool httpparse_media_type(const char *content_type, const char *type);

#endif
